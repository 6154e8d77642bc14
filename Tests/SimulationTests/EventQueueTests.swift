import GridCore
import Node
import Simulation
import Testing

@Suite struct EventQueueTests {
    private func timerNode(_ event: Event) -> UInt32? {
        if case .nodeReady(let node) = event { return node.rawValue }
        return nil
    }

    @Test func popsInTimeOrderAndSchedulingOrderWithinATime() {
        var queue = EventQueue()
        let stream = RandomStream(masterSeed: 1, name: "queue-test")
        var expected: [(Int64, UInt32)] = []
        for index in 0..<2_000 {
            let time = Int64(stream.uniformInt(below: 50))
            queue.schedule(.nodeReady(node: NodeID(index)), at: SimTime(nanoseconds: time))
            expected.append((time, UInt32(index)))
        }
        expected.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        var popped: [(Int64, UInt32)] = []
        while let (time, event) = queue.popNext() {
            popped.append((time.nanoseconds, timerNode(event)!))
        }
        #expect(popped.map(\.0) == expected.map(\.0))
        #expect(popped.map(\.1) == expected.map(\.1))
    }

    /// Events taken free their slots and later events reuse them: each still comes out with its
    /// own payload, in (time, scheduling) order.
    @Test func reusedSlotsKeepEachEventsPayloadAndOrder() {
        var queue = EventQueue()
        let stream = RandomStream(masterSeed: 2, name: "queue-reuse-test")
        var waiting: [(time: Int64, sequence: Int, id: UInt32)] = []
        var popped: [(Int64, UInt32)] = []
        var expected: [(Int64, UInt32)] = []
        var now: Int64 = 0
        var sequence = 0
        for round in 0..<20 {
            for _ in 0..<(50 + stream.uniformInt(below: 50)) {
                let time = now + Int64(stream.uniformInt(below: 30))
                let id = UInt32(sequence)
                queue.schedule(.nodeReady(node: NodeID(id)), at: SimTime(nanoseconds: time))
                waiting.append((time, sequence, id))
                sequence += 1
            }
            waiting.sort { ($0.time, $0.sequence) < ($1.time, $1.sequence) }
            let taking = round == 19 ? waiting.count : waiting.count / 2
            expected += waiting.prefix(taking).map { ($0.time, $0.id) }
            waiting.removeFirst(taking)
            for _ in 0..<taking {
                let (time, event) = queue.popNext()!
                popped.append((time.nanoseconds, timerNode(event)!))
                now = time.nanoseconds
            }
        }
        #expect(queue.isEmpty && queue.popNext() == nil)
        #expect(popped.map(\.0) == expected.map(\.0))
        #expect(popped.map(\.1) == expected.map(\.1))
    }

    @Test func loopStopsAtTheTimeLimit() {
        var loop = EventLoop()
        for second in 1...10 {
            loop.schedule(.nodeReady(node: NodeID(second)), at: .zero + .seconds(Int64(second)))
        }
        var handled: [UInt32] = []
        let reason = loop.run(until: RunLimit(endTime: .zero + .seconds(5))) { _, event in
            handled.append(timerNode(event)!)
        }
        #expect(reason == .timeLimit)
        #expect(handled == [1, 2, 3, 4, 5])
        #expect(loop.now == .zero + .seconds(5))
        #expect(loop.pendingEvents == 5)
    }

    @Test func loopStopsAtTheEventLimitAndTheStopCondition() {
        var loop = EventLoop()
        for index in 0..<10 { loop.schedule(.nodeReady(node: NodeID(index)), at: .zero + .seconds(1)) }
        #expect(loop.run(until: RunLimit(endTime: .distantFuture, maxEvents: 3)) { _, _ in } == .eventLimit)
        #expect(loop.processedEvents == 3)
        var count = 0
        let reason = loop.run(until: RunLimit(endTime: .distantFuture, stopCondition: { count == 2 })) { _, _ in
            count += 1
        }
        #expect(reason == .stopCondition)
        #expect(loop.processedEvents == 5)
        #expect(loop.run(until: RunLimit(endTime: .distantFuture)) { _, _ in } == .drained)
    }

    @Test func handlersScheduleFollowUps() {
        var loop = EventLoop()
        loop.schedule(.nodeReady(node: NodeID(0)), at: .zero)
        var times: [SimTime] = []
        _ = loop.run(until: RunLimit(endTime: .zero + .seconds(1))) { loop, event in
            times.append(loop.now)
            if let node = timerNode(event), node < 3 {
                loop.schedule(.nodeReady(node: NodeID(Int(node) + 1)), at: loop.now + .milliseconds(10))
            }
        }
        #expect(times.map(\.nanoseconds) == [0, 10_000_000, 20_000_000, 30_000_000])
    }
}
