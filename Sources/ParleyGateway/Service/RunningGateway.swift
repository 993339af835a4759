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

    /// - Parameter dependencies: services the handler needs until the drain is done (a cluster
    ///   node's bus), in the gateway's group (`Gateway.makeServiceGroup`).
    public static func start(
        configuration: GatewayConfiguration, logger: Logger, dependencies: [any Service] = [],
        makeHandler: (any Connections, any Scheduler) -> any RouteHandler
    ) async throws -> RunningGateway {
        let gateway = Gateway(configuration: configuration, logger: logger, makeHandler: makeHandler)
        let group = try gateway.makeServiceGroup(dependencies: dependencies, gracefulShutdownSignals: [])
        let running = Task { try await group.run() }
        guard let port = await gateway.waitUntilListening()?.port else {
            running.cancel()
            throw NotListening()
        }
        return RunningGateway(gateway: gateway, port: port, group: group, running: running)
    }

    /// The WebSocket URL on loopback.
    public var url: String { "\(gateway.configuration.tls == nil ? "ws" : "wss")://127.0.0.1:\(port)/ws" }

    /// Graceful shutdown, as on SIGTERM: clients get 1001, the dependencies finish, the event
    /// loops stop.
    public func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
