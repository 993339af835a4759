import ArgumentParser
import ParleyGateway
import ParleyHost

/// `parley serve`'s command line: every option with its default and help. What they mean to the
/// gateway, the chat and the cluster is in `ServeOptions+Configuration`; their checks in
/// `ServeOptions+Validation`; `Serve` wires the parts together.
struct ServeOptions: ParsableArguments {
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on; 0 picks a free one.") var port = 8080
    @Option(help: "Bearer token for the @connections management API; without it the API is off.")
    var managementToken: String?
    @Flag(inversion: .prefixedNo, help: "Serve the chat page at /.") var web = true
    @Option(help: "What answers messages: chat (Parley), or echo (each message back as it came; for conformance suites).")
    var handler = HandlerKind.chat
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
    @Option(
        help:
            "Seconds from accept until a request's headers are complete (beyond: HTTP 408 and close); each socket's deadline falls in the last fifth, so a burst is not closed at once."
    )
    var headerTimeout = 10
    @Option(help: "Seconds a kept-alive plain HTTP connection (page, health, API) may sit idle before it is closed.")
    var httpIdleTimeout = 60
    @Option(
        help: "Sockets at once that have not upgraded yet (beyond: closed on accept). Default: a quarter of --max-connections, at least 64."
    )
    var maxPendingUpgrades: Int?
    @Option(help: "Open connections from one client address (beyond: HTTP 429).") var maxConnectionsPerIp = 1_000
    @Option(help: "New connections per second from one client address (beyond: HTTP 429).") var connectRatePerIp = 50
    @Option(help: "A client address the per-address limits do not apply to (a load generator, say); repeatable.")
    var unlimitedIp: [String] = []
    @Option(help: "A proxy whose X-Forwarded-For names the client (for limits and sourceIP); repeatable. Nobody else's is read.")
    var trustedProxy: [String] = []
    @Option(help: "New connections accepted per second (beyond: HTTP 429).") var connectRate = 500
    @Option(
        help:
            "Open connections at once (beyond: HTTP 503). Default: 10,000, lowered to fit the open-files limit; one given is kept, or the server refuses to start."
    )
    var maxConnections: Int?
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
    @Option(help: "The room a client that names none is in, joined at its first setName (1-64 of A-Z a-z 0-9 _ . -).")
    var defaultRoom = "lobby"
    @Option(help: "Rooms one connection may be in at once, the default room included (beyond: too_many_rooms).")
    var maxRoomsPerConnection = 100
    @Option(help: "Members one room may hold (beyond: room_full); default: no limit.") var maxRoomMembers: Int?
    @Option(help: "Event loops for sockets; by default one per core this process may run on (taskset, cpuset and CPU quota narrow it).")
    var eventLoops = UsableCores.count
    @Option(
        help:
            "How frames reach plaintext sockets: uring (a loop's flush in one io_uring submission; direct where the kernel refuses io_uring or the build has no liburing), direct (one send per connection while NIO holds none of its bytes) or nio (always through NIO's pipeline). wss is always nio."
    )
    var writePath = WritePath.uring

    @Option(help: "Where the room lives: memory (this process alone) or postgres (a cluster of nodes).")
    var store = StoreKind.memory
    @Option(
        help: """
            PostgreSQL for --store postgres: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE. Several hosts \
            (postgres://u@db1:5432,db2:5432/chat) are a primary and its standbys: the node writes to the one \
            that is primary and follows a failover to the promoted one.
            """)
    var postgresURL: String?
    @Option(help: "This node's name in the cluster (a restarted node keeps its place by it); default HOST:PORT.")
    var nodeID: String?
    @Option(help: "Seconds of silence after which a node is dead and its members are removed.")
    var deadNodeAfter = 10
    @Option(help: "Milliseconds between a node's heartbeats.") var heartbeatMs = 1000
    @Option(help: "Public messages a node holds while its database is away, sent when it is back (beyond: unavailable).")
    var outboxSize = 1000
    @Option(help: "Seconds a held public message may wait unsent before its sender is told it was not sent.")
    var outboxTtl = 30
    @Option(help: "Seconds a node waits for its database to answer a heartbeat before it calls the link lost and reconnects.")
    var databaseTimeout = 5

    @OptionGroup(title: "Identity") var identity: AuthOptions
}

/// `--store`: where the room lives.
enum StoreKind: String, CaseIterable, ExpressibleByArgument {
    case memory, postgres
}

/// `--handler`: what answers messages.
enum HandlerKind: String, CaseIterable, ExpressibleByArgument {
    case chat, echo
}

extension WritePath: ExpressibleByArgument {}
