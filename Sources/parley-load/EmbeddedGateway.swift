import Logging
import ParleyChat
import ParleyGateway

/// `--embedded`: a real Parley gateway inside the load process on a free loopback port, with its
/// admission limits opened up so that the harness measures fan-out, not the quotas.
enum EmbeddedGateway {
    static func start() async throws -> RunningGateway {
        let configuration = GatewayConfiguration.forLoadTesting()
        var logger = Logger(label: "parley.embedded")
        logger.logLevel = .warning
        return try await RunningGateway.start(configuration: configuration, logger: logger) { connections, scheduler in
            ChatHandler(connections: connections, scheduler: scheduler, logger: logger)
        }
    }
}
