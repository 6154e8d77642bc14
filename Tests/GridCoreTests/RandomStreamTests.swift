import Foundation
import GridCore
import Testing

@Suite struct RandomStreamTests {
    @Test func sameSeedAndNameGiveTheSameSequence() {
        let a = RandomStream(masterSeed: 42, name: "workload/arrivals")
        let b = RandomStream(masterSeed: 42, name: "workload/arrivals")
        #expect((0..<100).map { _ in a.nextUInt32() } == (0..<100).map { _ in b.nextUInt32() })
    }

    @Test func differentNamesOrSeedsGiveDifferentSequences() {
        let base = (0..<8).map { _ in RandomStream(masterSeed: 42, name: "a").nextUInt32() }
        let a = RandomStream(masterSeed: 42, name: "a")
        let b = RandomStream(masterSeed: 42, name: "b")
        let c = RandomStream(masterSeed: 43, name: "a")
        let drawsA = (0..<8).map { _ in a.nextUInt32() }
        #expect(drawsA != (0..<8).map { _ in b.nextUInt32() })
        #expect(drawsA != (0..<8).map { _ in c.nextUInt32() })
        #expect(base.count == 8)
    }

    @Test func addingAStreamDoesNotShiftAnother() {
        let alone = RandomStream(masterSeed: 5, name: "network")
        let expected = (0..<50).map { _ in alone.uniform() }
        let network = RandomStream(masterSeed: 5, name: "network")
        let extra = RandomStream(masterSeed: 5, name: "a-new-consumer")
        var interleaved: [Double] = []
        for _ in 0..<50 {
            _ = extra.uniform()
            interleaved.append(network.uniform())
        }
        #expect(interleaved == expected)
    }

    @Test func uniformIntStaysInBounds() {
        let stream = RandomStream(masterSeed: 1, name: "ints")
        var seen = Set<Int>()
        for _ in 0..<1_000 {
            let value = stream.uniformInt(below: 7)
            #expect((0..<7).contains(value))
            seen.insert(value)
        }
        #expect(seen.count == 7)
    }

    /// Sample mean and variance of `count` draws.
    private func moments(_ count: Int, _ draw: () -> Double) -> (mean: Double, variance: Double) {
        var sum = 0.0, sumOfSquares = 0.0
        for _ in 0..<count {
            let value = draw()
            sum += value
            sumOfSquares += value * value
        }
        let mean = sum / Double(count)
        return (mean, sumOfSquares / Double(count) - mean * mean)
    }

    private func expectClose(_ measured: Double, _ expected: Double, relative: Double,
                             _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(abs(measured - expected) <= relative * abs(expected), "\(what): \(measured) vs \(expected)",
                sourceLocation: sourceLocation)
    }

    @Test func distributionsMatchTheirParameters() {
        let stream = RandomStream(masterSeed: 2026, name: "moments")
        let n = 200_000

        let uniform = moments(n) { stream.uniform(2, 6) }
        expectClose(uniform.mean, 4, relative: 0.01, "uniform mean")
        expectClose(uniform.variance, 16.0 / 12, relative: 0.02, "uniform variance")

        let exponential = moments(n) { stream.exponential(mean: 3) }
        expectClose(exponential.mean, 3, relative: 0.01, "exponential mean")
        expectClose(exponential.variance, 9, relative: 0.03, "exponential variance")

        let poisson = moments(n) { Double(stream.poisson(mean: 4.5)) }
        expectClose(poisson.mean, 4.5, relative: 0.01, "Poisson mean")
        expectClose(poisson.variance, 4.5, relative: 0.02, "Poisson variance")

        let gamma = moments(n) { stream.gamma(shape: 2, scale: 1.5) }
        expectClose(gamma.mean, 3, relative: 0.01, "gamma mean")
        expectClose(gamma.variance, 4.5, relative: 0.03, "gamma variance")

        let lognormal = moments(n) { stream.lognormal(zeta: 0.5, sigma: 0.4) }
        let lognormalMean = exp(0.5 + 0.08)
        expectClose(lognormal.mean, lognormalMean, relative: 0.01, "lognormal mean")
        expectClose(lognormal.variance, (exp(0.16) - 1) * lognormalMean * lognormalMean, relative: 0.04,
                    "lognormal variance")

        let beta = moments(n) { stream.beta(a: 2, b: 5) }
        expectClose(beta.mean, 2.0 / 7, relative: 0.01, "beta mean")
        expectClose(beta.variance, 10.0 / (49 * 8), relative: 0.03, "beta variance")

        let weibull = moments(n) { stream.weibull(scale: 8, shape: 2) }
        expectClose(weibull.mean, 8 * tgamma(1.5), relative: 0.01, "Weibull mean")
        expectClose(weibull.variance, 64 * (tgamma(2) - pow(tgamma(1.5), 2)), relative: 0.03, "Weibull variance")

        let gaussian = moments(n) { stream.gaussian(mean: 3.2, sigma: 0.3) }
        expectClose(gaussian.mean, 3.2, relative: 0.005, "Gaussian mean")
        expectClose(gaussian.variance, 0.09, relative: 0.02, "Gaussian variance")
    }

    @Test func betaShapeFromMeanAndDeviation() throws {
        let shape = try #require(BetaShape(mean: 0.4, standardDeviation: 0.2))
        #expect(abs(shape.a / (shape.a + shape.b) - 0.4) < 1e-12)
        let variance = shape.a * shape.b / (pow(shape.a + shape.b, 2) * (shape.a + shape.b + 1))
        #expect(abs(variance - 0.04) < 1e-12)
        #expect(BetaShape(mean: 0.5, standardDeviation: 0.6) == nil, "σ² ≥ μ(1 − μ) has no beta")
    }
}

@Suite struct RegionTests {
    @Test func latencyMatrixIsSymmetric() {
        let matrix = RegionLatencies.thaiEstimate
        for a in Region.allCases {
            for b in Region.allCases {
                #expect(matrix[a, b] == matrix[b, a])
            }
        }
        #expect(matrix[.bangkok, .bangkok] == .milliseconds(2))
    }

    @Test func nearestRegion() {
        let matrix = RegionLatencies.thaiEstimate
        #expect(matrix.nearest(to: .east, among: [.north, .bangkok]) == .bangkok)
        #expect(matrix.nearest(to: .south, among: [.south, .bangkok]) == .south)
        #expect(matrix.nearest(to: .south, among: []) == nil)
    }

    @Test func utilities() {
        #expect(Region.bangkok.utility == .mea)
        #expect(Region.allCases.filter { $0.utility == .pea } == [.north, .northeast, .east, .south])
    }
}
