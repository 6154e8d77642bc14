import GridCore

/// The grid as every validator replicates it: the capacity booked by matched trades, per
/// element and delivery slot, in integer watts. It answers the market's questions
/// (``GridTradeAssessor``): a trade is rejected when a zone does not exist
/// (incompatible location), when its window has passed or lies beyond the scheduling horizon
/// (delivery time), or when any element on its path would exceed its capacity less the
/// security margin in any slot of the window (congestion) — a trade that relieves an element
/// is always allowed there. Otherwise it is approved, or conditional with the peak fee when
/// the window touches the grid's peak hours. The trade's loss is charged by the path rule of
/// ``GridNetwork/lossShare(from:to:)``.
public struct GridState: GridTradeAssessor {
    struct Booking: Hashable, Sendable {
        var request: GridTradeRequest
        var firstSlot: Int64
        var lastSlot: Int64
        var flows: [ElementFlow]
    }

    struct ElementFlow: Hashable, Sendable {
        var element: Int
        var watts: Int64
    }

    public let network: GridNetwork
    public let slotLength: SimDuration
    /// Background flows at the middle of every slot of a day, when slots divide the day: the
    /// flows depend only on the local time, so slot k uses entry k mod (slots per day). Computed
    /// once, by the same function, so the values are identical to computing them each time.
    private let backgroundBySlot: [[Int64]]
    private var bookings: [Digest32: Booking] = [:]
    /// Booked flow per slot, per element.
    private var booked: [Int64: [Int64]] = [:]
    private var bookingCommitment = MultisetHash()

    public init(network: GridNetwork, slotLength: SimDuration) {
        precondition(slotLength > .zero)
        self.network = network
        self.slotLength = slotLength
        let day = SimDuration.hours(24).nanoseconds
        if day % slotLength.nanoseconds == 0 {
            let slotsPerDay = day / slotLength.nanoseconds
            backgroundBySlot = (0..<slotsPerDay).map {
                network.backgroundFlows(at: SimTime(nanoseconds: $0 * slotLength.nanoseconds + slotLength.nanoseconds / 2))
            }
        } else {
            backgroundBySlot = []
        }
    }

    /// Background flows in `slot`.
    private func background(_ slot: Int64) -> [Int64] {
        guard !backgroundBySlot.isEmpty else { return network.backgroundFlows(at: slotMiddle(slot)) }
        return backgroundBySlot[Int(slot % Int64(backgroundBySlot.count))]
    }

    /// Trades booked.
    public var bookingCount: Int { bookings.count }

    public var commitment: Digest32 { bookingCommitment.digest }

    /// Booked flow on `element` in the slot containing `time`, watts.
    public func bookedFlow(element: Int, at time: SimTime) -> Int64 {
        booked[time.nanoseconds / slotLength.nanoseconds]?[element] ?? 0
    }

    /// Booked flows on every element in the slot containing `time`.
    public func bookedFlows(at time: SimTime) -> [Int64] {
        booked[time.nanoseconds / slotLength.nanoseconds] ?? [Int64](repeating: 0, count: network.elements.count)
    }

    public func assess(_ request: GridTradeRequest) -> GridAssessment {
        guard network.feederIndex(request.seller) != nil, network.feederIndex(request.buyer) != nil else {
            return GridAssessment(verdict: .rejected(.incompatibleLocation), loss: .zero)
        }
        guard request.deliveryEnd > request.decidedAt, request.deliveryStart < request.deliveryEnd,
              request.deliveryStart <= request.decidedAt + network.topology.schedulingHorizon else {
            return GridAssessment(verdict: .rejected(.deliveryTime), loss: .zero)
        }
        let booking = plan(request)
        let margin = network.topology.securityMargin
        for slot in booking.firstSlot...booking.lastSlot {
            let background = background(slot)
            let reserved = booked[slot]
            for flow in booking.flows {
                let before = background[flow.element] + (reserved?[flow.element] ?? 0)
                let after = before + flow.watts
                let limit = network.capacityWatts[flow.element] - network.capacityWatts[flow.element] * margin.rawValue / 10_000
                if abs(after) > limit && abs(after) > abs(before) {
                    return GridAssessment(verdict: .rejected(.congestion), loss: .zero)
                }
            }
        }
        let loss = request.energy.share(network.lossShare(from: request.seller, to: request.buyer))
        let touchesPeak = network.topology.peakWindows.contains {
            $0.overlaps(start: request.deliveryStart, end: request.deliveryEnd, calendar: network.calendar)
        }
        return GridAssessment(verdict: touchesPeak ? .conditional(premium: network.topology.peakFee) : .approved,
                              loss: loss)
    }

