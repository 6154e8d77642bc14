/// The distribution utility serving a region.
public enum Utility: String, Sendable, CaseIterable {
    /// Metropolitan Electricity Authority: Bangkok, Nonthaburi, Samut Prakan.
    case mea
    /// Provincial Electricity Authority: the rest of the country.
    case pea
}

/// The five Thai grid regions of the design. Raw values are the names scenario files use.
public enum Region: String, Sendable, CaseIterable, Comparable {
    /// Bangkok and the central metropolitan area (MEA).
    case bangkok
    case north
    case northeast
    case east
    case south

    /// A stable index for arrays keyed by region.
    public var index: Int {
        switch self {
        case .bangkok: 0
        case .north: 1
        case .northeast: 2
        case .east: 3
        case .south: 4
        }
    }

    /// The region at ``index``.
    public init(index: Int) {
        self = Region.allCases[index]
    }

    /// How people write it: "Bangkok/Central", "North", ...
    public var displayName: String {
        switch self {
        case .bangkok: "Bangkok/Central"
        case .north: "North"
        case .northeast: "Northeast"
        case .east: "East"
        case .south: "South"
        }
    }

    /// The distribution utility: MEA for Bangkok/Central, PEA elsewhere.
    public var utility: Utility { self == .bangkok ? .mea : .pea }

    public static func < (lhs: Region, rhs: Region) -> Bool { lhs.index < rhs.index }
}

/// The index of a simulated node (validator) within a run: 0, 1, 2, ...
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32

    @inlinable
    public init(_ rawValue: UInt32) {
        self.rawValue = rawValue
    }

    @inlinable
    public init(_ index: Int) {
        self.rawValue = UInt32(index)
    }

    /// The node as an array index.
    @inlinable public var index: Int { Int(rawValue) }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "n\(rawValue)" }
}
