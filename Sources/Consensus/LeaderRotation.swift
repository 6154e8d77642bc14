import GridCore
import Ledger

/// What the consensus state machine asks its host to do.
public enum ConsensusAction: Sendable {
    /// Send this proposal to every other validator.
    case broadcastProposal(Proposal)
    /// Send this vote to every other validator.
    case broadcastVote(Vote)
    /// Call ``LeaderRotation/proposalDue(height:now:transactions:work:actions:isAcceptable:)`` at this time.
    case scheduleProposal(height: UInt64, at: SimTime)
    /// The block is final: more than 2/3 of stake voted for it.
    case commit(Block, votes: [Vote])
}

/// The first run's consensus rule (to be replaced by the round-based BFT protocol): the leader of
/// height h is validator h mod n; it proposes one block every `blockInterval`; every validator
/// that accepts the proposal broadcasts a signed vote; a validator commits the block once it holds
/// the block and votes from more than 2/3 of stake.
///
/// Safe only while every validator is honest and nobody crashes: there are no rounds, no
/// timeouts and no locks. Sans-I/O: it reads no clock and sends nothing itself.
public struct LeaderRotation {
    public let validators: ValidatorSet
    public let me: NodeID
    public let blockInterval: SimDuration
    public let maxBlockTransactions: Int
    private let keyPair: KeyPair
    private let scheme: SignatureScheme

    /// The height being decided.
    public private(set) var height: UInt64 = 1
    /// The hash of the last committed block.
    public private(set) var lastCommittedHash = Block.genesisHash
    /// When the last committed block was proposed.
    private var lastCommittedTimestamp = SimTime.zero

    private var proposals: [UInt64: Proposal] = [:]
    /// Votes per height, per block hash, in arrival order.
    private var votes: [UInt64: [Digest32: [Vote]]] = [:]
    private var votedStake: [UInt64: [Digest32: Int64]] = [:]
    private var voted: [UInt64: [NodeID: Digest32]] = [:]

    public init(validators: ValidatorSet, me: NodeID, keyPair: KeyPair, scheme: SignatureScheme,
                blockInterval: SimDuration, maxBlockTransactions: Int) {
        precondition(validators[me].publicKey == keyPair.publicKey, "key pair must be this validator's")
        precondition(maxBlockTransactions > 0)
        self.validators = validators
        self.me = me
        self.keyPair = keyPair
        self.scheme = scheme
        self.blockInterval = blockInterval
        self.maxBlockTransactions = maxBlockTransactions
    }

    /// The leader of `height`.
    public func leader(of height: UInt64) -> NodeID {
        NodeID(Int(height % UInt64(validators.count)))
    }

    /// Starts the protocol at time zero.
    public mutating func start(actions: inout [ConsensusAction]) {
        scheduleOwnProposal(actions: &actions)
    }

    /// The proposal timer fired: build and broadcast a block from `transactions`.
    public mutating func proposalDue(height: UInt64, now: SimTime, transactions: [Transaction],
                                     work: inout WorkMeter, actions: inout [ConsensusAction],
                                     isAcceptable: (Block, inout WorkMeter) -> Bool) {
        guard height == self.height, leader(of: height) == me, proposals[height] == nil else { return }
        precondition(transactions.count <= maxBlockTransactions)
        let block = Block(height: height, parentHash: lastCommittedHash, proposer: me, timestamp: now,
                          transactions: transactions)
        work.merkleLeaves += transactions.count
        work.signaturesMade += 1
        let proposal = Proposal(block: block, signature: keyPair.sign(block.hash, scheme: scheme))
        proposals[height] = proposal
        actions.append(.broadcastProposal(proposal))
        castVote(for: block, work: &work, actions: &actions)
        tryCommit(work: &work, actions: &actions, isAcceptable: isAcceptable)
    }

