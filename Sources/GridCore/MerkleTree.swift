/// A binary Merkle tree over 32-byte leaves with BLAKE2b-256 and domain separation: a leaf hashes
/// as H(0x00 ‖ leaf), an inner node as H(0x01 ‖ left ‖ right). A level with an odd count promotes
/// its last node unchanged, so no leaf is ever duplicated (the CVE-2012-2459 ambiguity of
/// duplicating the last node cannot arise). The empty tree's root is H() — BLAKE2b of nothing.
public struct MerkleTree: Sendable {
    /// Level 0 holds the leaf hashes; the last level holds the root alone.
    private let levels: [[Digest32]]

    /// Builds the tree. Complexity: O(n) hashes.
    public init(leaves: [Digest32]) {
        var levels: [[Digest32]] = [leaves.map(MerkleTree.leafHash)]
        while let last = levels.last, last.count > 1 {
            levels.append(MerkleTree.parentLevel(last))
        }
        self.levels = levels
    }

    /// The number of leaves.
    public var leafCount: Int { levels[0].count }

    /// The root digest.
    public var root: Digest32 { levels.last?.first ?? MerkleTree.emptyRoot }

    /// The root without keeping the tree. Complexity: O(n) hashes, O(n) scratch space.
    public static func root(of leaves: [Digest32]) -> Digest32 {
        guard !leaves.isEmpty else { return emptyRoot }
        var level = leaves.map(leafHash)
        while level.count > 1 {
            level = parentLevel(level)
        }
        return level[0]
    }

    /// The inclusion proof of the leaf at `index`. Complexity: O(log n).
    public func proof(forLeafAt index: Int) -> MerkleProof {
        precondition(index >= 0 && index < leafCount, "leaf index \(index) out of 0..<\(leafCount)")
        var steps: [MerkleProof.Step] = []
        var position = index
        for level in levels.dropLast() {
            let sibling = position ^ 1
            if sibling < level.count {
                steps.append(MerkleProof.Step(sibling: level[sibling], siblingIsLeft: sibling < position))
            }
            position /= 2
        }
        return MerkleProof(leafIndex: index, steps: steps)
    }

    /// BLAKE2b of the empty input.
    public static let emptyRoot: Digest32 = Blake2b.hash([])

    static func leafHash(_ leaf: Digest32) -> Digest32 {
        withUnsafeTemporaryAllocation(byteCount: 33, alignment: 1) { buffer in
            buffer[0] = 0x00
            leaf.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[1..<33]).copyMemory(from: $0) }
            return Blake2b.hash(UnsafeRawBufferPointer(buffer))
        }
    }

    static func nodeHash(_ left: Digest32, _ right: Digest32) -> Digest32 {
        withUnsafeTemporaryAllocation(byteCount: 65, alignment: 1) { buffer in
            buffer[0] = 0x01
            left.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[1..<33]).copyMemory(from: $0) }
            right.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[33..<65]).copyMemory(from: $0) }
            return Blake2b.hash(UnsafeRawBufferPointer(buffer))
        }
    }

    private static func parentLevel(_ level: [Digest32]) -> [Digest32] {
        var parents: [Digest32] = []
        parents.reserveCapacity((level.count + 1) / 2)
        var index = 0
        while index + 1 < level.count {
            parents.append(nodeHash(level[index], level[index + 1]))
            index += 2
        }
        if index < level.count { parents.append(level[index]) }
        return parents
    }
}

/// The path from a leaf to the root.
public struct MerkleProof: Hashable, Sendable {
    /// One sibling on the path.
    public struct Step: Hashable, Sendable {
        public var sibling: Digest32
        public var siblingIsLeft: Bool
    }

    /// Which leaf this proves.
    public var leafIndex: Int
    /// Siblings from the leaf level upward.
    public var steps: [Step]

    /// Whether `leaf` at ``leafIndex`` hashes up to `root`. Complexity: O(log n).
    public func verifies(leaf: Digest32, root: Digest32) -> Bool {
        var digest = MerkleTree.leafHash(leaf)
        for step in steps {
            digest = step.siblingIsLeft
                ? MerkleTree.nodeHash(step.sibling, digest)
                : MerkleTree.nodeHash(digest, step.sibling)
        }
        return digest == root
    }
}
