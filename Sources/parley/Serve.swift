import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOSSL
import ParleyChat
import ParleyCluster
import ParleyGateway
import ParleyHost
import ParleyProtocol
import Synchronization

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
              make certs && parley serve --tls-cert .build/certs/localhost.pem --tls-key .build/certs/localhost-key.pem

            With --store postgres, nodes sharing one database serve one room (see README, "Cluster").
            Exit codes: 0 after a drain, 64 for bad arguments, 69 when the database is unreachable
            at start or its schema is newer than this parley.
            """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on; 0 picks a free one.") var port = 8080
    @Option(help: "Bearer token for the @connections management API; without it the API is off.")
    var managementToken: String?
    @Flag(inversion: .prefixedNo, help: "Serve the chat page at /.") var web = true
    @Option(help: "What answers messages: chat (Parley), or echo (each message back as it came; for conformance suites).")
    var handler = "chat"
    @Option(help: "An origin (scheme://host[:port]) whose pages may connect; repeatable. Default: any origin.")
    var allowedOrigin: [String] = []
    @Option(help: "PEM certificate chain: serve wss:// (and https://) instead of ws://; needs --tls-key.")
    var tlsCert: String?
    @Option(help: "PEM private key of --tls-cert.") var tlsKey: String?
    @Option(help: "Serve Prometheus metrics at http://HOST:PORT/metrics on this port (0: a free one). Default: none.")
    var metricsPort: Int?
    @Option(help: "Serve the @connections management API on this port only, not the chat's (0: a free one). Default: the chat's port.")
    var managementPort: Int?
    @Option(help: "Address for --management-port (e.g. a private interface). Default: --host.") var managementHost: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"

    @Option(help: "Largest WebSocket frame in bytes (bigger: close 1009).") var maxFrameBytes = 32 * 1024
    @Option(help: "Largest reassembled message in bytes (bigger: close 1009).") var maxMessageBytes = 128 * 1024
    @Option(help: "Seconds without an inbound frame before close 1001.") var idleTimeout = 600
    @Option(help: "Seconds a connection may live before close 1001.") var maxLifetime = 7200
    @Option(help: "Bytes in a connection's first request head, request line and headers (beyond: HTTP 431 and close).")
    var maxHeaderBytes = 32 * 1024
    @Option(help: "Header fields in a connection's first request (beyond: HTTP 431 and close).") var maxHeaders = 100
    @Option(help: "Seconds from accept until a request's headers are complete (beyond: HTTP 408 and close); each socket's deadline falls in the last fifth, so a burst is not closed at once.")
    var headerTimeout = 10
    @Option(help: "Seconds a kept-alive plain HTTP connection (page, health, API) may sit idle before it is closed.")
    var httpIdleTimeout = 60
    @Option(help: "Sockets at once that have not upgraded yet (beyond: closed on accept). Default: a quarter of --max-connections, at least 64.")
    var maxPendingUpgrades: Int?
    @Option(help: "Open connections from one client address (beyond: HTTP 429).") var maxConnectionsPerIp = 1_000
    @Option(help: "New connections per second from one client address (beyond: HTTP 429).") var connectRatePerIp = 50
    @Option(help: "A client address the per-address limits do not apply to (a load generator, say); repeatable.")
    var unlimitedIp: [String] = []
    @Option(help: "A proxy whose X-Forwarded-For names the client (for limits and sourceIP); repeatable. Nobody else's is read.")
    var trustedProxy: [String] = []
    @Option(help: "New connections accepted per second (beyond: HTTP 429).") var connectRate = 500
    @Option(help: "Open connections at once (beyond: HTTP 503).") var maxConnections = 10_000
    @Option(help: "Inbound messages per second per connection (beyond: rate_limited).") var inboundRate = 100
    @Option(help: "Over-rate messages in a row before close 1008.") var rateStrikes = 100
    @Option(help: "Bytes queued to one client before it is closed as a slow consumer (1008).")
    var outboundBudget = 4 * 1024 * 1024
    @Option(help: "Kernel send buffer per socket in bytes (SO_SNDBUF); default: the kernel's autotuning.")
    var socketSendBuffer: Int?
    @Option(help: "Longest message text in characters (beyond: message_too_long).") var maxMessageChars = 4096
    @Option(help: "Named members above which join/leave texts and full member lists stop.")
    var presenceLimit = 1000
    @Option(help: "Milliseconds over which membership changes are coalesced.") var presenceWindowMs = 100
    @Option(help: "Public messages kept for clients that resume with ?since=SEQ&epoch=E (0: none).") var historySize = 500
    @Option(help: "Seconds a public message stays resumable.") var historyTtl = 600
    @Option(help: "Event loops for sockets; by default one per core this process may run on (taskset, cpuset and CPU quota narrow it).")
    var eventLoops = UsableCores.count
    @Option(help: "How frames reach plaintext sockets: uring (a loop's flush in one io_uring submission; direct where the kernel refuses io_uring), direct (one send per connection while NIO holds none of its bytes) or nio (always through NIO's pipeline). wss is always nio.")
    var writePath = "uring"

    @Option(help: "Where the room lives: memory (this process alone) or postgres (a cluster of nodes).")
    var store = "memory"
    @Option(help: "PostgreSQL for --store postgres: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE.")
    var postgresURL: String?
    @Option(help: "This node's name in the cluster (a restarted node keeps its place by it); default HOST:PORT.")
    var nodeID: String?
    @Option(help: "Seconds of silence after which a node is dead and its members are removed.")
    var deadNodeAfter = 10
    @Option(help: "Milliseconds between a node's heartbeats.") var heartbeatMs = 1000

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535, not \(port)") }
        if let metricsPort, !(0...65535).contains(metricsPort) || (metricsPort == port && port != 0) {
            throw ValidationError("--metrics-port must be 0…65535 and not the chat's port, not \(metricsPort)")
        }
        if let managementPort,
            !(0...65535).contains(managementPort) || (managementPort != 0 && [port, metricsPort].contains(managementPort))
        {
            throw ValidationError("--management-port must be 0…65535 and not the chat's or the metrics' port, not \(managementPort)")
        }
        if managementHost != nil && managementPort == nil { throw ValidationError("--management-host needs --management-port") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        for (name, value) in [
            ("--max-frame-bytes", maxFrameBytes), ("--max-message-bytes", maxMessageBytes),
            ("--idle-timeout", idleTimeout), ("--max-lifetime", maxLifetime), ("--connect-rate", connectRate),
            ("--header-timeout", headerTimeout), ("--http-idle-timeout", httpIdleTimeout),
            ("--max-header-bytes", maxHeaderBytes), ("--max-headers", maxHeaders),
            ("--max-connections-per-ip", maxConnectionsPerIp), ("--connect-rate-per-ip", connectRatePerIp),
            ("--max-connections", maxConnections), ("--inbound-rate", inboundRate),
            ("--outbound-budget", outboundBudget), ("--max-message-chars", maxMessageChars),
            ("--event-loops", eventLoops), ("--dead-node-after", deadNodeAfter), ("--heartbeat-ms", heartbeatMs),
            ("--history-ttl", historyTtl),
        ] where value <= 0 {
            throw ValidationError("\(name) must be positive, not \(value)")
        }
        if historySize < 0 { throw ValidationError("--history-size must be 0 or more, not \(historySize)") }
        for address in unlimitedIp + trustedProxy where (try? SocketAddress(ipAddress: address, port: 0)) == nil {
            throw ValidationError("--unlimited-ip and --trusted-proxy take IP addresses, not \"\(address)\"")
        }
        if let maxPendingUpgrades, maxPendingUpgrades <= 0 {
            throw ValidationError("--max-pending-upgrades must be positive, not \(maxPendingUpgrades)")
        }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        guard WritePath(rawValue: writePath) != nil else {
            throw ValidationError("--write-path must be \(WritePath.allCases.map(\.rawValue).joined(separator: ", ")), not \(writePath)")
        }
        guard ["chat", "echo"].contains(handler) else { throw ValidationError("--handler must be chat or echo, not \(handler)") }
        if handler == "echo" && store != "memory" { throw ValidationError("--handler echo has no room to share: leave --store out") }
        for origin in allowedOrigin {
            guard let url = URL(string: origin), let scheme = url.scheme, ["http", "https"].contains(scheme.lowercased()),
                url.host != nil, url.path.isEmpty || url.path == "/"
            else {
                throw ValidationError("--allowed-origin must look like https://chat.example.com or http://localhost:3000, not \(origin)")
            }
        }
        switch store {
        case "memory":
            if postgresURL != nil { throw ValidationError("--postgres-url needs --store postgres") }
        case "postgres":
            guard let postgresURL else { throw ValidationError("--store postgres needs --postgres-url") }
            do { _ = try PostgresURL(postgresURL) } catch { throw ValidationError("\(error)") }
            if heartbeatMs * 2 > deadNodeAfter * 1000 {
                throw ValidationError("--heartbeat-ms must be at most half of --dead-node-after")
            }
        default:
            throw ValidationError("--store must be memory or postgres, not \(store)")
        }
    }

    func run() async throws {
        var logger = Logger(label: "parley")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info

        let openFiles = OpenFilesLimit.raiseToHardLimit()
        var gatewayConfiguration = self.gatewayConfiguration
        if let lowered = gatewayConfiguration.fitSockets(withinOpenFiles: openFiles) {
            logger.warning("\(lowered)")
        }

        let bus = try await joinCluster(logger: logger)
        gatewayConfiguration.tls = try tlsConfiguration()
        gatewayConfiguration.nodeTag = bus?.tag ?? 0
        let chatConfiguration = self.chatConfiguration
        let echo = handler == "echo"
        let gateway = Gateway(configuration: gatewayConfiguration, logger: logger) { connections, scheduler -> any RouteHandler in
            if echo { return EchoHandler() }
            return ChatHandler(
                connections: connections, scheduler: scheduler, configuration: chatConfiguration,
                logger: logger, bus: bus)
        }
        let clusterEnded = EndFlag()
        let cluster = Task {
            await bus?.run()
            clusterEnded.set()
        }
        let announce = Task {
            if let address = await gateway.waitUntilListening() {
                // One readiness line, flushed at once: scripts wait for it on a pipe.
                print("parley listening on \(tlsCert == nil ? "ws" : "wss")://\(host):\(address.port ?? port)")
                fflush(nil)
            }
            if let metrics = await gateway.waitUntilMetricsListening() {
                print("parley metrics on http://\(host):\(metrics.port ?? 0)/metrics")
                fflush(nil)
            }
        }
        defer { announce.cancel() }
        try await gateway.run()
        // The drain's leaves reach the other nodes before this one goes.
        await bus?.finish()
        cluster.cancel()
        // Bounded all the same: the drain and the leaves are done, so a bus that does not end
        // (a query the database never answers) must not keep the process.
        let deadline = ContinuousClock.now + .seconds(3)
        while !clusterEnded.isSet && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        try await gateway.shutdownEventLoops()
    }

    /// The server side of TLS from the PEM files, or nil; a file that cannot be read or parsed
    /// is named in the error (exit 64).
    func tlsConfiguration() throws -> TLSConfiguration? {
        guard let tlsCert, let tlsKey else { return nil }
        let chain: [NIOSSLCertificate], key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(tlsCert)
        } catch {
            throw ValidationError("--tls-cert \(tlsCert): not a readable PEM certificate (\(error))")
        }
        guard !chain.isEmpty else { throw ValidationError("--tls-cert \(tlsCert): no certificate in the file") }
        do {
            key = try NIOSSLPrivateKey(file: tlsKey, format: .pem)
        } catch {
            throw ValidationError("--tls-key \(tlsKey): not a readable PEM private key (\(error))")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }

    /// The cluster bus for --store postgres (nil for memory); an unreachable database is an
    /// error at once, not a hang.
    func joinCluster(logger: Logger) async throws -> PostgresClusterBus? {
        guard store == "postgres", let postgresURL else { return nil }
        var settings = ClusterSettings(url: try PostgresURL(postgresURL), nodeName: nodeID ?? "\(host):\(port)")
        settings.deadNodeAfter = .seconds(deadNodeAfter)
        settings.heartbeatInterval = .milliseconds(heartbeatMs)
        settings.historySize = historySize
        settings.historyTTL = .seconds(historyTtl)
        do {
            return try await PostgresClusterBus.join(settings, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("parley: error: \(error)\n".utf8))
            throw ExitCode(69)
        }
    }

    var gatewayConfiguration: GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.managementToken = managementToken
        configuration.servesWebPage = web
        configuration.maximumFrameBytes = maxFrameBytes
        configuration.maximumMessageBytes = maxMessageBytes
        configuration.idleTimeout = .seconds(idleTimeout)
        configuration.maximumLifetime = .seconds(maxLifetime)
        configuration.headerTimeout = .seconds(headerTimeout)
        configuration.maximumRequestHeadBytes = maxHeaderBytes
        configuration.maximumRequestHeaderFields = maxHeaders
        configuration.httpIdleTimeout = .seconds(httpIdleTimeout)
        configuration.maximumPendingUpgrades = maxPendingUpgrades
        configuration.maximumConnectionsPerAddress = maxConnectionsPerIp
        configuration.connectionsPerSecondPerAddress = connectRatePerIp
        configuration.unlimitedAddresses = Set(unlimitedIp)
        configuration.trustedProxies = Set(trustedProxy)
        configuration.connectionsPerSecond = connectRate
        configuration.maximumConnections = maxConnections
        configuration.inboundMessagesPerSecond = inboundRate
        configuration.rateStrikesBeforeClose = rateStrikes
        configuration.outboundBudgetBytes = outboundBudget
        configuration.socketSendBufferBytes = socketSendBuffer
        configuration.eventLoopCount = eventLoops
        configuration.metricsPort = metricsPort
        configuration.managementPort = managementPort
        configuration.managementHost = managementHost
        configuration.echoesMessages = handler == "echo"
        configuration.writePath = WritePath(rawValue: writePath) ?? .uring
        configuration.allowedOrigins = Set(allowedOrigin.map { $0.lowercased().trimmingSuffix("/") })
        return configuration
    }

    var chatConfiguration: ChatConfiguration {
        var configuration = ChatConfiguration()
        configuration.maximumMessageScalars = maxMessageChars
        configuration.presenceLimit = presenceLimit
        configuration.presenceWindow = .milliseconds(presenceWindowMs)
        configuration.historySize = historySize
        configuration.historyTTL = .seconds(historyTtl)
        return configuration
    }
}

/// Set once by a task as its last act, read by whoever must not wait on it forever.
final class EndFlag: Sendable {
    private let ended = Atomic<Bool>(false)
    func set() { ended.store(true, ordering: .releasing) }
    var isSet: Bool { ended.load(ordering: .acquiring) }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