    public mutating func reserve(_ request: GridTradeRequest, key: Digest32) {
        precondition(bookings[key] == nil, "capacity booked twice under one key")
        let booking = plan(request)
        bookings[key] = booking
        bookingCommitment.insert(Self.digest(key, booking))
        apply(booking, sign: 1)
    }

    public mutating func release(key: Digest32) {
        guard let booking = bookings.removeValue(forKey: key) else { preconditionFailure("releasing an unknown booking") }
        bookingCommitment.remove(Self.digest(key, booking))
        apply(booking, sign: -1)
    }

    /// Complexity: O(bookings × slots each).
    public func retaining(_ keeps: (Digest32) -> Bool) -> GridState {
        var part = self
        for (key, booking) in bookings where !keeps(key) {
            part.bookings[key] = nil
            part.bookingCommitment.remove(Self.digest(key, booking))
            part.apply(booking, sign: -1)
        }
        return part
    }

    /// Complexity: O(`other`'s bookings × slots each).
    public mutating func absorb(_ other: GridState) {
        for (key, booking) in other.bookings {
            precondition(bookings[key] == nil, "a booking is on both sides of a merge")
            bookings[key] = booking
            bookingCommitment.insert(Self.digest(key, booking))
            apply(booking, sign: 1)
        }
    }

    // MARK: Internals

    /// The booking a request needs: its slots and the flows of its average power.
    private func plan(_ request: GridTradeRequest) -> Booking {
        let start = max(request.deliveryStart, request.decidedAt)
        let durationNanos = max(1, request.deliveryEnd.nanoseconds - start.nanoseconds)
        let watts = mulDivFloor(request.energy.rawValue, 3_600_000_000_000, durationNanos) ?? .max
        return Booking(
            request: request, firstSlot: start.nanoseconds / slotLength.nanoseconds,
            lastSlot: (request.deliveryEnd.nanoseconds - 1) / slotLength.nanoseconds,
            flows: network.transferFlows(from: request.seller, to: request.buyer, watts: watts)
                .map { ElementFlow(element: $0.0, watts: $0.1) })
    }

    private mutating func apply(_ booking: Booking, sign: Int64) {
        guard !booking.flows.isEmpty else { return }
        for slot in booking.firstSlot...booking.lastSlot {
            var flows = booked[slot] ?? [Int64](repeating: 0, count: network.elements.count)
            for flow in booking.flows { flows[flow.element] += sign * flow.watts }
            booked[slot] = flows.allSatisfy { $0 == 0 } ? nil : flows
        }
    }

    private func slotMiddle(_ slot: Int64) -> SimTime {
        SimTime(nanoseconds: slot * slotLength.nanoseconds + slotLength.nanoseconds / 2)
    }

    private static func digest(_ key: Digest32, _ booking: Booking) -> Digest32 {
        var encoder = CanonicalEncoder()
        encoder.append(key)
        encoder.append(booking.firstSlot)
        encoder.append(booking.lastSlot)
        for flow in booking.flows {
            encoder.append(UInt32(flow.element))
            encoder.append(flow.watts)
        }
        return encoder.blake2b
    }
}
