import Benchmark
import Logging
import NIOCore
import NIOPosix
import NIOWebSocket
import ParleyGateway
import ParleyHost
import ParleyLoad
import ParleyProtocol
import Synchronization

/// One public message to N real WebSocket connections on loopback: the gateway's fan-out path
/// (frame once, bucket by loop, one hop per loop, a write per channel), timed from the post to
/// the last client's receipt. Allocations per broadcast should not grow with N.
///
/// N is 1,000 and 9,000: clients and server share this process, and one process may hold
/// 20,000 descriptors here (two per connection), so 10,000 does not fit.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .syscalls],
        warmupIterations: 3,
        maxDuration: .seconds(5),
        maxIterations: 200
    )
    let payload = OutboundEvent.publicMessage(from: "u0", text: String(repeating: "x", count: 100), seq: 1, timestampMillis: 1).encode()
    for clients in [1_000, 9_000] {
        // End to end: from the post to the last client's receipt (client work included).
        Benchmark(
            "fan-out: one public message to \(clients) connections, until all received",
            closure: { benchmark in
                guard let fixture = FanOutFixture.current.withLock({ $0 }) else { return }
                for _ in benchmark.scaledIterations {
                    await fixture.broadcastAndWait(payload)
                }
            },
            setup: { try await FanOutFixture.install(clients: clients, reading: true) },
            teardown: { try await FanOutFixture.uninstall() }
        )
        // The gateway alone: the clients are bare sockets that never read (`SilentSocket`), so the
        // allocations and CPU counted are the server's — framing, bucketing, the hop, one write
        // per channel and the flush pass.
        Benchmark(
            "fan-out: one public message to \(clients) connections, server side",
            configuration: .init(maxIterations: 150),
            closure: { benchmark in
                guard let fixture = FanOutFixture.current.withLock({ $0 }) else { return }
                for _ in benchmark.scaledIterations {
                    await fixture.broadcastAndWaitForFlush(payload)
                }
            },
            setup: { try await FanOutFixture.install(clients: clients, reading: false) },
            teardown: { try await FanOutFixture.uninstall() }
        )
    }
}

/// A gateway with a do-nothing handler, and N clients: NIO clients that count what they
/// receive, or silent sockets that receive nothing at all.
struct FanOutFixture: Sendable {
    /// The fixture of the benchmark running now (set up once per benchmark, not per sample).
    static let current = Mutex<FanOutFixture?>(nil)

    let running: RunningGateway
    var gateway: Gateway { running.gateway }
    let ids: [ConnectionID]
    let counter: DeliveryCounter
    let clientGroup: MultiThreadedEventLoopGroup
    let channels: [any Channel]
    let silentSockets: [SilentSocket]

    static func install(clients: Int, reading: Bool) async throws {
        let fixture = try await start(clients: clients, reading: reading)
        current.withLock { $0 = fixture }
    }

    static func uninstall() async throws {
        let fixture = current.withLock { current in
            defer { current = nil }
            return current
        }
        try await fixture?.stop()
    }

    static func start(clients: Int, reading: Bool) async throws -> FanOutFixture {
        OpenFilesLimit.raiseToHardLimit()
        // 9,000 clients from one address, connecting at once, on a free port.
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.eventLoopCount = 1
        configuration.servesWebPage = false
        (configuration.maximumConnectionsPerAddress, configuration.connectionsPerSecondPerAddress) = (20_000, 1_000_000)
        configuration.connectionsPerSecond = 1_000_000
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let running = try await RunningGateway.start(configuration: configuration, logger: logger) { _, _ in SilentHandler() }
        let gateway = running.gateway
        let port = running.port
        let counter = DeliveryCounter()
        let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var channels: [any Channel] = []
        var silentSockets: [SilentSocket] = []
        for _ in 0..<clients {
            if reading {
                channels.append(try await connect(port: port, group: clientGroup, counter: counter))
            } else {
                silentSockets.append(try SilentSocket.connect(port: port))
            }
        }
        while await gateway.registry.count() < clients { try await Task.sleep(for: .milliseconds(10)) }
        let ids = try await gateway.registry.openIDs().compactMap { ConnectionID($0) }
        return FanOutFixture(
            running: running, ids: ids, counter: counter, clientGroup: clientGroup, channels: channels, silentSockets: silentSockets)
    }

    func broadcastAndWait(_ payload: Payload) async {
        await counter.expect(ids.count) {
            gateway.registry.post(payload, to: ids)
        }
    }

    /// Posts, then waits on the gateway's loops until the deliveries and the flush pass after
    /// them have run (two barriers: the flush pass is queued by the delivery).
    func broadcastAndWaitForFlush(_ payload: Payload) async {
        gateway.registry.post(payload, to: ids)
        for loop in gateway.registry.eventLoops {
            try? await loop.flatSubmit { loop.submit {} }.get()
        }
    }

    func stop() async throws {
        try await running.stop()
        for channel in channels { try? await channel.close() }
        for socket in silentSockets { socket.close() }
        try await clientGroup.shutdownGracefully()
    }

    struct Failed: Error {}

    static func connect(port: Int, group: any EventLoopGroup, counter: DeliveryCounter) async throws -> any Channel {
        let upgraded = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try WebSocketClientUpgrade.configure(
                    channel, uri: "/ws", host: "127.0.0.1:\(port)",
                    upgraded: { channel -> (any Channel)? in
                        try channel.pipeline.syncOperations.addHandler(CountingHandler(counter))
                        return channel
                    },
                    notUpgraded: { $0.eventLoop.makeSucceededFuture(nil) })
            }
        }
        guard let channel = try await upgraded.get() else { throw Failed() }
        return channel
    }
}

/// Counts frames on the client loop and wakes the benchmark when a broadcast is complete.
final class DeliveryCounter: Sendable {
    private let state = Mutex<(count: Int, target: Int, waiter: CheckedContinuation<Void, Never>?)>((0, 0, nil))

    func expect(_ deliveries: Int, after start: () -> Void) async {
        await withCheckedContinuation { continuation in
            state.withLock { $0 = (0, deliveries, continuation) }
            start()
        }
    }

    func delivered() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            state.count += 1
            guard state.count == state.target, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }
}

final class CountingHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = WebSocketFrame
    let counter: DeliveryCounter
    init(_ counter: DeliveryCounter) { self.counter = counter }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if Self.unwrapInboundIn(data).opcode == .text { counter.delivered() }
    }
}

/// The gateway needs a handler; this one accepts everyone and says nothing.
struct SilentHandler: RouteHandler {
    var routeKeys: Set<String> { [] }
    func connect(_ request: ConnectRequest) -> ConnectDecision { .accept }
    func receive(_ event: MessageEvent) {}
    func disconnect(_ id: ConnectionID) {}
    func attributes(of id: ConnectionID) -> [String: String] { [:] }
}
