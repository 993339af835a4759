// swift-tools-version: 6.1
import PackageDescription

// One module, one job; dependencies point one way:
// executables → Gateway / Chat / Cluster → Protocol. See README.md for the map.
let package = Package(
    name: "Parley",
    // Linux only: the gateway's write paths and the harness's receive path are epoll and
    // io_uring (README, "Requirements"); no platforms line claims otherwise.
    products: [
        .executable(name: "parley", targets: ["parley"]),
        .executable(name: "parley-load", targets: ["parley-load"]),
        // For the micro-benchmarks package in Benchmarks/ (and anyone embedding Parley).
        .library(name: "ParleyProtocol", targets: ["ParleyProtocol"]),
        .library(name: "ParleyChat", targets: ["ParleyChat"]),
        .library(name: "ParleyGateway", targets: ["ParleyGateway"]),
        .library(name: "ParleyLoad", targets: ["ParleyLoad"]),
        .library(name: "ParleyCluster", targets: ["ParleyCluster"]),
        .library(name: "ParleyHost", targets: ["ParleyHost"]),
        .library(name: "ParleyAuth", targets: ["ParleyAuth"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // Test certificates (a CA, good, expired and wrong-host leaves) are made in the tests.
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        // Identity: JWT verification at `$connect` (and minting in the harness); the webhook
        // authorizer's HTTP client.
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // The wire: inbound route selection, outbound event encoding, names, limits, probe tokens.
        .target(
            name: "ParleyProtocol",
            dependencies: []
        ),
        // The handler ("the Lambda"): chat rules only, no sockets, no NIO.
        .target(
            name: "ParleyChat",
            dependencies: [
                "ParleyProtocol",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What the machine gives this process (the cores it may run on), for the gateway's and
        // the harness's defaults.
        .target(
            name: "ParleyHost",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        // Debian's liburing, where it is installed (pkg-config); a build without it still works.
        .systemLibrary(name: "CLibURing", pkgConfig: "liburing", providers: [.apt(["liburing-dev"])]),
        // A flush's sends in one system call (io_uring), compiled in when liburing's header is
        // there; otherwise every ring is refused and the gateway sends directly.
        .target(name: "CParleyRing", dependencies: ["CLibURing"]),
        // malloc_usable_size, for reading the socket descriptor's place in NIO's objects safely.
        .target(name: "CParleyAllocation"),
        // Who may connect (the managed API's `$connect` authorizer): a JWT verified with the
        // operator's keys, or the operator's webhook; what a verified identity is allowed.
        .target(
            name: "ParleyAuth",
            dependencies: [
                "ParleyProtocol",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The managed-WebSocket-API analog: sockets, route selection, limits, @connections.
        .target(
            name: "ParleyGateway",
            dependencies: [
                "ParleyProtocol", "CParleyRing", "CParleyAllocation", "ParleyHost", "ParleyAuth",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Web")]
        ),
        // More than one gateway: the room's log and the connections table on PostgreSQL.
        .target(
            name: "ParleyCluster",
            dependencies: [
                "ParleyProtocol", "ParleyChat",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The harness: scenarios, client swarm, latency recording, reports, compare, thresholds.
        // It speaks only the wire.
        // epoll and eventfd for the harness's direct receive path (headers only).
        .target(name: "CParleyPoll"),
        .target(
            name: "ParleyLoad",
            dependencies: [
                "ParleyProtocol", "CParleyPoll", "ParleyHost",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                // Each client's token minted from the scenario's key (`auth:`).
                .product(name: "JWTKit", package: "jwt-kit"),
            ]
        ),
        .executableTarget(
            name: "parley-load",
            dependencies: [
                "ParleyLoad", "ParleyGateway", "ParleyChat", "ParleyHost",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "parley",
            dependencies: [
                "ParleyProtocol", "ParleyChat", "ParleyGateway", "ParleyCluster", "ParleyHost", "ParleyAuth",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "ParleyProtocolTests", dependencies: ["ParleyProtocol", "ParleyLoad"]),
        .testTarget(
            name: "ParleyAuthTests",
            dependencies: [
                "ParleyAuth", "ParleyProtocol", "ParleyTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "ParleyChatTests", dependencies: ["ParleyChat", "ParleyProtocol"]),
        .testTarget(
            name: "ParleyLoadTests",
            dependencies: [
                "ParleyLoad", "ParleyGateway", "ParleyChat", "ParleyProtocol", "ParleyHost", "ParleyTestSupport", "ParleyAuth",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The WebSocket test client both socket-level test targets use.
        .target(
            name: "ParleyTestSupport",
            dependencies: [
                "ParleyLoad", "ParleyGateway",
                .product(name: "Collections", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            path: "Tests/ParleyTestSupport"
        ),
        .testTarget(
            name: "ParleyClusterTests",
            dependencies: [
                "ParleyCluster", "ParleyGateway", "ParleyChat", "ParleyProtocol", "ParleyLoad", "ParleyTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "ParleyGatewayTests",
            dependencies: [
                "ParleyGateway", "ParleyChat", "ParleyProtocol", "ParleyLoad", "ParleyHost", "ParleyTestSupport", "ParleyAuth",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
