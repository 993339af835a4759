import Logging
import ParleyChat
import ParleyGateway

/// `--embedded`: a real Parley gateway inside the load process on a free loopback port, with its
/// admission limits opened up so that the harness measures fan-out, not the quotas.
enum EmbeddedGateway {
    static func start() async throws -> RunningGateway {
        let configuration = Self.configuration
        var logger = Logger(label: "parley.embedded")
        logger.logLevel = .warning
        return try await RunningGateway.start(configuration: configuration, logger: logger) { connections, scheduler in
            ChatHandler(connections: connections, scheduler: scheduler, logger: logger)
        }
    }

    /// A free loopback port, no web page, and every admission quota out of the way of the run.
    static var configuration: GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.connectionsPerSecond = 1_000_000
        configuration.maximumConnections = 1_000_000
        configuration.maximumConnectionsPerAddress = 1_000_000
        configuration.connectionsPerSecondPerAddress = 1_000_000
        configuration.inboundMessagesPerSecond = 1_000_000
        configuration.servesWebPage = false
        return configuration
    }
}
