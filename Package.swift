// swift-tools-version: 6.1
// GridTokenX Simulator: a deterministic discrete-event simulation and benchmarking harness
// for the GridTokenX energy-trading blockchain. Layering (see README "Design"):
// GridCore <- Ledger <- Governance <- Market, and Ledger <- Consensus <- Sharding; all <- Node <- Simulation <- Reporting <- gridsim;
// Scenario depends on GridCore only.
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    // Let other modules specialize the generic code they call (ExchangeState<GridState>, the
    // state tables): without it, every call went through runtime generic metadata.
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
    // The compiler still proves exclusive access statically; only the runtime checks on class
    // and global storage go, which took about a tenth of a sharding stress run (swift_beginAccess
    // on every access to a simulator's, node's or workload's stored properties).
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "gridtokenx-sim",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gridsim", targets: ["gridsim"]),
        .library(name: "GridCore", targets: ["GridCore"]),
        .library(name: "CSodium", targets: ["CSodium"]),
        .library(name: "CMimalloc", targets: ["CMimalloc"]),
        .library(name: "Market", targets: ["Market"]),
        .library(name: "Grid", targets: ["Grid"]),
        .library(name: "Simulation", targets: ["Simulation"]),
        .library(name: "Reporting", targets: ["Reporting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"]), .brew(["libsodium"])]
        ),
        .systemLibrary(
            name: "CGSL",
            pkgConfig: "gsl",
            providers: [.apt(["libgsl-dev"]), .brew(["gsl"])]
        ),
        // The allocator of the executables that run simulations: linked ahead of the C library,
        // mimalloc serves every malloc of the process (Debian ships no pkg-config file for it).
        .systemLibrary(
            name: "CMimalloc",
            providers: [.apt(["libmimalloc-dev"]), .brew(["mimalloc"])]
        ),
        .target(
            name: "GridCore",
            dependencies: ["CSodium", "CGSL"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Ledger",
            dependencies: ["GridCore", .product(name: "DequeModule", package: "swift-collections")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Governance",
            dependencies: ["GridCore", "Ledger"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Market",
            dependencies: [
                "GridCore", "Ledger", "Governance",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Grid",
            dependencies: ["GridCore", "Ledger"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Consensus",
            dependencies: ["GridCore", "Ledger"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Sharding",
            dependencies: ["GridCore", "Ledger", "Consensus"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Node",
            dependencies: [
                "GridCore", "Ledger", "Governance", "Market", "Grid", "Consensus",
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Scenario",
            dependencies: ["GridCore", "Yams"],
            // A link to Scenarios/data/thai-grid.yaml, compiled in: the grid a scenario with no
            // grid data beside it runs on.
            resources: [.embedInCode("Resources/thai-grid.yaml")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Simulation",
            dependencies: [
                "GridCore", "Ledger", "Governance", "Market", "Grid", "Consensus", "Sharding", "Node", "Scenario",
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Reporting",
            dependencies: [
                "GridCore", "Ledger", "Market", "Grid", "Sharding", "Simulation", "Scenario",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "gridsim",
            dependencies: [
                "CMimalloc", "GridCore", "Ledger", "Market", "Grid", "Consensus", "Node", "Scenario", "Simulation",
                "Reporting", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // Scratch folders for the tests' files, removed when the test process exits.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strictSettings),
        .testTarget(name: "GridCoreTests", dependencies: ["GridCore"], swiftSettings: strictSettings),
        .testTarget(name: "LedgerTests", dependencies: ["GridCore", "Ledger"], swiftSettings: strictSettings),
        .testTarget(name: "MarketTests", dependencies: ["GridCore", "Ledger", "Governance", "Market"], swiftSettings: strictSettings),
        .testTarget(name: "GovernanceTests", dependencies: ["GridCore", "Ledger", "Governance"], swiftSettings: strictSettings),
        .testTarget(name: "GridTests", dependencies: ["GridCore", "Ledger", "Grid", "Scenario", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "ConsensusTests",
            dependencies: ["GridCore", "Ledger", "Consensus", .product(name: "HeapModule", package: "swift-collections")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "NodeTests",
            dependencies: ["GridCore", "Ledger", "Governance", "Market", "Grid", "Consensus", "Node", "Scenario"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "ShardingTests", dependencies: ["GridCore", "Ledger", "Consensus", "Sharding"], swiftSettings: strictSettings),
        .testTarget(name: "ScenarioTests", dependencies: ["GridCore", "Scenario", "TestSupport", .product(name: "Yams", package: "Yams")],
                    swiftSettings: strictSettings),
        .testTarget(
            name: "SimulationTests",
            dependencies: ["GridCore", "Ledger", "Market", "Grid", "Node", "Scenario", "Sharding", "Simulation", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ReportingTests",
            dependencies: ["GridCore", "Scenario", "Simulation", "Reporting"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "gridsimTests",
            dependencies: ["gridsim", "CMimalloc", "GridCore", "TestSupport", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
    ]
)
