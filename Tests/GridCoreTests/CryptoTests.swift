import GridCore
import Testing

@Suite struct DigestTests {
    @Test func blake2b256KnownAnswers() {
        #expect(Blake2b.hash([]).hex == "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8")
        #expect(Blake2b.hash(Array("abc".utf8)).hex == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319")
    }

    @Test func sha256KnownAnswer() {
        #expect(SHA256.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func incrementalHasherMatchesOneShot() {
        let bytes = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let hasher = Blake2bHasher()
        hasher.update(Array(bytes[0..<123]))
        hasher.update(Array(bytes[123...]))
        #expect(hasher.finalize() == Blake2b.hash(bytes))
    }

    @Test func canonicalEncodingIsLittleEndianAndLengthPrefixed() {
        var encoder = CanonicalEncoder()
        encoder.append(UInt32(0x0102_0304))
        encoder.append("hi")
        #expect(encoder.bytes == [0x04, 0x03, 0x02, 0x01, 2, 0, 0, 0, 0x68, 0x69])
    }
}

@Suite struct SignatureTests {
    /// RFC 8032, section 7.1, test 1: the public key derived from the secret seed.
    @Test func ed25519KeyDerivationMatchesRFC8032() {
        let seed = Bytes32(hexBytes("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        let keyPair = KeyPair(seed: seed)
        #expect(keyPair.publicKey.bytes.hex == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    }

    @Test func signAndVerify() {
        let stream = RandomStream(masterSeed: 7, name: "test/keys")
        let alice = KeyPair(drawingFrom: stream)
        let bob = KeyPair(drawingFrom: stream)
        let message = Blake2b.hash(Array("transfer 5 tokens".utf8))
        let signature = alice.sign(message)
        #expect(Ed25519.verify(signature, of: message, by: alice.publicKey))
        #expect(!Ed25519.verify(signature, of: message, by: bob.publicKey))
        #expect(!Ed25519.verify(signature.corrupted, of: message, by: alice.publicKey))
        #expect(!Ed25519.verify(signature, of: Blake2b.hash([1]), by: alice.publicKey))
        #expect(alice.sign(message) == signature, "ed25519 signing is deterministic")
    }

    @Test func modelledSchemeDetectsCorruption() {
        let keyPair = KeyPair(drawingFrom: RandomStream(masterSeed: 1, name: "test/modelled"))
        let message = Blake2b.hash([42])
        let tag = keyPair.sign(message, scheme: .modelled)
        #expect(Ed25519.verify(tag, of: message, by: keyPair.publicKey, scheme: .modelled))
        #expect(!Ed25519.verify(tag.corrupted, of: message, by: keyPair.publicKey, scheme: .modelled))
        #expect(!Ed25519.verify(tag, of: message, by: keyPair.publicKey, scheme: .ed25519))
    }

    @Test func keysDerivedFromTheSameStreamStateAreEqual() {
        let a = KeyPair(drawingFrom: RandomStream(masterSeed: 3, name: "keys"))
        let b = KeyPair(drawingFrom: RandomStream(masterSeed: 3, name: "keys"))
        let c = KeyPair(drawingFrom: RandomStream(masterSeed: 4, name: "keys"))
        #expect(a.publicKey == b.publicKey)
        #expect(a.publicKey != c.publicKey)
    }

    /// Batches that fit in one task and batches spread over several give the keys one at a
    /// time would, in order, and leave the stream where those calls would.
    @Test(arguments: [0, 1, 511, 1_300])
    func drawingABatchGivesTheKeysOfOneDrawAtATime(count: Int) {
        let batchStream = RandomStream(masterSeed: 5, name: "keys")
        let oneByOne = RandomStream(masterSeed: 5, name: "keys")
        let batch = KeyPair.drawing(count, from: batchStream)
        let expected = (0..<count).map { _ in KeyPair(drawingFrom: oneByOne).publicKey }
        #expect(batch.map(\.publicKey) == expected)
        #expect(batchStream.nextBytes32() == oneByOne.nextBytes32())
        if let last = batch.last {
            let digest = Blake2b.hash(Array("batch".utf8))
            #expect(Ed25519.verify(last.sign(digest), of: digest, by: last.publicKey))
        }
    }

    @Test func verifierCachesAnswersButCountsEveryCheck() {
        let keyPair = KeyPair(drawingFrom: RandomStream(masterSeed: 9, name: "test/cache"))
        let message = Blake2b.hash([9])
        let good = keyPair.sign(message)
        let verifier = SignatureVerifier()
        #expect(verifier.verify(good, of: message, by: keyPair.publicKey))
        #expect(verifier.verify(good, of: message, by: keyPair.publicKey))
        #expect(!verifier.verify(good.corrupted, of: message, by: keyPair.publicKey))
        #expect(!verifier.verify(good.corrupted, of: message, by: keyPair.publicKey))
        #expect(verifier.computedVerifications == 2)
        #expect(verifier.cacheHits == 2)
    }

    @Test func verifierEvictionNeverChangesAnAnswer() {
        let keyPair = KeyPair(drawingFrom: RandomStream(masterSeed: 10, name: "test/evict"))
        let messages = (0..<20).map { Blake2b.hash([UInt8($0)]) }
        let signatures = messages.map { keyPair.sign($0) }
        let verifier = SignatureVerifier(capacity: 4)
        for round in 0..<3 {
            for (index, message) in messages.enumerated() {
                let signature = index.isMultiple(of: 3) ? signatures[index].corrupted : signatures[index]
                #expect(verifier.verify(signature, of: message, by: keyPair.publicKey) == !index.isMultiple(of: 3),
                        "round \(round), message \(index)")
            }
        }
        #expect(verifier.computedVerifications > 20, "four slots force recomputation")
    }

    /// Prefetched claims nobody asks for (transactions refused before their signature check,
    /// as by a full mempool) cannot keep the helper's table of 65,536 full: it sheds the stale
    /// half at most once every 32,768 prefetches, and answers stay right.
    @Test func claimsNeverAskedForAreShedFromTheHelpersTable() {
        let keyPair = KeyPair(drawingFrom: RandomStream(masterSeed: 11, name: "test/ahead"))
        let verifier = SignatureVerifier(scheme: .modelled, verifyingAhead: true)
        let stale = 200_000
        let signature = keyPair.sign(Blake2b.hash([1]), scheme: .modelled)
        for index in 0..<stale {
            verifier.prefetch(signature, of: Blake2b.hash(withUnsafeBytes(of: index) { Array($0) }), by: keyPair.publicKey)
        }
        #expect(verifier.aheadTableSheds >= 1 && verifier.aheadTableSheds <= stale / 32_768, "\(verifier.aheadTableSheds)")
        let message = Blake2b.hash([2])
        let good = keyPair.sign(message, scheme: .modelled)
        verifier.prefetch(good, of: message, by: keyPair.publicKey)
        verifier.prefetch(good.corrupted, of: message, by: keyPair.publicKey)
        #expect(verifier.verify(good, of: message, by: keyPair.publicKey))
        #expect(!verifier.verify(good.corrupted, of: message, by: keyPair.publicKey))
        #expect(SignatureVerifier().aheadTableSheds == 0)
    }
}

@Suite struct MerkleTests {
    private func leaves(_ count: Int) -> [Digest32] {
        (0..<count).map { Blake2b.hash([UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)]) }
    }

    @Test func emptyAndSingleLeafRoots() {
        #expect(MerkleTree.root(of: []) == Blake2b.hash([]))
        let one = leaves(1)
        #expect(MerkleTree.root(of: one) != one[0], "a leaf is hashed with its domain tag")
        #expect(MerkleTree(leaves: one).root == MerkleTree.root(of: one))
    }

    @Test(arguments: [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 100])
    func everyLeafProvesInclusion(count: Int) {
        let items = leaves(count)
        let tree = MerkleTree(leaves: items)
        #expect(tree.root == MerkleTree.root(of: items))
        for index in items.indices {
            let proof = tree.proof(forLeafAt: index)
            #expect(proof.verifies(leaf: items[index], root: tree.root))
            #expect(!proof.verifies(leaf: Blake2b.hash([0xff, 0xff, 0xff]), root: tree.root))
        }
    }

    @Test func tamperedProofFails() {
        let items = leaves(10)
        let tree = MerkleTree(leaves: items)
        var proof = tree.proof(forLeafAt: 3)
        proof.steps[1].sibling = Blake2b.hash([1, 2, 3])
        #expect(!proof.verifies(leaf: items[3], root: tree.root))
    }

    @Test func orderMatters() {
        let items = leaves(6)
        #expect(MerkleTree.root(of: items) != MerkleTree.root(of: items.reversed()))
    }
}

func hexBytes(_ hex: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        bytes.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}
