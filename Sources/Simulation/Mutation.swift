import Consensus
import Market

/// A deliberately broken variant of a module the simulator runs, to prove the invariant
/// checkers can fail: the consensus protocol's (caught by the commit checkers) or the
/// exchange's cross-shard rules (caught by the sharding checkers).
public enum Mutation: Hashable, Sendable, CaseIterable {
    case consensus(ConsensusMutation)
    case exchange(ExchangeMutation)

    public static var allCases: [Mutation] {
        ConsensusMutation.allCases.map(Self.consensus) + ExchangeMutation.allCases.map(Self.exchange)
    }

    /// The mutation named `name` on the command line (`quorum-half`, `split-keeps-escrow`, …).
    public init?(name: String) {
        guard let known = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = known
    }

    public var name: String {
        switch self {
        case .consensus(let mutation): mutation.rawValue
        case .exchange(let mutation): mutation.rawValue
        }
    }

    var consensus: ConsensusMutation? {
        if case .consensus(let mutation) = self { return mutation }
        return nil
    }

    var exchange: ExchangeMutation? {
        if case .exchange(let mutation) = self { return mutation }
        return nil
    }
}
