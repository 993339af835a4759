import Logging
import ParleyProtocol
import ServiceLifecycle

/// A gateway started in this process on its own task, for embedding (the load harness's
/// `--embedded`, tests, benchmarks): start, read the port, stop gracefully.
public struct RunningGateway: Sendable {
    public let gateway: Gateway
    public let port: Int
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    public struct NotListening: Error {}

    public static func start(
        configuration: GatewayConfiguration, logger: Logger,
        makeHandler: (any Connections, any Scheduler) -> any RouteHandler
    ) async throws -> RunningGateway {
        let gateway = Gateway(configuration: configuration, logger: logger, makeHandler: makeHandler)
        let group = ServiceGroup(
            configuration: .init(services: [try gateway.makeService()], gracefulShutdownSignals: [], logger: logger))
        let running = Task { try await group.run() }
        guard let port = await gateway.waitUntilListening()?.port else {
            running.cancel()
            throw NotListening()
        }
        return RunningGateway(gateway: gateway, port: port, group: group, running: running)
    }

    /// The WebSocket URL on loopback.
    public var url: String { "\(gateway.configuration.tls == nil ? "ws" : "wss")://127.0.0.1:\(port)/ws" }

    /// Graceful shutdown (the SIGTERM path: clients get 1001), then the event loops.
    public func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
        try await gateway.shutdownEventLoops()
    }
}
