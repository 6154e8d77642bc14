/// A position on the grid: a region and a zone (feeder) inside it.
public struct GridLocation: Hashable, Sendable, CustomStringConvertible {
    public var region: Region
    /// The zone's index inside its region, 0-based.
    public var zone: UInt16

    public init(region: Region, zone: UInt16) {
        self.region = region
        self.zone = zone
    }

    public var description: String { "\(region.rawValue)/\(zone)" }
}

/// A trade the market wants to make, as the grid sees it.
public struct GridTradeRequest: Hashable, Sendable {
    public var seller: GridLocation
    public var buyer: GridLocation
    public var energy: EnergyWh
    /// The delivery window.
    public var deliveryStart: SimTime
    public var deliveryEnd: SimTime
    /// When the match is being decided (the block's time).
    public var decidedAt: SimTime

    public init(seller: GridLocation, buyer: GridLocation, energy: EnergyWh, deliveryStart: SimTime,
                deliveryEnd: SimTime, decidedAt: SimTime) {
        self.seller = seller
        self.buyer = buyer
        self.energy = energy
        self.deliveryStart = deliveryStart
        self.deliveryEnd = deliveryEnd
        self.decidedAt = decidedAt
    }
}

/// Why the grid refuses a trade.
public enum GridRejection: String, Sendable, CaseIterable {
    /// A line on the path has no room left in the delivery window.
    case congestion
    /// The two locations are not connected (or not in one market area).
    case incompatibleLocation = "incompatible_location"
    /// The delivery window has already started or cannot be scheduled.
    case deliveryTime = "delivery_time"
}

/// The grid's answer about a trade.
public enum GridVerdict: Hashable, Sendable {
    /// Normal conditions.
    case approved
    /// Allowed with a premium on the trade value (peak hours), paid by the buyer to the grid operator.
    case conditional(premium: BasisPoints)
    case rejected(GridRejection)
}

/// The grid's full answer: the verdict and the transmission loss the trade would suffer.
public struct GridAssessment: Hashable, Sendable {
    public var verdict: GridVerdict
    /// Energy lost on the path; the buyer receives the traded energy minus this.
    public var loss: EnergyWh

    public init(verdict: GridVerdict, loss: EnergyWh) {
        self.verdict = verdict
        self.loss = loss
    }

    /// The premium the buyer pays, zero unless conditional.
    public var premium: BasisPoints {
        if case .conditional(let premium) = verdict { return premium }
        return .zero
    }

    public var isRejected: Bool {
        if case .rejected = verdict { return true }
        return false
    }
}

/// What the market asks the grid before matching two orders. The Grid module implements it; the
/// answer must be a deterministic function of the replicated state (every validator asks the
/// same question in the same order and must get the same answer).
///
/// Bookings are keyed by the trade's identity rather than by a counter, so that rolling a block
/// back and applying it again books exactly the same state on every node.
public protocol GridTradeAssessor: Sendable {
    /// Checks capacity on the path, location compatibility, delivery time and losses.
    func assess(_ request: GridTradeRequest) -> GridAssessment
    /// Books the path's capacity for a matched trade under `key`.
    mutating func reserve(_ request: GridTradeRequest, key: Digest32)
    /// Returns the capacity booked under `key` (a trade settled, timed out or rolled back).
    mutating func release(key: Digest32)
    /// A commitment to the bookings, for the state root.
    var commitment: Digest32 { get }
    /// The same grid with only the bookings whose key `keeps`: the part of a state a reshard
    /// keeps on one side.
    func retaining(_ keeps: (Digest32) -> Bool) -> Self
    /// Adds `other`'s bookings (keys disjoint from this one's): two parts of a state merged.
    mutating func absorb(_ other: Self)
}
