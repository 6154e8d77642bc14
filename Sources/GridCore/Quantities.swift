/// A quantity held as an integer count of its smallest unit (DESIGN.md: money and energy are
/// integers). Arithmetic operators trap on overflow like Swift integers; the `checked` variants
/// return `nil` instead, for validation code that must report an overflow as a reason.
public protocol IntegerQuantity: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The count of the smallest unit.
    var rawValue: Int64 { get }
    init(rawValue: Int64)
}

extension IntegerQuantity {
    @inlinable public static var zero: Self { Self(rawValue: 0) }

    @inlinable
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    @inlinable
    public static func + (lhs: Self, rhs: Self) -> Self { Self(rawValue: lhs.rawValue + rhs.rawValue) }

    @inlinable
    public static func - (lhs: Self, rhs: Self) -> Self { Self(rawValue: lhs.rawValue - rhs.rawValue) }

    @inlinable
    public static func += (lhs: inout Self, rhs: Self) { lhs = lhs + rhs }

    @inlinable
    public static func -= (lhs: inout Self, rhs: Self) { lhs = lhs - rhs }

    /// `self + other`, or `nil` on overflow.
    @inlinable
    public func checkedAdding(_ other: Self) -> Self? {
        let (sum, overflow) = rawValue.addingReportingOverflow(other.rawValue)
        return overflow ? nil : Self(rawValue: sum)
    }

    /// `self - other`, or `nil` on overflow.
    @inlinable
    public func checkedSubtracting(_ other: Self) -> Self? {
        let (difference, overflow) = rawValue.subtractingReportingOverflow(other.rawValue)
        return overflow ? nil : Self(rawValue: difference)
    }

    /// `self × numerator ÷ denominator`, rounded down, computed in full width so the product
    /// cannot overflow; `nil` when the result does not fit.
    @inlinable
    public func checkedScaled(by numerator: Int64, over denominator: Int64) -> Self? {
        precondition(denominator > 0, "denominator must be positive")
        guard let value = mulDivFloor(rawValue, numerator, denominator) else { return nil }
        return Self(rawValue: value)
    }

    /// The share `basisPoints` of this quantity, rounded down.
    @inlinable
    public func share(_ basisPoints: BasisPoints) -> Self {
        guard let value = checkedScaled(by: basisPoints.rawValue, over: 10_000) else {
            preconditionFailure("share of \(self) at \(basisPoints) overflows")
        }
        return value
    }
}

/// `a × b ÷ c` rounded toward negative infinity in 128-bit arithmetic; `nil` when it does not fit.
@inlinable
public func mulDivFloor(_ a: Int64, _ b: Int64, _ c: Int64) -> Int64? {
    precondition(c > 0, "divisor must be positive")
    let product = Int128(a) * Int128(b)
    var quotient = product / Int128(c)
    if product % Int128(c) != 0 && product < 0 { quotient -= 1 }
    guard quotient >= Int128(Int64.min), quotient <= Int128(Int64.max) else { return nil }
    return Int64(quotient)
}

/// Energy in watt-hours. One energy token is one kWh, i.e. 1,000 Wh.
public struct EnergyWh: IntegerQuantity {
    public var rawValue: Int64
    @inlinable public init(rawValue: Int64) { self.rawValue = rawValue }
    @inlinable public init(_ wattHours: Int64) { self.rawValue = wattHours }
    @inlinable public static func kWh(_ kilowattHours: Int64) -> EnergyWh { EnergyWh(kilowattHours * 1_000) }
    /// Kilowatt-hours, for reports only.
    public var kWh: Double { Double(rawValue) / 1_000 }
    public var description: String { "\(rawValue) Wh" }
}

/// Payment tokens in micro-tokens (10⁻⁶ token).
public struct MicroTokens: IntegerQuantity {
    public var rawValue: Int64
    @inlinable public init(rawValue: Int64) { self.rawValue = rawValue }
    @inlinable public init(_ microTokens: Int64) { self.rawValue = microTokens }
    @inlinable public static func tokens(_ tokens: Int64) -> MicroTokens { MicroTokens(tokens * 1_000_000) }
    /// Whole tokens, for reports only.
    public var tokens: Double { Double(rawValue) / 1e6 }
    public var description: String { "\(rawValue) µtoken" }

    /// The most stake a run's validators may hold in all (10¹² tokens): three times it still fits
    /// in 64 bits, as the quorum rules count stake in thirds. Scenarios are refused beyond it.
    public static let maximumTotalStake = MicroTokens(1_000_000_000_000_000_000)

    /// The sum of `stakes` (micro-tokens), or `nil` when it passes ``maximumTotalStake``.
    public static func totalStake(of stakes: some Sequence<Int64>) -> Int64? {
        var total: Int64 = 0
        for stake in stakes {
            let (sum, overflow) = total.addingReportingOverflow(stake)
            guard !overflow, sum <= maximumTotalStake.rawValue else { return nil }
            total = sum
        }
        return total
    }

    /// The value of `energy` at `price`: Wh × (µtoken/kWh) ÷ 1,000, rounded down; `nil` on overflow.
    ///
    /// The seed's example: 500 kWh at 3.5 tokens/kWh is 1,750 tokens.
    @inlinable
    public static func value(of energy: EnergyWh, at price: MicroTokensPerKWh) -> MicroTokens? {
        guard let value = mulDivFloor(energy.rawValue, price.rawValue, 1_000) else { return nil }
        return MicroTokens(rawValue: value)
    }
}

/// A price in micro-tokens per kWh.
public struct MicroTokensPerKWh: IntegerQuantity {
    public var rawValue: Int64
    @inlinable public init(rawValue: Int64) { self.rawValue = rawValue }
    @inlinable public init(_ microTokensPerKWh: Int64) { self.rawValue = microTokensPerKWh }
    /// A price given in thousandths of a token per kWh (3.5 tokens/kWh is `milliTokens: 3_500`).
    @inlinable public static func milliTokens(_ value: Int64) -> MicroTokensPerKWh { MicroTokensPerKWh(value * 1_000) }
    /// Tokens per kWh, for reports only.
    public var tokensPerKWh: Double { Double(rawValue) / 1e6 }
    public var description: String { "\(rawValue) µtoken/kWh" }
}

/// A share in basis points: 10,000 is 100 %.
public struct BasisPoints: IntegerQuantity {
    public var rawValue: Int64
    @inlinable public init(rawValue: Int64) { self.rawValue = rawValue }
    @inlinable public init(_ basisPoints: Int64) { self.rawValue = basisPoints }
    public static let whole = BasisPoints(10_000)
    /// The share as a fraction, for sampling and reports only.
    public var fraction: Double { Double(rawValue) / 10_000 }
    public var description: String { "\(rawValue) bp" }

    /// The ratio `part ÷ whole` in basis points, rounded down; zero when `whole` is zero.
    @inlinable
    public static func ratio(_ part: Int64, of whole: Int64) -> BasisPoints {
        guard whole != 0, let value = mulDivFloor(part, 10_000, whole) else { return .zero }
        return BasisPoints(value)
    }
}

/// Carbon credits in thousandths of a credit.
public struct MilliCredits: IntegerQuantity {
    public var rawValue: Int64
    @inlinable public init(rawValue: Int64) { self.rawValue = rawValue }
    @inlinable public init(_ milliCredits: Int64) { self.rawValue = milliCredits }
    /// Whole credits, for reports only.
    public var credits: Double { Double(rawValue) / 1_000 }
    public var description: String { "\(rawValue) mcredit" }
}
