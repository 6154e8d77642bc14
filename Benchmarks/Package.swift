// swift-tools-version: 6.1
// Benchmarks for the GridTokenX Simulator (package-benchmark). A separate package that depends on
// the root by path, so the main build and CI stay lean. Run with `make bench` from the root.
import PackageDescription

let package = Package(
    name: "gridtokenx-sim-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "gridtokenx-sim", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        .executableTarget(
            name: "Core",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "GridCore", package: "gridtokenx-sim"),
                .product(name: "CSodium", package: "gridtokenx-sim"),
                .product(name: "CMimalloc", package: "gridtokenx-sim"),
                .product(name: "Simulation", package: "gridtokenx-sim"),
                .product(name: "Market", package: "gridtokenx-sim"),
                .product(name: "Grid", package: "gridtokenx-sim"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            path: "Benchmarks/Core",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
