import GridCore

/// What a trace line records.
public enum TraceKind: String, Sendable, CaseIterable {
    /// A consensus message (proposal, vote, block sync) handed to a node.
    case delivery
    /// A vote sent.
    case vote
    /// A proposal sent.
    case proposal
    /// A node finalized a block.
    case commit
    /// A node crashed, restarted, paused or resumed.
    case fault
    /// A checker found an invariant broken.
    case verdict
}

/// One state transition that matters, for `gridsim run --trace`: when, what, on which node and
/// height, and a short description. Lines are emitted in simulation order, so two runs of the
/// same binary, scenario and seed write the same trace.
public struct TraceLine: Sendable {
    public var time: SimTime
    public var kind: TraceKind
    public var node: Int
    /// The consensus height concerned (0 when none).
    public var height: UInt64
    public var detail: String

    /// `time_ns kind node height detail`, space separated.
    public var text: String {
        "\(time.nanoseconds) \(kind.rawValue) n\(node) h\(height) \(detail)"
    }
}
