import Consensus
import GridCore
import Ledger
import Sharding
import Testing

/// Commit certificates checked against the committee directory: what makes a cross-shard
/// receipt trustworthy.
@Suite struct CommitteeDirectoryTests {
    let keys: [KeyPair]
    let committee: ValidatorSet
    let block: Block

    init() {
        let stream = RandomStream(masterSeed: 4, name: "directory-tests")
        keys = (0..<4).map { _ in KeyPair(drawingFrom: stream) }
        committee = ValidatorSet(keys.enumerated().map { index, key in
            Validator(id: NodeID(index), publicKey: key.publicKey, stake: 100, region: .bangkok)
        })
        block = Block(height: 7, round: 0, parentHash: Block.genesisHash, proposer: NodeID(0), timestamp: .zero + .seconds(7),
                      transactions: [], lastCommit: [], evidence: [])
    }

    private func precommits(by voters: [Int], for hash: Digest32? = nil, height: UInt64 = 7) -> [Vote] {
        voters.map { Vote(kind: .precommit, height: height, round: 0, blockHash: hash ?? block.hash, voter: NodeID($0),
                          keyPair: keys[$0], scheme: .ed25519) }
    }

    private func verifies(_ certificate: CommitCertificate, in directory: CommitteeDirectory) -> Bool {
        var work = WorkMeter()
        return directory.verifies(certificate, verifier: SignatureVerifier(), work: &work)
    }

    @Test func aQuorumOfTheChainsCommitteeVerifies() {
        let directory = CommitteeDirectory()
        directory.register(chain: 3, committee: committee)
        let certificate = CommitCertificate(chain: 3, header: block.header, precommits: precommits(by: [0, 1, 2]))
        #expect(certificate.digest == block.hash, "the header hashes to the block's hash")
        #expect(verifies(certificate, in: directory))
    }

    @Test func certificatesWithoutAQuorumOrForAnotherBlockOrChainFail() {
        let directory = CommitteeDirectory()
        directory.register(chain: 3, committee: committee)
        // Two of four is not more than two thirds.
        #expect(!verifies(CommitCertificate(chain: 3, header: block.header, precommits: precommits(by: [0, 1])), in: directory))
        // The same voter twice does not count twice.
        #expect(!verifies(CommitCertificate(chain: 3, header: block.header, precommits: precommits(by: [0, 1, 1])), in: directory))
        // Precommits for another block, or at another height.
        let other = Blake2b.hash(Array("another block".utf8))
        #expect(!verifies(CommitCertificate(chain: 3, header: block.header, precommits: precommits(by: [0, 1, 2], for: other)), in: directory))
        #expect(!verifies(CommitCertificate(chain: 3, header: block.header, precommits: precommits(by: [0, 1, 2], height: 8)), in: directory))
        // A header altered after signing (another transaction root) no longer matches the votes.
        var forged = block.header
        forged.transactionRoot = other
        #expect(!verifies(CommitCertificate(chain: 3, header: forged, precommits: precommits(by: [0, 1, 2])), in: directory))
        // A chain the directory does not know.
        #expect(!verifies(CommitCertificate(chain: 4, header: block.header, precommits: precommits(by: [0, 1, 2])), in: directory))
        // A forged signature.
        var votes = precommits(by: [0, 1, 2])
        votes[2] = Vote(kind: .precommit, height: 7, round: 0, blockHash: block.hash, voter: NodeID(2),
                        signature: votes[2].signature.corrupted)
        #expect(!verifies(CommitCertificate(chain: 3, header: block.header, precommits: votes), in: directory))
    }
}
