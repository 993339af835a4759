import Logging
import ParleyChat
import ParleyGateway
import ServiceLifecycle

/// `--embedded`: a real Parley gateway inside the load process on a free loopback port, with its
/// admission limits opened up so that the harness measures fan-out, not the quotas.
struct EmbeddedGateway {
    let url: String
    private let gateway: Gateway
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    static func start(quiet: Bool) async throws -> EmbeddedGateway {
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.connectionsPerSecond = 1_000_000
        configuration.maximumConnections = 1_000_000
        configuration.inboundMessagesPerSecond = 1_000_000
        configuration.servesWebPage = false
        var logger = Logger(label: "parley.embedded")
        logger.logLevel = .warning
        let gateway = Gateway(configuration: configuration, logger: logger) { connections, scheduler in
            ChatHandler(connections: connections, scheduler: scheduler, logger: logger)
        }
        let group = ServiceGroup(configuration: .init(services: [gateway.makeService()], gracefulShutdownSignals: [], logger: logger))
        let running = Task { try await group.run() }
        guard let address = await gateway.waitUntilListening(), let port = address.port else {
            running.cancel()
            throw BadInput(description: "the embedded gateway did not start")
        }
        return EmbeddedGateway(url: "ws://127.0.0.1:\(port)/ws", gateway: gateway, group: group, running: running)
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        try? await gateway.shutdownEventLoops()
    }
}
