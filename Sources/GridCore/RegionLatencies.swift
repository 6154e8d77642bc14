/// One-way network latency between the five regions, symmetric.
public struct RegionLatencies: Hashable, Sendable {
    private var nanoseconds: [Int64]

    /// Every pair, including a region with itself, at `uniform`.
    public init(uniform: SimDuration) {
        nanoseconds = Array(repeating: uniform.nanoseconds, count: Region.allCases.count * Region.allCases.count)
    }

    /// The latency between `a` and `b` (the same both ways).
    public subscript(a: Region, b: Region) -> SimDuration {
        get { SimDuration(nanoseconds: nanoseconds[a.index * Region.allCases.count + b.index]) }
        set {
            precondition(newValue.nanoseconds >= 0, "latency must not be negative")
            nanoseconds[a.index * Region.allCases.count + b.index] = newValue.nanoseconds
            nanoseconds[b.index * Region.allCases.count + a.index] = newValue.nanoseconds
        }
    }

    /// The default Thai matrix. These are estimates, not measurements: fibre propagation at
    /// about 5 µs/km over road distances between regional hubs (Bangkok to Chiang Mai ≈ 700 km,
    /// to Khon Kaen ≈ 450 km, to Chonburi ≈ 80 km, to Hat Yai ≈ 950 km), doubled for routing and
    /// switching, plus 1 ms of access; 2 ms inside a region.
    public static let thaiEstimate: RegionLatencies = {
        var matrix = RegionLatencies(uniform: .milliseconds(2))
        let pairs: [(Region, Region, Int64)] = [
            (.bangkok, .north, 8), (.bangkok, .northeast, 6), (.bangkok, .east, 2), (.bangkok, .south, 10),
            (.north, .northeast, 8), (.north, .east, 9), (.north, .south, 17),
            (.northeast, .east, 7), (.northeast, .south, 15), (.east, .south, 11),
        ]
        for (a, b, milliseconds) in pairs {
            matrix[a, b] = .milliseconds(milliseconds)
        }
        return matrix
    }()

    /// The region among `candidates` closest to `origin` (ties: the earlier region).
    public func nearest(to origin: Region, among candidates: [Region]) -> Region? {
        candidates.min { self[origin, $0] < self[origin, $1] || (self[origin, $0] == self[origin, $1] && $0 < $1) }
    }
}
