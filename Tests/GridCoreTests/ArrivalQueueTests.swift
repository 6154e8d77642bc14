import GridCore
import Testing

@Suite struct ArrivalQueueTests {
    @Test func agreesWithAnArrayOfPairsOverRandomChanges() {
        let draws = RandomStream(masterSeed: 12, name: "test/arrival-queue")
        var queue = ArrivalQueue<Int, Int>()
        var reference: [(key: Int, value: Int)] = []
        var nextKey = 0
        for step in 0..<20_000 {
            if draws.bernoulli(0.48), !reference.isEmpty {
                // Mostly one of the oldest, as a wallet spends; sometimes any, or one not held.
                let key = switch draws.uniformInt(below: 10) {
                case 0: reference[draws.uniformInt(below: reference.count)].key
                case 1: -1 - step
                default: reference[draws.uniformInt(below: min(3, reference.count))].key
                }
                let position = reference.firstIndex { $0.key == key }
                #expect(queue.removeValue(forKey: key) == position.map { reference.remove(at: $0).value })
            } else {
                queue.append(step, forKey: nextKey)
                reference.append((nextKey, step))
                nextKey += 1
            }
            if step % 97 == 0 {
                #expect(queue.map(\.key) == reference.map(\.key), "arrival order at step \(step)")
            }
        }
        #expect(queue.count == reference.count && queue.count > 50)
        #expect(queue.map(\.key) == reference.map(\.key))
        #expect(queue.map(\.value) == reference.map(\.value))
        #expect(queue.underestimatedCount == reference.count)
    }

    @Test func removalsInTheMiddleAndAtTheFrontKeepArrivalOrder() {
        var queue = ArrivalQueue<Int, Int>()
        for key in 0..<1_000 { queue.append(key * 10, forKey: key) }
        // Every other key of the back half, then the oldest: the queue compacts on the way.
        for key in stride(from: 500, to: 1_000, by: 2) { #expect(queue.removeValue(forKey: key) == key * 10) }
        for key in 0..<400 { #expect(queue.removeValue(forKey: key) == key * 10) }
        #expect(queue.count == 350)
        #expect(Array(queue.map(\.key).prefix(3)) == [400, 401, 402])
        #expect(queue.map(\.key).last == 999)
        #expect(queue.removeValue(forKey: 500) == nil, "removed already")
    }

    @Test func aKeyAddedTwiceLeavesOldestFirstAndAnEmptiedQueueStartsAfresh() {
        var queue = ArrivalQueue<String, Int>()
        queue.append(1, forKey: "a")
        queue.append(2, forKey: "b")
        queue.append(3, forKey: "a")
        #expect(queue.removeValue(forKey: "a") == 1)
        #expect(queue.map(\.key) == ["b", "a"])
        #expect(queue.removeValue(forKey: "b") == 2 && queue.removeValue(forKey: "a") == 3)
        #expect(queue.isEmpty && Array(queue).isEmpty)
        queue.append(4, forKey: "c")
        #expect(queue.map(\.value) == [4] && queue.count == 1)
    }
}
