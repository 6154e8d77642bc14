import GridCore
import Governance
import Grid
import Ledger
import Market
import Node

/// Generated inputs with known shapes, for `gridsim calibrate` and the benchmarks, so that both
/// measure exactly the same work.
public enum SyntheticWorkloads {
    /// One order-book operation of a standalone stream.
    public enum BookOperation: Sendable {
        case add(number: OrderNumber, side: OrderSide, price: Int64, quantity: Int64)
        case cancel(OrderNumber)
    }

    /// A realistic mix: 80 % limit orders with Gaussian prices around 3.2 tokens/kWh (s.d. 0.15,
    /// so about half cross the spread), lognormal quantities, and 20 % cancels of earlier orders.
    public static func orderStream(count: Int, seed: UInt64) -> [BookOperation] {
        let random = RandomStream(masterSeed: seed, name: "synthetic/orders")
        var operations: [BookOperation] = []
        operations.reserveCapacity(count)
        var next: OrderNumber = 0
        for _ in 0..<count {
            if next > 0, random.bernoulli(0.2) {
                operations.append(.cancel(OrderNumber(random.uniformInt(below: Int(next)))))
            } else {
                let side: OrderSide = random.bernoulli(0.5) ? .buy : .sell
                let price = Int64(random.gaussian(mean: 3_200_000, sigma: 150_000).rounded() / 1_000) * 1_000
                let quantity = Int64(random.lognormal(zeta: 9, sigma: 1)) + 1
                operations.append(.add(number: next, side: side, price: max(1_000, price), quantity: quantity))
                next += 1
            }
        }
        return operations
    }

    /// Runs `operations` through a standalone matcher; returns the number of fills.
    @discardableResult
    public static func run(_ operations: [BookOperation], on matcher: inout StandaloneMatcher) -> Int {
        var fills = 0
        for operation in operations {
            switch operation {
            case .add(let number, let side, let price, let quantity):
                matcher.add(number: number, side: side, price: price, quantity: quantity) { _ in fills += 1 }
            case .cancel(let number):
                matcher.cancel(number)
            }
        }
        return fills
    }

    /// Runs `operations` through a replicated book (journaled and committed to, as every
    /// validator's book is), committing the journal every 4,096 entries; returns the fills.
    @discardableResult
    public static func run(_ operations: [BookOperation], on book: inout OrderBook) -> Int {
        precondition(book.replicated)
        var fills = 0
        for operation in operations {
            switch operation {
            case .add(let number, let side, let price, let quantity):
                let remaining = book.match(side: side, price: price, quantity: quantity) { _, proposed in
                    fills += 1
                    return .fill(proposed)
                }
                if remaining > 0 {
                    let sequence = book.takeSequence()
                    book.rest(RestingOrder(number: number, side: side, price: price, remaining: remaining,
                                           sequence: sequence))
                }
            case .cancel(let number):
                book.remove(number)
            }
            if book.savepoint > 4_096 { book.commit() }
        }
        return fills
    }

    /// A chain state funding `accounts` accounts, and `blocks` blocks of `size` payment transfers
    /// each: in every block, accounts pay each other and keep the change, spending the outputs
    /// the previous block created. Signed under `scheme`; applying them checks no signature.
    public static func transferBlocks(accounts: Int, blocks: Int, size: Int, seed: UInt64,
                                      scheme: SignatureScheme = .ed25519) -> (ChainState, [[Transaction]]) {
        precondition(size <= accounts, "one transfer per account per block")
        let keys = RandomStream(masterSeed: seed, name: "synthetic/accounts")
        let pairs = KeyPair.drawing(accounts, from: keys)
        let operators = Region.allCases.map { _ in KeyPair(drawingFrom: keys).publicKey }
        let parameters = LedgerParameters(gridOperators: operators, minimumFee: MicroTokens(1_000))
        let genesisOutputs = pairs.map { TxOutput(owner: $0.publicKey, asset: .payment, amount: MicroTokens.tokens(1_000).rawValue) }
        let governance = GovernanceState(
            rules: GovernanceRules(deposit: .tokens(100), epochLength: 100),
            parameters: GovernanceParameters(maxBlockTransactions: size, blockInterval: .seconds(1),
                                             minimumFee: parameters.minimumFee, tradingFee: parameters.tradingFee))
        let state = ChainState(parameters: parameters, configuration: MarketConfiguration(),
                               grid: GridState(network: GridNetwork(topology: .uniform, calendar: SimCalendar()),
                                               slotLength: .minutes(15)),
                               governance: governance, genesis: genesisOutputs)
        var holdings = pairs.indices.map { (OutPoint(transaction: genesisOrigin, index: UInt32($0)), genesisOutputs[$0].amount) }
        let random = RandomStream(masterSeed: seed, name: "synthetic/transfers")
        var result: [[Transaction]] = []
        for block in 0..<blocks {
            var transactions: [Transaction] = []
            for sender in 0..<size {
                let recipient = (sender + 1 + random.uniformInt(below: accounts - 1)) % accounts
                let (input, amount) = holdings[sender]
                let paid = Int64(random.uniformInt(below: 1_000)) + 1
                let change = amount - paid - 1_000
                let transaction = Transaction(
                    signedBy: pairs[sender], region: .bangkok,
                    kind: .transfer(inputs: [input], outputs: [
                        TxOutput(owner: pairs[recipient].publicKey, asset: .payment, amount: paid),
                        TxOutput(owner: pairs[sender].publicKey, asset: .payment, amount: change),
                    ]),
                    fee: MicroTokens(1_000), validUntil: .zero + .hours(24), nonce: UInt64(block), scheme: scheme)
                holdings[sender] = (OutPoint(transaction: transaction.id, index: 1), change)
                transactions.append(transaction)
            }
            result.append(transactions)
        }
        return (state, result)
    }

    /// Applies `blocks` strictly to `state` and commits each, one block a second from time zero.
    public static func applyAndCommit(_ blocks: [[Transaction]], to state: inout ChainState,
                                      verifier: SignatureVerifier) {
        var work = WorkMeter()
        let proposer = state.ledger.parameters.gridOperators[0]
        for (height, block) in blocks.enumerated() {
            let context = BlockContext(height: UInt64(height + 1), timestamp: .zero + .seconds(Int64(height + 1)),
                                       proposer: proposer)
            guard case .success(let receipt) = state.apply(block, context: context, mode: .strict, verifier: verifier,
                                                           work: &work) else {
                preconditionFailure("synthetic transfers always apply")
            }
            state.commit(receipt)
        }
    }
}
