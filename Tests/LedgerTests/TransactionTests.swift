import GridCore
import Ledger
import Testing

@Suite struct TransactionTests {
    let stream = RandomStream(masterSeed: 11, name: "ledger-tests/keys")

    private func transfer(_ signer: KeyPair, to recipient: PublicKey, amount: Int64, nonce: UInt64 = 0,
                          fee: Int64 = 1_000) -> Transaction {
        Transaction(signedBy: signer, region: .north,
                    kind: .transfer(inputs: [OutPoint(transaction: Blake2b.hash([1]), index: 0)],
                                    outputs: [TxOutput(owner: recipient, asset: .payment, amount: amount)]),
                    fee: MicroTokens(fee), validUntil: .zero + .seconds(60), nonce: nonce, scheme: .ed25519)
    }

    @Test func idIsTheDigestOfTheContentAndTheSignatureChecks() {
        let alice = KeyPair(drawingFrom: stream)
        let bob = KeyPair(drawingFrom: stream)
        let transaction = transfer(alice, to: bob.publicKey, amount: 5)
        #expect(transaction.hasValidSignature(SignatureVerifier()))
        #expect(!transaction.withCorruptedSignature().hasValidSignature(SignatureVerifier()))
        #expect(transaction.withCorruptedSignature().id == transaction.id, "the id covers the content, not the signature")
        #expect(transaction.signer == alice.publicKey)
    }

    @Test func changingAnyFieldChangesTheId() {
        let alice = KeyPair(drawingFrom: stream)
        let bob = KeyPair(drawingFrom: stream)
        let ids = Set([
            transfer(alice, to: bob.publicKey, amount: 5).id,
            transfer(alice, to: bob.publicKey, amount: 6).id,
            transfer(alice, to: bob.publicKey, amount: 5, nonce: 1).id,
            transfer(alice, to: bob.publicKey, amount: 5, fee: 2_000).id,
            transfer(alice, to: alice.publicKey, amount: 5).id,
        ])
        #expect(ids.count == 5)
    }

    @Test func aSignatureOverOtherContentIsRejected() {
        let alice = KeyPair(drawingFrom: stream)
        let bob = KeyPair(drawingFrom: stream)
        let signed = transfer(alice, to: bob.publicKey, amount: 5)
        let inflated = Transaction(
            signer: alice.publicKey, region: .north,
            kind: .transfer(inputs: signed.inputs, outputs: [TxOutput(owner: bob.publicKey, asset: .payment, amount: 500)]),
            fee: signed.fee, validUntil: signed.validUntil, nonce: signed.nonce, signature: signed.signature)
        #expect(!inflated.hasValidSignature(SignatureVerifier()))
    }

    @Test func attestationSignatureCoversEveryField() {
        let producer = KeyPair(drawingFrom: stream)
        let gridOperator = KeyPair(drawingFrom: stream)
        let attestation = MeterAttestation(
            producer: producer.publicKey, location: GridLocation(region: .east, zone: 1), source: .wind,
            energy: .kWh(40), periodStart: .zero, periodEnd: .zero + .minutes(15), signedBy: gridOperator,
            scheme: .ed25519)
        #expect(Ed25519.verify(attestation.signature, of: attestation.digest, by: gridOperator.publicKey))
        var inflated = attestation
        inflated.energy = .kWh(400)
        #expect(!Ed25519.verify(inflated.signature, of: inflated.digest, by: gridOperator.publicKey))
    }

    @Test func escrowOfAnOrder() {
        let location = GridLocation(region: .bangkok, zone: 0)
        let buy = OrderTerms(side: .buy, price: .milliTokens(4_000), quantity: .kWh(500), location: location,
                             deliveryStart: .zero, deliveryEnd: .zero + .minutes(15), expiresAt: .zero + .hours(1),
                             source: .conventional)
        #expect(buy.escrow?.asset == .payment)
        #expect(buy.escrow?.amount == MicroTokens.tokens(2_000).rawValue)
        var sell = buy
        sell.side = .sell
        #expect(sell.escrow?.asset == .energy)
        #expect(sell.escrow?.amount == 500_000)
    }

    @Test func aRelayedStepRemembersWhetherItsPathLeadsToTheRoot() {
        let alice = KeyPair(drawingFrom: stream)
        let bob = KeyPair(drawingFrom: stream)
        let lock = transfer(alice, to: bob.publicKey, amount: 5)
        let neighbours = [transfer(alice, to: bob.publicKey, amount: 6), lock, transfer(alice, to: bob.publicKey, amount: 7)]
        let tree = MerkleTree(leaves: neighbours.map(\.id))
        func credit(_ path: MerkleProof, nonce: UInt64) -> Transaction {
            let evidence = InclusionEvidence(commitment: Commitment(transactionRoot: tree.root), path: path)
            return Transaction(signedBy: bob, region: .east, kind: .creditTransfer(lock: lock, evidence),
                               validUntil: .zero + .seconds(60), nonce: nonce, scheme: .modelled)
        }
        let proven = credit(tree.proof(forLeafAt: 1), nonce: 1)
        let misdirected = credit(tree.proof(forLeafAt: 0), nonce: 2)
        for _ in 0..<2 {
            #expect(proven.evidenceIncludesSubject == true)
            #expect(misdirected.evidenceIncludesSubject == false, "the path of another transaction proves nothing")
        }
        #expect(lock.evidenceIncludesSubject == nil, "a transfer carries no evidence")
        #expect(proven.isRelayedStep && !lock.isRelayedStep)
    }
}

/// A block commitment with only a transaction root that means anything.
private struct Commitment: BlockCommitment {
    var chain: UInt64 { 1 }
    var height: UInt64 { 1 }
    var timestamp: SimTime { .zero }
    let transactionRoot: Digest32
    var digest: Digest32 { transactionRoot }
    var encodedSize: Int { 0 }
}
