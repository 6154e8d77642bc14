import GridCore
import Ledger
import Testing

@Suite struct TransactionTests {
    let stream = RandomStream(masterSeed: 11, name: "ledger-tests/keys")

    @Test func idIsTheDigestOfTheBodyAndTheSignatureChecks() {
        let alice = KeyPair(drawingFrom: stream)
        let bob = KeyPair(drawingFrom: stream)
        let body = TransactionBody(sender: alice.publicKey, recipient: bob.publicKey, amount: .tokens(5), nonce: 0,
                                   region: .north)
        let transaction = Transaction(body: body, signedBy: alice, scheme: .ed25519)
        #expect(transaction.id == Blake2b.hash(body.encoded()))
        #expect(transaction.hasValidSignature(SignatureVerifier()))
    }

    @Test func changingAnyFieldChangesTheId() {
        let alice = KeyPair(drawingFrom: stream)
        let bob = KeyPair(drawingFrom: stream)
        let body = TransactionBody(sender: alice.publicKey, recipient: bob.publicKey, amount: .tokens(5), nonce: 0,
                                   region: .north)
        var other = body
        other.nonce = 1
        var moved = body
        moved.region = .south
        let ids = Set([body, other, moved].map { Blake2b.hash($0.encoded()) })
        #expect(ids.count == 3)
    }

    @Test func aSignatureOverAnotherBodyIsRejected() {
        let alice = KeyPair(drawingFrom: stream)
        let bob = KeyPair(drawingFrom: stream)
        let body = TransactionBody(sender: alice.publicKey, recipient: bob.publicKey, amount: .tokens(5), nonce: 0,
                                   region: .north)
        let signed = Transaction(body: body, signedBy: alice, scheme: .ed25519)
        var inflated = body
        inflated.amount = .tokens(500)
        let forged = Transaction(body: inflated, signature: signed.signature)
        #expect(!forged.hasValidSignature(SignatureVerifier()))
    }
}
