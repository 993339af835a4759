import ArgumentParser
import Foundation
import Logging
import ParleyChat
import ParleyGateway
import ParleyProtocol

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
            """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on; 0 picks a free one.") var port = 8080
    @Option(help: "Bearer token for the @connections management API; without it the API is off.")
    var managementToken: String?
    @Flag(inversion: .prefixedNo, help: "Serve the chat page at /.") var web = true
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"

    @Option(help: "Largest WebSocket frame in bytes (bigger: close 1009).") var maxFrameBytes = 32 * 1024
    @Option(help: "Largest reassembled message in bytes (bigger: close 1009).") var maxMessageBytes = 128 * 1024
    @Option(help: "Seconds without an inbound frame before close 1001.") var idleTimeout = 600
    @Option(help: "Seconds a connection may live before close 1001.") var maxLifetime = 7200
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
    @Option(help: "Event loops for sockets; one per core by default.") var eventLoops = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535, not \(port)") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        for (name, value) in [
            ("--max-frame-bytes", maxFrameBytes), ("--max-message-bytes", maxMessageBytes),
            ("--idle-timeout", idleTimeout), ("--max-lifetime", maxLifetime), ("--connect-rate", connectRate),
            ("--max-connections", maxConnections), ("--inbound-rate", inboundRate),
            ("--outbound-budget", outboundBudget), ("--max-message-chars", maxMessageChars),
            ("--event-loops", eventLoops),
        ] where value <= 0 {
            throw ValidationError("\(name) must be positive, not \(value)")
        }
    }

    func run() async throws {
        var logger = Logger(label: "parley")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info

        let openFiles = OpenFilesLimit.raiseToHardLimit()
        if openFiles >= 0 && openFiles < maxConnections + 64 {
            logger.warning(
                "open-files limit is below --max-connections; connections past it will fail",
                metadata: ["nofile": "\(openFiles)", "max-connections": "\(maxConnections)"])
        }

        let gateway = Gateway(configuration: gatewayConfiguration, logger: logger) { connections, scheduler in
            ChatHandler(
                connections: connections, scheduler: scheduler, configuration: chatConfiguration,
                logger: logger)
        }
        let announce = Task {
            if let address = await gateway.waitUntilListening() {
                // One readiness line, flushed at once: scripts wait for it on a pipe.
                print("parley listening on ws://\(host):\(address.port ?? port)")
                fflush(nil)
            }
        }
        defer { announce.cancel() }
        try await gateway.run()
        try await gateway.shutdownEventLoops()
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
        configuration.connectionsPerSecond = connectRate
        configuration.maximumConnections = maxConnections
        configuration.inboundMessagesPerSecond = inboundRate
        configuration.rateStrikesBeforeClose = rateStrikes
        configuration.outboundBudgetBytes = outboundBudget
        configuration.socketSendBufferBytes = socketSendBuffer
        configuration.eventLoopCount = eventLoops
        return configuration
    }

    var chatConfiguration: ChatConfiguration {
        var configuration = ChatConfiguration()
        configuration.maximumMessageScalars = maxMessageChars
        configuration.presenceLimit = presenceLimit
        configuration.presenceWindow = .milliseconds(presenceWindowMs)
        return configuration
    }
}
