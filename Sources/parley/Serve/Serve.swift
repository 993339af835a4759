import ArgumentParser
import Foundation
import Logging
import ParleyChat
import ParleyCluster
import ParleyGateway
import ParleyHost
import ParleyProtocol
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the chat gateway.",
        discussion: """
            Prints "parley listening on ws://HOST:PORT" once it accepts connections.
            SIGINT or SIGTERM drains: every client gets close 1001, then exit 0.

            Examples:
              parley serve
              parley serve --port 0 --management-token s3cret --log-level debug
              parley serve --port 9000 --max-connections 19000 --presence-limit 500
              parley serve --store postgres --postgres-url postgres://parley@127.0.0.1:5432/parley --node-id a
              parley serve --allowed-origin https://chat.example.com --allowed-origin http://localhost:3000
              parley serve --handler echo --max-frame-bytes 16777216 --max-message-bytes 16777216
              parley serve --metrics-port 9100      # then: curl http://127.0.0.1:9100/metrics
              parley serve --auth jwt --jwt-key secret.txt --jwt-issuer https://id.example.com
              parley serve --auth jwt --jwks /etc/parley/jwks.json      # kill -HUP reloads it
              parley serve --auth webhook --auth-url http://127.0.0.1:9000/authorize
              make certs && parley serve --tls-cert .build/certs/localhost.pem --tls-key .build/certs/localhost-key.pem

            With --store postgres, nodes sharing one database serve one room (docs/SERVING.md, "Cluster").
            Exit codes: 0 after a drain, 64 for bad arguments, 69 when the database is unreachable
            at start or its schema is newer than this parley.
            """
    )

    @OptionGroup var options: ServeOptions

    /// The wiring: raise the open-files limit, fit the sockets in it, join the cluster (an
    /// unreachable database is exit 69 before anything listens), then one `ServiceGroup` — the
    /// event loops, the bus, the listeners, the drain and the readiness lines — until SIGTERM.
    func run() async throws {
        var logger = Logger(label: "parley")
        logger.logLevel = Logger.Level(rawValue: options.logLevel) ?? .info

        let openFiles = OpenFilesLimit.raiseToHardLimit()
        var gatewayConfiguration = options.gatewayConfiguration
        do {
            if let changed = try gatewayConfiguration.fitSockets(
                withinOpenFiles: openFiles, connectionsGiven: options.maxConnections != nil)
            {
                logger.warning("\(changed)")
            }
        } catch {
            // The operator's caps, not a default: refused before anything listens (exit 64).
            throw ValidationError(error.description)
        }
        let bus = try await options.joinCluster(logger: logger)
        gatewayConfiguration.tls = try options.tlsConfiguration()
        let (authorizer, authServices) = try await options.identity.makeAuthorizer(logger: logger)
        gatewayConfiguration.authorizer = authorizer
        gatewayConfiguration.authRefreshURL = options.identity.authRefreshURL
        gatewayConfiguration.maximumConnectionsPerUser = options.identity.maxConnectionsPerUser
        gatewayConfiguration.connectionsPerSecondPerUser = options.identity.connectRatePerUser
        gatewayConfiguration.nodeTag = bus?.tag ?? 0
        let chatConfiguration = options.chatConfiguration
        let handler = options.handler
        let gateway = Gateway(configuration: gatewayConfiguration, logger: logger) { connections, scheduler -> any RouteHandler in
            switch handler {
            case .echo: EchoHandler()
            case .chat:
                ChatHandler(connections: connections, scheduler: scheduler, configuration: chatConfiguration, logger: logger, bus: bus)
            }
        }
        if let bus {
            // Interest routing, seen from outside: a node with no member in a room receives none
            // of its events (docs/ARCHITECTURE.md, "Rooms across the cluster").
            let metrics = gateway.metrics.clusterRooms()
            bus.observe(BusObserver(roomEvent: metrics.roomEvent, watchedRooms: metrics.watchedRooms, outbox: metrics.outbox))
        }
        let announcement = ReadinessAnnouncement(gateway: gateway, host: options.host, scheme: options.tlsCert == nil ? "ws" : "wss")
        let dependencies: [any Service] = [bus].compactMap { $0 } + authServices + [announcement]
        try await gateway.makeServiceGroup(dependencies: dependencies).run()
    }
}
