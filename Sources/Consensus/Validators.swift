import GridCore

/// One member of the validator set.
public struct Validator: Hashable, Sendable {
    public var id: NodeID
    public var publicKey: PublicKey
    /// Voting power.
    public var stake: Int64
    public var region: Region

    public init(id: NodeID, publicKey: PublicKey, stake: Int64, region: Region) {
        precondition(stake > 0, "a validator needs positive stake")
        self.id = id
        self.publicKey = publicKey
        self.stake = stake
        self.region = region
    }
}

/// The validators of a chain, indexed by ``NodeID`` (ids are 0..<count, in order).
public struct ValidatorSet: Sendable {
    /// Validators in id order.
    public let members: [Validator]
    /// The sum of all stake.
    public let totalStake: Int64

    public init(_ members: [Validator]) {
        precondition(!members.isEmpty, "a validator set needs members")
        for (index, member) in members.enumerated() {
            precondition(member.id.index == index, "validator ids must be 0..<count in order")
        }
        self.members = members
        self.totalStake = members.reduce(0) { $0 + $1.stake }
    }

    public var count: Int { members.count }

    public subscript(id: NodeID) -> Validator { members[id.index] }

    /// Whether `stake` is more than two thirds of the total (3 × stake > 2 × total, in integers).
    @inlinable
    public func isQuorum(_ stake: Int64) -> Bool {
        3 * stake > 2 * totalStake
    }
}
