/// The seam between the gateway (sockets) and a handler (rules): the managed WebSocket API's
/// integration. The gateway selects a route per frame and calls the handler; the handler answers
/// only through `Connections`. Calls for one connection arrive in order, on that connection's
/// event loop, and must not block.
public protocol RouteHandler: Sendable {
    /// The action strings that have routes; anything else goes to `$default`.
    var routeKeys: Set<String> { get }

    /// `$connect`: runs before the upgrade completes and may refuse it.
    func connect(_ request: ConnectRequest) -> ConnectDecision

    /// A routed frame (or `$default`).
    func receive(_ event: MessageEvent)

    /// `$disconnect`: after the socket is gone; best effort, may not post to it.
    func disconnect(_ id: ConnectionID)

    /// Extra attributes of a connection for the management API's `GET /@connections/{id}`.
    func attributes(of id: ConnectionID) -> [String: String]

    /// The connection sent a `refresh` whose token the authorizer accepted for the same user:
    /// its room permissions are now `identity`'s.
    func identityRefreshed(_ id: ConnectionID, to identity: ConnectionIdentity)
}

extension RouteHandler {
    /// Handlers that know nothing of identities (the echo handler) ignore refreshes.
    public func identityRefreshed(_ id: ConnectionID, to identity: ConnectionIdentity) {}
}

/// What `$connect` sees of the upgrade request.
public struct ConnectRequest: Sendable {
    public let connectionID: ConnectionID
    public let path: String
    public let query: [String: String]
    public let sourceIP: String?
    /// Who the authorizer said this is (nil with `--auth none`).
    public let identity: ConnectionIdentity?

    public init(
        connectionID: ConnectionID, path: String, query: [String: String], sourceIP: String?,
        identity: ConnectionIdentity? = nil
    ) {
        self.connectionID = connectionID
        self.path = path
        self.query = query
        self.sourceIP = sourceIP
        self.identity = identity
    }
}

/// `$connect`'s answer: accept, or refuse the upgrade with an HTTP status and a reason.
public enum ConnectDecision: Sendable, Equatable {
    case accept
    case refuse(status: Int, reason: String)
}

/// One inbound message after route selection.
public struct MessageEvent: Sendable {
    public let connectionID: ConnectionID
    public let selection: RouteSelection
    /// The gateway's inbound rate limiter found this frame over budget. The handler answers
    /// `rate_limited` only when no earlier check already failed (docs/PROTOCOL.md, "Errors": the check order).
    public let overRate: Bool

    public init(connectionID: ConnectionID, selection: RouteSelection, overRate: Bool) {
        self.connectionID = connectionID
        self.selection = selection
        self.overRate = overRate
    }
}

/// The management API as the handler sees it: post to one connection, fan out to many, close.
/// Posting to a connection that is gone is not an error (it raced with `$disconnect`).
public protocol Connections: Sendable {
    func post(_ payload: Payload, to id: ConnectionID)
    /// The fan-out: one call for any number of recipients; the payload is framed once.
    func post(_ payload: Payload, to ids: some Collection<ConnectionID>)
    func close(_ id: ConnectionID, code: CloseCode, reason: String)
    /// An `error` event to one connection (a separate call so the gateway can count errors by code).
    func postError(_ error: ProtocolError, to id: ConnectionID)
}

extension Connections {
    public func postError(_ error: ProtocolError, to id: ConnectionID) {
        post(OutboundEvent.error(error).encode(), to: id)
    }
}

/// Runs work later, off the caller's stack; the handler's only notion of time passing
/// (presence coalescing windows, periodic notices). The gateway backs it with an event loop.
public protocol Scheduler: Sendable {
    func schedule(after delay: Duration, _ work: @escaping @Sendable () -> Void)
}
