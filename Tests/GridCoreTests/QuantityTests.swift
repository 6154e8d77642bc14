import GridCore
import Testing

@Suite struct QuantityTests {
    @Test func seedTradeValueIs1750Tokens() {
        let value = MicroTokens.value(of: .kWh(500), at: .milliTokens(3_500))
        #expect(value == .tokens(1_750))
    }

    @Test func valueRoundsDownToTheMicroToken() {
        // 1 Wh at 1 µtoken/kWh is 0.001 µtoken: rounds down to zero.
        #expect(MicroTokens.value(of: EnergyWh(1), at: MicroTokensPerKWh(1)) == .zero)
        #expect(MicroTokens.value(of: EnergyWh(1_500), at: MicroTokensPerKWh(3)) == MicroTokens(4))
    }

    @Test func checkedArithmeticReportsOverflow() {
        let big = MicroTokens(.max - 1)
        #expect(big.checkedAdding(MicroTokens(1)) == MicroTokens(.max))
        #expect(big.checkedAdding(MicroTokens(2)) == nil)
        #expect(MicroTokens(.min).checkedSubtracting(MicroTokens(1)) == nil)
        #expect(MicroTokens.value(of: EnergyWh(.max), at: MicroTokensPerKWh(2_000)) == nil)
    }

    @Test func fullWidthScalingDoesNotOverflowInTheMiddle() {
        // (2^62 × 1000) overflows Int64, but ÷ 1000 fits again.
        let huge = EnergyWh(1 << 62)
        #expect(huge.checkedScaled(by: 1_000, over: 1_000) == huge)
    }

    @Test func basisPointShares() {
        #expect(MicroTokens.tokens(100).share(BasisPoints(250)) == MicroTokens.tokens(2) + MicroTokens(500_000))
        #expect(BasisPoints.ratio(345, of: 1_000) == BasisPoints(3_450))
        #expect(BasisPoints.ratio(1, of: 0) == .zero)
    }

    @Test func mulDivFloorRoundsTowardNegativeInfinity() {
        #expect(mulDivFloor(-7, 1, 2) == -4)
        #expect(mulDivFloor(7, 1, 2) == 3)
    }

    @Test func simTimeArithmetic() {
        let start = SimTime.zero + .seconds(9) + .milliseconds(800)
        #expect(start.nanoseconds == 9_800_000_000)
        #expect((start - SimTime.zero) == SimDuration(seconds: 9.8))
        #expect(SimDuration.milliseconds(45).description == "45 ms")
        #expect(SimDuration.minutes(2) == .seconds(120))
    }
}
