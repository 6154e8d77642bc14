import GridCore

/// A shard's number: 1, 2, … in the order shards were created (a split's new shard takes the
/// next one; a merged-away shard's number is not reused).
public struct ShardID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: Int

    public init(_ rawValue: Int) {
        precondition(rawValue > 0, "shards are numbered from 1")
        self.rawValue = rawValue
    }

    public static func < (lhs: ShardID, rhs: ShardID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "shard \(rawValue)" }
}

/// Which regions each shard serves: every region in exactly one shard. Transactions and orders
/// route to the shard of their participant's region. Splits and merges change the map; each
/// change bumps ``version``.
public struct ShardMap: Hashable, Sendable {
    /// A shard and its regions, in region order.
    public struct Shard: Hashable, Sendable {
        public let id: ShardID
        public let regions: [Region]
    }

    /// The shards, in id order.
    public private(set) var shards: [Shard]
    /// The shard of each region, by `Region.index`.
    private var shardOfRegion: [ShardID]
    /// The id the next split gives its new shard.
    public private(set) var nextID: ShardID
    /// Changes so far (0 at the start).
    public private(set) var version = 0

    /// A map with shard `i + 1` serving `groups[i]`. Every region must be in exactly one group.
    public init(_ groups: [[Region]]) {
        precondition(!groups.isEmpty && groups.allSatisfy { !$0.isEmpty }, "every shard serves a region")
        let listed = groups.flatMap { $0 }
        precondition(listed.count == Region.allCases.count && Set(listed).count == listed.count,
                     "every region is in exactly one shard")
        shards = groups.enumerated().map { Shard(id: ShardID($0.offset + 1), regions: $0.element.sorted()) }
        shardOfRegion = Array(repeating: ShardID(1), count: Region.allCases.count)
        nextID = ShardID(groups.count + 1)
        reindex()
    }

    public var count: Int { shards.count }

    /// The shard serving `region`. O(1).
    public func shard(of region: Region) -> ShardID { shardOfRegion[region.index] }

    /// The regions `shard` serves, empty for a shard that no longer exists.
    public func regions(of shard: ShardID) -> [Region] {
        shards.first { $0.id == shard }?.regions ?? []
    }

    public func contains(_ shard: ShardID) -> Bool { shards.contains { $0.id == shard } }

    /// Moves `regions` (some, not all, of `shard`'s) to a new shard and returns its id.
    public mutating func split(_ shard: ShardID, moving regions: [Region]) -> ShardID {
        let current = self.regions(of: shard)
        precondition(!regions.isEmpty && regions.allSatisfy(current.contains) && regions.count < current.count,
                     "a split moves some of the shard's regions, not all")
        let id = nextID
        nextID = ShardID(id.rawValue + 1)
        shards = shards.map { $0.id == shard ? Shard(id: shard, regions: current.filter { !regions.contains($0) }) : $0 }
        shards.append(Shard(id: id, regions: regions.sorted()))
        version += 1
        reindex()
        return id
    }

    /// Moves every region of `absorbed` into `survivor` and removes `absorbed`.
    public mutating func merge(_ absorbed: ShardID, into survivor: ShardID) {
        precondition(absorbed != survivor && contains(absorbed) && contains(survivor), "a merge joins two shards")
        let joined = (regions(of: survivor) + regions(of: absorbed)).sorted()
        shards = shards.compactMap {
            $0.id == absorbed ? nil : $0.id == survivor ? Shard(id: survivor, regions: joined) : $0
        }
        version += 1
        reindex()
    }

    /// What is wrong with the map, empty when every region is served by exactly one shard and
    /// the index agrees (the simulator's `shard-map` checker).
    public var problems: [String] {
        var problems: [String] = []
        for region in Region.allCases {
            let serving = shards.filter { $0.regions.contains(region) }
            if serving.count != 1 { problems.append("\(region) is served by \(serving.count) shards") }
            if let only = serving.first, only.id != shardOfRegion[region.index] {
                problems.append("\(region) routes to \(shardOfRegion[region.index]) but \(only.id) serves it")
            }
        }
        return problems
    }

    private mutating func reindex() {
        for shard in shards {
            for region in shard.regions { shardOfRegion[region.index] = shard.id }
        }
    }
}
