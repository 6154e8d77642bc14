import GridCore
import Testing

@Suite struct ChunkedMapTests {
    private func key(_ index: Int) -> Digest32 { Blake2b.hash([UInt8(index & 0xff), UInt8(index >> 8), 0x4b]) }

    @Test func agreesWithADictionaryOverRandomChanges() {
        let draws = RandomStream(masterSeed: 11, name: "test/chunked-map")
        var map = ChunkedMap<Digest32, Int>()
        var reference: [Digest32: Int] = [:]
        for step in 0..<20_000 {
            let target = key(draws.uniformInt(below: 3_000))
            if draws.bernoulli(0.35) {
                #expect(map.removeValue(forKey: target) == reference.removeValue(forKey: target))
            } else {
                #expect(map.updateValue(step, forKey: target) == reference.updateValue(step, forKey: target))
            }
        }
        #expect(map.count == reference.count)
        #expect(map.count > 1_000, "enough entries to have grown several times")
        for (key, value) in reference { #expect(map[key] == value) }
        var seen = 0
        for (key, value) in map {
            #expect(reference[key] == value)
            seen += 1
        }
        #expect(seen == map.count)
        #expect(map.underestimatedCount == reference.count)
    }

    @Test func aCopyIsIndependentOfTheOriginal() {
        var original = ChunkedMap<Digest32, Int>()
        for index in 0..<500 { original[key(index)] = index }
        var copy = original
        for index in 0..<100 { copy[key(index)] = nil }
        copy[key(9_999)] = -1
        copy[key(300)] = 7
        #expect(original.count == 500 && copy.count == 401)
        #expect(original[key(42)] == 42 && copy[key(42)] == nil)
        #expect(original[key(300)] == 300 && copy[key(300)] == 7)
        #expect(original[key(9_999)] == nil && copy[key(9_999)] == -1)
        #expect(original != copy)
        copy[key(9_999)] = nil
        copy[key(300)] = 300
        for index in 0..<100 { copy[key(index)] = index }
        #expect(original == copy, "the same entries, whatever order they were added in")
    }

    @Test func reservingRoomKeepsTheEntriesAndSparesTheGrowthLater() {
        var map = ChunkedMap<UInt64, UInt64>()
        for index in UInt64(0)..<300 { map[index] = index + 1 }
        let before = map
        map.reserveCapacity(10_000)
        #expect(map == before, "the same entries after the rehash")
        #expect(map.capacity >= 10_000)
        let reserved = map.capacity
        for index in UInt64(300)..<10_000 { map[index] = index + 1 }
        #expect(map.capacity == reserved, "filling up to the reserved size does not grow the map")
        map.reserveCapacity(5_000)
        #expect(map.capacity == reserved, "a smaller reservation changes nothing")
        #expect(map.count == 10_000 && map[9_999] == 10_000 && map[0] == 1)
        for index in UInt64(10_000)..<UInt64(reserved) { map[index] = 1 }
        #expect(map.capacity == reserved, "full to the last place")
        map[UInt64(reserved)] = 1
        #expect(map.capacity == 2 * reserved, "one entry more doubles it")
        #expect(map.count == reserved + 1 && map[0] == 1 && map[UInt64(reserved)] == 1)
    }

    @Test func filtersAndSetsBehaveLikeTheirStandardTwins() {
        var map = ChunkedMap<UInt64, UInt64>(minimumCapacity: 1_000)
        for index in UInt64(0)..<1_000 { map[index] = index * 3 }
        let even = map.filter { $0.key % 2 == 0 }
        #expect(even.count == 500 && even.values.allSatisfy { $0 % 6 == 0 })
        #expect(Set(even.keys) == Set(stride(from: UInt64(0), to: 1_000, by: 2)))

        var set = ChunkedSet<UInt64>()
        #expect(set.insert(4) && !set.insert(4))
        #expect(set.contains(4) && !set.contains(5))
        var other = ChunkedSet<UInt64>()
        for value in UInt64(3)..<7 { other.insert(value) }
        set.formUnion(other)
        #expect(Set(set) == [3, 4, 5, 6])
        #expect(set.remove(5) && !set.remove(5) && set.count == 3)
    }
}

@Suite struct MemoTableTests {
    @Test func answersWhatItStillHoldsAndNothingElse() {
        var memo = MemoTable<UInt64, Int>(initialSlots: 4, maximumSlots: 64)
        var reference: [UInt64: Int] = [:]
        let draws = RandomStream(masterSeed: 12, name: "test/memo-table")
        for step in 0..<2_000 {
            let key = UInt64(draws.uniformInt(below: 500))
            if let held = memo.value(for: key) { #expect(held == reference[key], "a held answer is the last one stored") }
            memo.store(step, for: key)
            reference[key] = step
            #expect(memo.value(for: key) == step)
        }
        let held = reference.keys.filter { memo.value(for: $0) != nil }
        #expect(held.count <= 64 && held.count > 16, "grown to its maximum, then evicting")
    }
}
