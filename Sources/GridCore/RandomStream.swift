import CGSL

/// A named, seeded random stream backed by GSL's `mt19937`.
///
/// Each consumer of randomness owns its own stream, seeded from (master seed, stream name)
/// through BLAKE2b, so adding a stream never shifts the draws of another (DESIGN.md). Streams are
/// never seeded from the environment (`gsl_rng_env_setup` is not used).
///
/// A stream is a reference to GSL state and is used by one simulation thread only.
public final class RandomStream {
    /// The name this stream was derived from.
    public let name: String
    /// The 32-bit seed passed to `gsl_rng_set` (mt19937 takes 32 bits).
    public let derivedSeed: UInt32
    private let generator: UnsafeMutablePointer<gsl_rng>

    /// The stream named `name` under `masterSeed`.
    public init(masterSeed: UInt64, name: String) {
        CLibraries.ensureReady()
        self.name = name
        var encoder = CanonicalEncoder()
        encoder.append("gridtokenx-sim/random-stream/v1")
        encoder.append(masterSeed)
        encoder.append(name)
        let digest = encoder.blake2b
        derivedSeed = UInt32(truncatingIfNeeded: digest.prefixWord)
        guard let generator = gsl_rng_alloc(cgsl_mt19937()) else {
            fatalError("gsl_rng_alloc failed")
        }
        self.generator = generator
        gsl_rng_set(generator, UInt(derivedSeed))
    }

    deinit {
        gsl_rng_free(generator)
    }

    /// A stream derived from this one's name: `child("node-3")` of "network" is "network/node-3".
    public func child(_ suffix: String, masterSeed: UInt64) -> RandomStream {
        RandomStream(masterSeed: masterSeed, name: name + "/" + suffix)
    }

    /// 32 random bits (mt19937 yields 32 bits per draw).
    @inlinable
    public func nextUInt32() -> UInt32 {
        UInt32(truncatingIfNeeded: rawNext())
    }

    @usableFromInline
    func rawNext() -> UInt {
        gsl_rng_get(generator)
    }

    /// 64 random bits from two draws.
    public func nextUInt64() -> UInt64 {
        (UInt64(nextUInt32()) << 32) | UInt64(nextUInt32())
    }

    /// 32 random bytes, e.g. an ed25519 key seed.
    public func nextBytes32() -> Bytes32 {
        Bytes32 { buffer in
            for offset in stride(from: 0, to: 32, by: 4) {
                let word = nextUInt32().littleEndian
                withUnsafeBytes(of: word) { buffer[offset..<(offset + 4)].copyBytes(from: $0) }
            }
        }
    }

    /// Uniform on [0, 1) (`gsl_rng_uniform`).
    public func uniform() -> Double {
        gsl_rng_uniform(generator)
    }

    /// Uniform on (0, 1) (`gsl_rng_uniform_pos`), safe to take a logarithm of.
    public func uniformPositive() -> Double {
        gsl_rng_uniform_pos(generator)
    }

    /// Uniform on [`lower`, `upper`) (`gsl_ran_flat`).
    public func uniform(_ lower: Double, _ upper: Double) -> Double {
        precondition(lower < upper, "uniform needs lower < upper")
        return gsl_ran_flat(generator, lower, upper)
    }

    /// A uniform integer in 0..<`bound` without modulo bias (`gsl_rng_uniform_int`).
    public func uniformInt(below bound: Int) -> Int {
        precondition(bound > 0 && UInt64(bound) <= UInt64(UInt32.max), "bound out of range: \(bound)")
        return Int(gsl_rng_uniform_int(generator, UInt(bound)))
    }

    /// True with probability `probability`.
    public func bernoulli(_ probability: Double) -> Bool {
        precondition(probability >= 0 && probability <= 1, "probability out of [0, 1]: \(probability)")
        return probability > 0 && gsl_rng_uniform(generator) < probability
    }

    /// Exponential with the given mean (`gsl_ran_exponential`): gaps of a Poisson process.
    public func exponential(mean: Double) -> Double {
        precondition(mean > 0, "exponential mean must be positive")
        return gsl_ran_exponential(generator, mean)
    }

    /// A Poisson count with the given mean (`gsl_ran_poisson`).
    public func poisson(mean: Double) -> Int {
        precondition(mean >= 0, "Poisson mean must be non-negative")
        return Int(gsl_ran_poisson(generator, mean))
    }

    /// Gamma with shape `shape` and scale `scale` (`gsl_ran_gamma`; mean = shape × scale).
    public func gamma(shape: Double, scale: Double) -> Double {
        precondition(shape > 0 && scale > 0, "gamma parameters must be positive")
        return gsl_ran_gamma(generator, shape, scale)
    }

    /// Lognormal: exp of a normal with mean `zeta` and standard deviation `sigma`
    /// (`gsl_ran_lognormal`).
    public func lognormal(zeta: Double, sigma: Double) -> Double {
        precondition(sigma > 0, "lognormal sigma must be positive")
        return gsl_ran_lognormal(generator, zeta, sigma)
    }

    /// Beta with shapes `a` and `b` (`gsl_ran_beta`), on [0, 1].
    public func beta(a: Double, b: Double) -> Double {
        precondition(a > 0 && b > 0, "beta parameters must be positive")
        return gsl_ran_beta(generator, a, b)
    }

    /// Weibull with `scale` and `shape` (`gsl_ran_weibull`); shape 2 models wind speeds.
    public func weibull(scale: Double, shape: Double) -> Double {
        precondition(scale > 0 && shape > 0, "Weibull parameters must be positive")
        return gsl_ran_weibull(generator, scale, shape)
    }

    /// Normal with `mean` and standard deviation `sigma` (`gsl_ran_gaussian` + mean).
    public func gaussian(mean: Double, sigma: Double) -> Double {
        precondition(sigma >= 0, "Gaussian sigma must be non-negative")
        return mean + gsl_ran_gaussian(generator, sigma)
    }
}

/// Parameters of a beta distribution fitted from a mean μ and a standard deviation σ by the
/// method of moments: β = (1 − μ)(μ(1 − μ)/σ² − 1), α = μβ/(1 − μ) (REFERENCE.md).
public struct BetaShape: Hashable, Sendable {
    public var a: Double
    public var b: Double

    /// `nil` when no beta distribution has this mean and deviation (σ² ≥ μ(1 − μ)).
    public init?(mean: Double, standardDeviation: Double) {
        guard mean > 0, mean < 1, standardDeviation > 0 else { return nil }
        let variance = standardDeviation * standardDeviation
        let common = mean * (1 - mean) / variance - 1
        guard common > 0 else { return nil }
        b = (1 - mean) * common
        a = mean * b / (1 - mean)
    }
}
