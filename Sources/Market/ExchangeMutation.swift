/// A deliberately broken variant of the exchange's cross-shard rules, to prove the sharding
/// checkers can fail (as ``ConsensusMutation`` does for the consensus checkers).
public enum ExchangeMutation: String, Sendable, CaseIterable {
    /// A split hands the moved areas' open orders to the new part but leaves their escrow with
    /// the kept part: each part's escrow no longer matches the orders it holds.
    case splitKeepsEscrow = "split-keeps-escrow"
    /// The source shard settles a lock by its own block's time against the deadline instead of
    /// by the time of the destination's credit: a credit made in time but settled after the
    /// deadline is refunded at home too, so the value exists twice.
    case settleOwnClock = "settle-own-clock"
    /// The destination credits a transfer's outputs without recording them as imported: its
    /// ledger holds more than its books say it was given.
    case creditUnrecorded = "credit-unrecorded"
}