    /// A proposal arrived. `isAcceptable` checks the block's transactions (the host knows the ledger).
    public mutating func receive(_ proposal: Proposal, verifier: SignatureVerifier, work: inout WorkMeter,
                                 actions: inout [ConsensusAction], isAcceptable: (Block, inout WorkMeter) -> Bool) {
        let block = proposal.block
        guard block.height >= height, proposals[block.height] == nil,
              block.proposer == leader(of: block.height) else { return }
        work.signaturesChecked += 1
        guard verifier.verify(proposal.signature, of: block.hash, by: validators[block.proposer].publicKey) else {
            return
        }
        work.merkleLeaves += block.transactions.count
        guard MerkleTree.root(of: block.transactions.map(\.id)) == block.transactionRoot else { return }
        proposals[block.height] = proposal
        if block.height == height {
            considerCurrentProposal(work: &work, actions: &actions, isAcceptable: isAcceptable)
        }
    }

    /// A vote arrived.
    public mutating func receive(_ vote: Vote, verifier: SignatureVerifier, work: inout WorkMeter,
                                 actions: inout [ConsensusAction], isAcceptable: (Block, inout WorkMeter) -> Bool) {
        guard vote.height >= height, vote.voter.index < validators.count,
              voted[vote.height]?[vote.voter] == nil else { return }
        work.signaturesChecked += 1
        let digest = Vote.signedDigest(height: vote.height, blockHash: vote.blockHash)
        guard verifier.verify(vote.signature, of: digest, by: validators[vote.voter].publicKey) else { return }
        record(vote)
        if vote.height == height {
            tryCommit(work: &work, actions: &actions, isAcceptable: isAcceptable)
        }
    }

    private mutating func considerCurrentProposal(work: inout WorkMeter, actions: inout [ConsensusAction],
                                                  isAcceptable: (Block, inout WorkMeter) -> Bool) {
        guard let proposal = proposals[height], proposal.block.parentHash == lastCommittedHash else { return }
        if voted[height]?[me] == nil, isAcceptable(proposal.block, &work) {
            castVote(for: proposal.block, work: &work, actions: &actions)
        }
        tryCommit(work: &work, actions: &actions, isAcceptable: isAcceptable)
    }

    private mutating func castVote(for block: Block, work: inout WorkMeter, actions: inout [ConsensusAction]) {
        work.signaturesMade += 1
        let digest = Vote.signedDigest(height: block.height, blockHash: block.hash)
        let vote = Vote(height: block.height, blockHash: block.hash, voter: me,
                        signature: keyPair.sign(digest, scheme: scheme))
        record(vote)
        actions.append(.broadcastVote(vote))
    }

    private mutating func record(_ vote: Vote) {
        voted[vote.height, default: [:]][vote.voter] = vote.blockHash
        votes[vote.height, default: [:]][vote.blockHash, default: []].append(vote)
        votedStake[vote.height, default: [:]][vote.blockHash, default: 0] += validators[vote.voter].stake
    }

    private mutating func tryCommit(work: inout WorkMeter, actions: inout [ConsensusAction],
                                    isAcceptable: (Block, inout WorkMeter) -> Bool) {
        guard let proposal = proposals[height],
              validators.isQuorum(votedStake[height]?[proposal.block.hash] ?? 0) else { return }
        let block = proposal.block
        actions.append(.commit(block, votes: votes[height]?[block.hash] ?? []))
        lastCommittedHash = block.hash
        lastCommittedTimestamp = block.timestamp
        proposals[height] = nil
        votes[height] = nil
        votedStake[height] = nil
        voted[height] = nil
        height += 1
        scheduleOwnProposal(actions: &actions)
        if proposals[height] != nil {
            considerCurrentProposal(work: &work, actions: &actions, isAcceptable: isAcceptable)
        } else if votedStake[height] != nil {
            tryCommit(work: &work, actions: &actions, isAcceptable: isAcceptable)
        }
    }

    private func scheduleOwnProposal(actions: inout [ConsensusAction]) {
        guard leader(of: height) == me else { return }
        let due = height == 1 ? SimTime.zero + blockInterval : lastCommittedTimestamp + blockInterval
        actions.append(.scheduleProposal(height: height, at: due))
    }
}
