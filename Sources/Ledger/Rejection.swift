/// Why a transaction was not accepted. Every rejection carries one, and reports count them.
public enum RejectionReason: String, Error, Sendable, CaseIterable, Comparable {
    // Stateless.
    case badSignature = "bad_signature"
    case amountNotPositive = "amount_not_positive"
    case overflow
    case invalidOrder = "invalid_order"
    // Replay and time.
    /// Already waiting in this node's mempool: a resend, not a verdict on the transaction.
    case duplicate
    case replayed
    case expired
    // Inputs and funds.
    case unknownInput = "unknown_input"
    /// A pending transaction already spends one of the inputs.
    case spentInput = "spent_input"
    case doubleSpendInBlock = "double_spend_in_block"
    case notOwner = "not_owner"
    case insufficientFunds = "insufficient_funds"
    /// Inputs exceed outputs, escrow and fee: the surplus would vanish.
    case unbalanced
    case feeTooLow = "fee_too_low"
    // Authority and place.
    case wrongRegion = "wrong_region"
    case notOperator = "not_operator"
    case badAttestation = "bad_attestation"
    case attestationReused = "attestation_reused"
    // Market.
    case unknownOrder = "unknown_order"
    case unknownTrade = "unknown_trade"
    case settlementTooEarly = "settlement_too_early"
    // Governance.
    /// A proposed value outside the parameter's safe range, or a voting period out of bounds.
    case unsafeParameter = "unsafe_parameter"
    case unknownProposal = "unknown_proposal"
    case votingClosed = "voting_closed"
    /// The voter held no payment tokens when the proposal opened.
    case noVotingWeight = "no_voting_weight"
    // Cross-shard transfers.
    /// The chain takes part in no sharded network (it has no committee directory).
    case notSharded = "not_sharded"
    /// A lock whose destination is the sender's own region, or whose deadline has passed.
    case invalidLock = "invalid_lock"
    /// Evidence that does not prove the named transaction final on its chain.
    case badReceipt = "bad_receipt"
    /// A credit for a lock already credited or voided here.
    case lockResolved = "lock_resolved"
    /// A settlement for a lock this shard does not hold.
    case unknownLock = "unknown_lock"
    // Capacity.
    /// The validator's mempool held its limit (`consensus.mempool_limit`) of waiting
    /// transactions: refused at admission, as Tendermint's CheckTx refuses with "mempool is
    /// full", and not sent again by its client.
    case mempoolFull = "mempool_full"

    /// Whether a transaction that passed admission can be refused for this reason only because
    /// its time ran out (its replay window, or its lock's or order's deadline): it can never
    /// enter a block now.
    public var isLapse: Bool {
        switch self {
        case .expired, .invalidLock, .invalidOrder: true
        default: false
        }
    }

    public static func < (lhs: RejectionReason, rhs: RejectionReason) -> Bool { lhs.rawValue < rhs.rawValue }
}
