import Ledger

/// One fill of a standalone match.
public struct Fill: Hashable, Sendable {
    public var buyOrder: OrderNumber
    public var sellOrder: OrderNumber
    public var price: Int64
    public var quantity: Int64

    public init(buyOrder: OrderNumber, sellOrder: OrderNumber, price: Int64, quantity: Int64) {
        self.buyOrder = buyOrder
        self.sellOrder = sellOrder
        self.price = price
        self.quantity = quantity
    }
}

/// The nodes' order book and matching with no location, capacity or window constraints: what
/// `gridsim match` runs, and what the order-book benchmark measures.
public struct StandaloneMatcher: Sendable {
    public let rule: ClearingRule
    private var book = OrderBook(replicated: false)

    public init(rule: ClearingRule) {
        precondition(rule != .uniformPriceCall, "the standalone matcher is continuous")
        self.rule = rule
    }

    /// Adds an order, matching it first; returns the fills it caused, in order.
    public mutating func add(number: OrderNumber, side: OrderSide, price: Int64, quantity: Int64) -> [Fill] {
        var fills: [Fill] = []
        add(number: number, side: side, price: price, quantity: quantity) { fills.append($0) }
        return fills
    }

    /// Adds an order, matching it first; calls `onFill` for each fill.
    public mutating func add(number: OrderNumber, side: OrderSide, price: Int64, quantity: Int64,
                             onFill: (Fill) -> Void) {
        let rule = self.rule
        let remaining = book.match(side: side, price: price, quantity: quantity) { resting, proposed in
            let fill = side == .buy
                ? Fill(buyOrder: number, sellOrder: resting.number, price: rule.price(bid: price, ask: resting.price),
                       quantity: proposed)
                : Fill(buyOrder: resting.number, sellOrder: number, price: rule.price(bid: resting.price, ask: price),
                       quantity: proposed)
            onFill(fill)
            return .fill(proposed)
        }
        if remaining > 0 {
            let sequence = book.takeSequence()
            book.rest(RestingOrder(number: number, side: side, price: price, remaining: remaining, sequence: sequence))
        }
    }

    /// Cancels a resting order; `false` if it was not resting.
    @discardableResult
    public mutating func cancel(_ number: OrderNumber) -> Bool {
        book.remove(number) != nil
    }

    /// Whether `number` rests on the book.
    public func isResting(_ number: OrderNumber) -> Bool { book.order(number) != nil }

    /// The book, for inspection.
    public var orderBook: OrderBook { book }
}
