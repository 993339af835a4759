// swift-tools-version: 6.1
import Foundation
import PackageDescription

// Micro-benchmarks (ordo-one/package-benchmark), in their own package so that `make test`
// does not build the benchmark harness. Run with `make bench`.
//
// The parent package is a path dependency, whose identity is its directory's name (any name a
// clone was given), so it is read from this file's location.
let parley = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

let package = Package(
    name: "ParleyBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // Per-event costs: route selection, outbound encoding, probe-token scanning, histogram recording.
        .executableTarget(
            name: "WireBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ParleyProtocol", package: parley),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "WireBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // One public message to 1,000 and 9,000 real connections over loopback.
        .executableTarget(
            name: "FanOutBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ParleyProtocol", package: parley),
                .product(name: "ParleyGateway", package: parley),
                .product(name: "ParleyLoad", package: parley),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "FanOutBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The chat handler alone on 1 and 2 threads: rooms that never wait for each other's lock.
        .executableTarget(
            name: "RoomsOnCores",
            dependencies: [
                .product(name: "ParleyChat", package: parley),
                .product(name: "ParleyProtocol", package: parley),
            ],
            path: "RoomsOnCores"
        ),
    ]
)
