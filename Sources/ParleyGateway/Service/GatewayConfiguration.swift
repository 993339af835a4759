import NIOCore
import NIOSSL
import ParleyAuth
import ParleyHost

/// Everything the gateway enforces, with the managed WebSocket API's quotas as defaults.
public struct GatewayConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (the readiness line says which).
    public var port = 8080
    /// Largest single frame; a bigger one closes the connection with 1009.
    public var maximumFrameBytes = 32 * 1024
    /// Largest message after reassembling fragments; bigger closes with 1009.
    public var maximumMessageBytes = 128 * 1024
    /// A connection with no inbound frame for this long is closed with 1001.
    public var idleTimeout: Duration = .seconds(600)
    /// A connection is closed with 1001 after this long, active or not.
    public var maximumLifetime: Duration = .seconds(7200)
    /// A connection's first request head (request line and headers): at most this many bytes
    /// and header fields (beyond: 431 and close). NIO's parser alone allows 80 KiB.
    public var maximumRequestHeadBytes = 32 * 1024
    public var maximumRequestHeaderFields = 100
    /// From accept until a request's headers are complete; past it: 408 and close (slowloris).
    public var headerTimeout: Duration = .seconds(10)
    /// A kept-alive plain HTTP connection (page, health, management API) idle this long is closed.
    public var httpIdleTimeout: Duration = .seconds(60)
    /// Sockets at once that are not WebSockets (yet): beyond it new sockets are closed on accept.
    /// Nil: a quarter of `maximumConnections`, at least 64 (2,500 by default: past a 2,000-socket
    /// slowloris, and with the WebSockets well inside the 20,000 descriptors of a process).
    public var maximumPendingUpgrades: Int?
    /// Open connections from one client address (beyond: 429) — an office behind one NAT
    /// address stays far below it.
    public var maximumConnectionsPerAddress = 1_000
    /// New connections per second from one client address, bursting as many (beyond: 429).
    public var connectionsPerSecondPerAddress = 50
    /// Client addresses the per-address limits do not apply to (load generators, checkers).
    public var unlimitedAddresses: Set<String> = []
    /// Peers whose `X-Forwarded-For` names the client (`ClientAddress`); nobody else's is read.
    public var trustedProxies: Set<String> = []
    /// Connections the kernel queues before accept (capped by `net.core.somaxconn`). Hummingbird's
    /// 256 overflowed when 2,000 sockets arrived at once: the SYNs it dropped were retried a
    /// second later, so members connecting beside a slowloris burst waited 1.1 s (p99).
    public var listenBacklog = 4096

    var pendingUpgradeLimit: Int { maximumPendingUpgrades ?? max(64, maximumConnections / 4) }
    /// New connections accepted per second (token bucket, burst of one second); beyond: 429.
    public var connectionsPerSecond = 500
    /// Open connections at once; beyond: 503.
    public var maximumConnections = 10_000
    /// Inbound frames per second per connection, with a burst of as many.
    public var inboundMessagesPerSecond = 100
    /// Frames over budget past this many in a row close the connection with 1008.
    public var rateStrikesBeforeClose = 100
    /// Bytes queued towards one client before it is closed as a slow consumer (1008).
    public var outboundBudgetBytes = 4 * 1024 * 1024
    /// The kernel's send buffer per socket (SO_SNDBUF); nil leaves it to the kernel's autotuning,
    /// which on Linux lets up to 4 MiB per socket sit in the kernel before the budget above sees it.
    public var socketSendBufferBytes: Int?
    /// Bearer token of the `@connections` management API; nil turns the API off (404).
    public var managementToken: String?
    /// Serve the chat page at `/`.
    public var servesWebPage = true
    /// Event loops for sockets; defaults to one per core this process may run on.
    public var eventLoopCount = UsableCores.count
    /// This node's tag inside connection ids, so that ids are unique across a cluster (0 alone).
    public var nodeTag: UInt8 = 0
    /// Echo every message back as it came (text or binary) instead of routing it: the gateway's
    /// framing, UTF-8 checks, fragmentation and close handshake under a conformance suite.
    public var echoesMessages = false
    /// Origins (scheme://host[:port], lower case) whose pages may open a WebSocket; empty allows
    /// any. An upgrade without an Origin header (not a browser) is always allowed.
    public var allowedOrigins: Set<String> = []
    /// Serve `/metrics` (Prometheus text format) on this port of `host`; 0 picks a free one, nil
    /// serves none.
    public var metricsPort: Int?
    /// Serve the `@connections` management API on this port (and `managementHost`, default
    /// `host`) instead of the chat's: operators keep it off the public port. Nil: on the chat's.
    public var managementPort: Int?
    public var managementHost: String?
    /// Serve wss:// (and https://) with this certificate and key; nil serves plain ws://.
    public var tls: TLSConfiguration?
    /// How frames reach plaintext sockets (`WritePath`); TLS connections always go through
    /// NIO's pipeline (their bytes must be encrypted by its handler).
    public var writePath = WritePath.uring
    /// `$connect`'s authorizer (`--auth jwt|webhook`); nil (`--auth none`) lets anyone in, as
    /// the tutorial does. With one, every upgrade needs a credential it allows, or gets 401.
    public var authorizer: (any ConnectAuthorizer)?
    /// Where the chat page asks for a new token before its own runs out (`--auth-refresh-url`;
    /// the operator's, answering `{"token":"…"}` to a GET with the user's cookies).
    public var authRefreshURL: String?
    /// With an authorizer: open connections of one user (its tabs, its bots) and new ones per
    /// second, whatever addresses they come from (beyond: HTTP 429).
    public var maximumConnectionsPerUser = 100
    public var connectionsPerSecondPerUser = 20

    public init() {}
}
