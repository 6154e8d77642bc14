import GridCore
import Sharding
import Testing

@Suite struct ShardMapTests {
    @Test func routesEveryRegionToExactlyOneShard() {
        let map = ShardMap([[.bangkok, .east], [.north, .northeast, .south]])
        #expect(map.shard(of: .east) == ShardID(1))
        #expect(map.shard(of: .south) == ShardID(2))
        #expect(map.problems.isEmpty)
        #expect(map.nextID == ShardID(3))
    }

    @Test func splitMovesRegionsToANewShardAndMergeBringsThemBack() {
        var map = ShardMap([[.bangkok, .east], [.north, .northeast, .south]])
        let new = map.split(ShardID(1), moving: [.east])
        #expect(new == ShardID(3))
        #expect(map.regions(of: ShardID(1)) == [.bangkok])
        #expect(map.shard(of: .east) == new)
        #expect(map.problems.isEmpty && map.version == 1)
        map.merge(new, into: ShardID(2))
        #expect(map.count == 2)
        #expect(map.regions(of: ShardID(2)) == [.north, .northeast, .east, .south].sorted())
        #expect(map.shard(of: .east) == ShardID(2))
        #expect(!map.contains(new) && map.problems.isEmpty && map.version == 2)
        // Numbers are not reused.
        #expect(map.split(ShardID(2), moving: [.south]) == ShardID(4))
    }
}

@Suite struct CommitteeSelectionTests {
    private func candidates(_ stakes: [Int64]) -> [CommitteeCandidate] {
        stakes.enumerated().map {
            CommitteeCandidate(validator: $0.offset, stake: $0.element, reputation: 5_000,
                               region: Region.allCases[$0.offset % Region.allCases.count])
        }
    }

    @Test func choosesDistinctValidatorsDeterministically() {
        let pool = candidates([1_000, 1_000, 1_000, 1_000, 1_000, 1_000])
        let salt = Blake2b.hash(Array("shard 3".utf8))
        let first = CommitteeSelection.choose(4, from: pool, salt: salt)
        #expect(first.count == 4 && Set(first).count == 4)
        #expect(first == CommitteeSelection.choose(4, from: pool, salt: salt))
        #expect(CommitteeSelection.choose(9, from: pool, salt: salt).count == 6)
    }

    @Test func prefersStakeAndReputation() {
        var pool = candidates([100, 10_000, 100, 10_000, 100])
        pool[2].reputation = 10_000
        pool[4].reputation = 0
        let chosen = CommitteeSelection.choose(2, from: pool, salt: .zero)
        #expect(Set(chosen) == [1, 3])
        #expect(!CommitteeSelection.choose(4, from: pool, salt: .zero).contains(4))
    }
}
