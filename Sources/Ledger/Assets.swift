import GridCore

/// The assets the ledger holds, each counted in its smallest integer unit.
public enum Asset: UInt8, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// The energy token: 1 token = 1 kWh; counted in Wh.
    case energy = 0
    /// The payment token prices are quoted in; counted in micro-tokens.
    case payment = 1
    /// Carbon credits issued on renewable trades; counted in milli-credits.
    case carbonCredit = 2

    public var description: String {
        switch self {
        case .energy: "energy (Wh)"
        case .payment: "payment (µtoken)"
        case .carbonCredit: "carbon credit (mcredit)"
        }
    }

    public static func < (lhs: Asset, rhs: Asset) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// An amount of each asset, indexed by ``Asset``.
public struct AssetAmounts: Hashable, Sendable, CustomStringConvertible {
    public var energy: Int64 = 0
    public var payment: Int64 = 0
    public var carbonCredit: Int64 = 0

    public init() {}

    public subscript(asset: Asset) -> Int64 {
        get {
            switch asset {
            case .energy: energy
            case .payment: payment
            case .carbonCredit: carbonCredit
            }
        }
        set {
            switch asset {
            case .energy: energy = newValue
            case .payment: payment = newValue
            case .carbonCredit: carbonCredit = newValue
            }
        }
    }

    public var description: String { "energy \(energy) Wh, payment \(payment) µtoken, credits \(carbonCredit) mcredit" }

    /// Adds `rhs`, asset by asset.
    public static func += (lhs: inout AssetAmounts, rhs: AssetAmounts) {
        lhs.energy += rhs.energy
        lhs.payment += rhs.payment
        lhs.carbonCredit += rhs.carbonCredit
    }
}

/// An unspent output: an amount of one asset locked to an owner's key.
public struct TxOutput: Hashable, Sendable {
    public var owner: PublicKey
    public var asset: Asset
    public var amount: Int64

    public init(owner: PublicKey, asset: Asset, amount: Int64) {
        self.owner = owner
        self.asset = asset
        self.amount = amount
    }
}

/// Names an output: the transaction (or block event) that created it and its index there.
public struct OutPoint: Hashable, Comparable, Sendable, CustomStringConvertible, UniformlyHashable {
    public var transaction: Digest32
    public var index: UInt32

    public init(transaction: Digest32, index: UInt32) {
        self.transaction = transaction
        self.index = index
    }

    public static func < (lhs: OutPoint, rhs: OutPoint) -> Bool {
        lhs.transaction < rhs.transaction || (lhs.transaction == rhs.transaction && lhs.index < rhs.index)
    }

    /// The transaction's digest bits, spread by the index: outputs of one transaction land apart.
    @inlinable public var uniformHash: UInt64 {
        transaction.prefixWord ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
    }

    /// What `Dictionary` and `Set` place the value by: `uniformHash` mixed with the table's seed,
    /// without running SipHash over it.
    @inlinable
    public func _rawHashValue(seed: Int) -> Int { rawHashValue(seed: seed) }

    public var description: String { "\(transaction.hex.prefix(8)):\(index)" }
}

/// Where metered energy came from.
public enum EnergySource: UInt8, Sendable, CaseIterable {
    case solar = 0
    case wind = 1
    case hydro = 2
    case conventional = 3

    public var isRenewable: Bool { self != .conventional }

    /// The name scenario files and reports use.
    public var name: String {
        switch self {
        case .solar: "solar"
        case .wind: "wind"
        case .hydro: "hydro"
        case .conventional: "conventional"
        }
    }
}

/// Buy or sell.
public enum OrderSide: UInt8, Sendable, CaseIterable {
    case buy = 0
    case sell = 1

    public var opposite: OrderSide { self == .buy ? .sell : .buy }
}
