import GridCore
import Ledger
import Scenario

/// One simulated participant: its keys, region, entry validator and next nonce.
struct Participant {
    let keyPair: KeyPair
    let region: Region
    let participantClass: Int32
    let entryNode: NodeID
    var nextNonce: UInt64 = 0
}

/// The participants of a scenario and the random processes that make them submit transactions:
/// per class, a Poisson process of rate count × tx_rate (the superposition of the participants'
/// own Poisson processes), each arrival from a participant drawn uniformly within the class.
struct Workload {
    let classes: [ParticipantClass]
    private(set) var participants: [Participant] = []
    /// The first participant index of each class.
    private var classStart: [Int] = []
    private let arrivalStreams: [RandomStream]
    private let choice: RandomStream
    private let amounts: RandomStream
    private let invalid: RandomStream
    private let invalidShare: BasisPoints
    private let scheme: SignatureScheme

    init(scenario: Scenario, seed: UInt64, validatorRegions: [Region]) {
        classes = scenario.participants
        invalidShare = scenario.workload.invalidShare
        scheme = scenario.consensus.signatureScheme
        arrivalStreams = classes.indices.map {
            RandomStream(masterSeed: seed, name: "workload/arrivals/\($0)-\(scenario.participants[$0].kind)")
        }
        choice = RandomStream(masterSeed: seed, name: "workload/choice")
        amounts = RandomStream(masterSeed: seed, name: "workload/amounts")
        invalid = RandomStream(masterSeed: seed, name: "workload/invalid")
        let keys = RandomStream(masterSeed: seed, name: "keys/participants")
        let latencies = scenario.network.latencies
        let validatorRegionsPresent = Array(Set(validatorRegions)).sorted()
        for (classIndex, participantClass) in classes.enumerated() {
            classStart.append(participants.count)
            let entryRegion = validatorRegions.contains(participantClass.region)
                ? participantClass.region
                : latencies.nearest(to: participantClass.region, among: validatorRegionsPresent)!
            let entryCandidates = validatorRegions.indices.filter { validatorRegions[$0] == entryRegion }
            for member in 0..<participantClass.count {
                participants.append(Participant(
                    keyPair: KeyPair(drawingFrom: keys), region: participantClass.region,
                    participantClass: Int32(classIndex),
                    entryNode: NodeID(entryCandidates[member % entryCandidates.count])))
            }
        }
        classStart.append(participants.count)
    }

    /// The gap until the next arrival of class `index`, or `nil` when the class submits nothing.
    func nextGap(ofClass index: Int) -> SimDuration? {
        let rate = Double(classes[index].count) * classes[index].transactionRatePerSecond
        guard rate > 0 else { return nil }
        return SimDuration(seconds: arrivalStreams[index].exponential(mean: 1 / rate))
    }

    /// A new signed transaction from a participant of class `index`, and that participant.
    mutating func makeTransaction(ofClass index: Int) -> (Transaction, Participant) {
        let start = classStart[index]
        let sender = start + choice.uniformInt(below: classStart[index + 1] - start)
        var recipient = choice.uniformInt(below: participants.count)
        if recipient == sender { recipient = (recipient + 1) % participants.count }
        let amount = MicroTokens(Int64(amounts.lognormal(zeta: 16, sigma: 1).rounded()) + 1)
        let participant = participants[sender]
        let body = TransactionBody(
            sender: participant.keyPair.publicKey, recipient: participants[recipient].keyPair.publicKey,
            amount: amount, nonce: participant.nextNonce, region: participant.region)
        participants[sender].nextNonce += 1
        var transaction = Transaction(body: body, signedBy: participant.keyPair, scheme: scheme)
        if invalidShare.rawValue > 0, invalid.bernoulli(invalidShare.fraction) {
            transaction = Transaction(body: body, signature: transaction.signature.corrupted)
        }
        return (transaction, participant)
    }
}
