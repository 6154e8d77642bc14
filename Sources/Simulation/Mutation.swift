import Consensus
import Market

/// A deliberately broken variant of a module the simulator runs, to prove the invariant
/// checkers can fail: the consensus protocol's (caught by the commit checkers) or the
/// exchange's cross-shard rules (caught by the sharding checkers).
public enum Mutation: Hashable, Sendable, CaseIterable {
    case consensus(ConsensusMutation)
    case exchange(ExchangeMutation)

    /// Every mutation, the consensus ones first, in their declared order.
    public static var allCases: [Mutation] {
        ConsensusMutation.allCases.map(Self.consensus) + ExchangeMutation.allCases.map(Self.exchange)
    }

    /// The mutation named `name` on the command line (`quorum-half`, `split-keeps-escrow`, …).
    public init?(name: String) {
        guard let known = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = known
    }

    /// The name `--mutation` takes and reports print.
    public var name: String {
        switch self {
        case .consensus(let mutation): mutation.rawValue
        case .exchange(let mutation): mutation.rawValue
        }
    }

    /// The consensus mutation, if this is one (for `ConsensusParameters`).
    var consensus: ConsensusMutation? {
        if case .consensus(let mutation) = self { return mutation }
        return nil
    }

    /// The exchange mutation, if this is one (for `MarketConfiguration`).
    var exchange: ExchangeMutation? {
        if case .exchange(let mutation) = self { return mutation }
        return nil
    }
}
