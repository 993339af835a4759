import Foundation
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import ParleyAuth
import ParleyProtocol

/// Hummingbird's child channel for Parley: plain HTTP requests go to the Hummingbird router
/// (health, management API, web page); a WebSocket upgrade on `/` or `/ws` runs `$connect` and,
/// if accepted, ends in Parley's own synchronous `WebSocketConnectionHandler` rather than an
/// async channel, so the fan-out can write to sockets without a task or await per recipient.
/// Modelled on HummingbirdWebSocket's `HTTP1WebSocketUpgradeChannel`.
struct ParleyChildChannel: ServerChildChannel, HTTPChannelHandler {
    enum UpgradeResult: Sendable {
        case websocket(any Channel)
        case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, status: Int, reason: String)
    }

    struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        let channel: any Channel
    }

    static let webSocketPaths: Set<String> = ["/", "/ws"]

    let responder: HTTPChannelHandler.Responder
    let routeHandler: any RouteHandler
    let registry: ConnectionRegistry
    let admission: ConnectionAdmission
    let configuration: GatewayConfiguration
    let messageCounters: MessageCounters
    let httpChannels: HTTPChannels

    /// Raised when a socket arrives with `maximumPendingUpgrades` others still before their upgrade.
    struct PendingUpgradesFull: Error {}

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard httpChannels.admit(channel, limit: configuration.pendingUpgradeLimit) else {
            // Closed at once, before a byte is read: the cap is the point.
            registry.metrics.pendingUpgradeRefusals.increment()
            channel.close(promise: nil)
            return channel.eventLoop.makeSucceededFuture(
                Value(upgradeResult: channel.eventLoop.makeFailedFuture(PendingUpgradesFull()), channel: channel))
        }
        return channel.eventLoop.makeCompletedFuture {
            // Set once `shouldUpgrade` has run: the refusal to answer with, if any.
            let refusal = NIOLoopBoundBox<(status: Int, reason: String)?>(nil, eventLoop: channel.eventLoop)
            let accepted = NIOLoopBoundBox<AcceptedConnection?>(nil, eventLoop: channel.eventLoop)
            let upgrader = NIOTypedWebSocketServerUpgrader<UpgradeResult>(
                maxFrameSize: configuration.maximumFrameBytes,
                shouldUpgrade: { channel, head in
                    runConnect(channel: channel, head: head, logger: logger).map { result in
                        switch result {
                        case .success(let connection):
                            accepted.value = connection
                            // Committed to becoming a WebSocket: from here the drain owes it a
                            // close 1001, not an abrupt close (the 101 may already be on its way).
                            httpChannels.left(channel)
                            var headers = HTTPHeaders()
                            if let chosen = connection.credential?.request.token?.answeredSubprotocol {
                                headers.add(name: "Sec-WebSocket-Protocol", value: chosen)
                            }
                            return headers
                        case .failure(let refused):
                            registry.metrics.refused(status: refused.status)
                            refusal.value = (refused.status, refused.reason)
                            return nil
                        }
                    }
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard let connection = accepted.value else { throw ChannelError.inappropriateOperationForState }
                        let id = connection.id
                        FrontDoorHandlers.remove(from: channel.pipeline.syncOperations)
                        let writer = PreEncodedFrameWriter(writesDirectly: configuration.writePath != .nio && configuration.tls == nil)
                        // Next to the frame encoder's place, on the socket's side of it — but
                        // inside TLS, whose handler (when there is one) sits first.
                        let encoder = try channel.pipeline.syncOperations.handler(type: WebSocketFrameEncoder.self)
                        try channel.pipeline.syncOperations.addHandler(writer, position: .before(encoder))
                        try channel.pipeline.syncOperations.addHandler(
                            WebSocketConnectionHandler(
                                id: id, routeHandler: routeHandler, registry: registry,
                                configuration: configuration, writer: writer,
                                sourceIP: connection.client, messageCounters: messageCounters,
                                credential: connection.credential, logger: logger))
                        return UpgradeResult.websocket(channel)
                    }
                }
            )
            let serverUpgrade = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: configuration.tls != nil))
                        try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(logger: logger))
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true))
                        if let refused = refusal.value {
                            return UpgradeResult.refused(asyncChannel, status: refused.status, reason: refused.reason)
                        }
                        return UpgradeResult.notUpgraded(asyncChannel)
                    }
                }
            )
            var pipeline = NIOUpgradableHTTPServerPipelineConfiguration<UpgradeResult>(
                upgradeConfiguration: serverUpgrade)
            pipeline.enablePipelining = false
            pipeline.enableErrorHandling = false
            pipeline.enableResponseHeaderValidation = false
            let result = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                configuration: pipeline)
            try FrontDoorHandlers.install(
                on: channel.pipeline.syncOperations, configuration: configuration, metrics: registry.metrics)
            // Each socket keeps its last receive buffer for the next read (NIO's pooled receive
            // buffers), so its first size is what an idle connection holds: 2 KiB by default.
            // Frames from chat clients are small; the buffer grows when a read fills it.
            try channel.syncOptions?.setOption(
                ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65_536))
            // The outbound budget: past the high water mark the channel turns unwritable and the
            // connection handler closes the client as a slow consumer.
            try channel.syncOptions?.setOption(
                ChannelOptions.writeBufferWaterMark,
                value: .init(low: configuration.outboundBudgetBytes / 2, high: configuration.outboundBudgetBytes))
            if let sendBuffer = configuration.socketSendBufferBytes {
                try channel.syncOptions?.setOption(.socketOption(.so_sndbuf), value: .init(sendBuffer))
            }
            return Value(upgradeResult: result, channel: channel)
        }
    }

    private struct Refusal: Error {
        let status: Int
        let reason: String
    }

    /// What an accepted upgrade hands the connection's handler.
    struct AcceptedConnection {
        let id: ConnectionID
        let client: String?
        let credential: ConnectionCredential?
    }

    /// Path check, origin, admission, the authorizer (when there is one: it may take a while, a
    /// webhook's round trip, so this is a future), then the handler's `$connect`. An accepted
    /// connection gets its `$disconnect` from the socket's close, however the socket ends.
    private func runConnect(
        channel: any Channel, head: HTTPRequestHead, logger: Logger
    ) -> EventLoopFuture<Result<AcceptedConnection, Refusal>> {
        let loop = channel.eventLoop
        let components = URLComponents(string: head.uri)
        let path = components?.path ?? head.uri
        guard Self.webSocketPaths.contains(path) else {
            return loop.makeSucceededFuture(.failure(Refusal(status: 404, reason: "WebSocket endpoints are / and /ws")))
        }
        // Browsers always send Origin with a WebSocket upgrade; with an allow-list, a page from
        // anywhere else may not open a socket with its visitor's cookies (cross-site hijacking).
        // Clients that are not browsers send none and are not affected.
        if !configuration.allowedOrigins.isEmpty, let origin = head.headers.first(name: "origin"),
            !configuration.allowedOrigins.contains(origin.lowercased())
        {
            logger.info("upgrade refused: origin not allowed", metadata: ["origin": "\(origin)"])
            return loop.makeSucceededFuture(.failure(Refusal(status: 403, reason: "origin \(origin) is not allowed")))
        }
        let client = ClientAddress.resolve(
            peer: channel.remoteAddress?.ipAddress, forwardedFor: head.headers["X-Forwarded-For"],
            trustedProxies: configuration.trustedProxies)
        // Admission before the authorizer: a flood of forged tokens is turned away by the rate
        // limits before any signature is checked.
        if case .refused(let status, let reason) = admission.admit(from: client) {
            logger.info("upgrade refused", metadata: ["status": "\(status)", "client": "\(client ?? "?")"])
            return loop.makeSucceededFuture(.failure(Refusal(status: status, reason: reason)))
        }
        var query: [String: String] = [:]
        for item in components?.queryItems ?? [] { query[item.name] = item.value ?? "" }
        guard let authorizer = configuration.authorizer else {
            return loop.makeSucceededFuture(finishConnect(channel, path: path, query: query, client: client, credential: nil))
        }
        let headers = head.headers.map { (name: $0.name.lowercased(), value: $0.value) }
        let request = AuthorizationRequest(
            path: path, query: query, headers: headers, sourceAddress: client,
            token: PresentedToken.find(headers: headers, query: query))
        let decided = loop.makePromise(of: AuthorizationOutcome.self)
        decided.completeWithTask { await authorizer.authorize(request) }
        let metrics = registry.metrics
        let admission = self.admission
        return decided.futureResult.map { outcome in
            switch outcome {
            case .refused(let reason):
                admission.release(from: client)
                metrics.authRefused(reason)
                // The reason is for the operator; the client learns only that it is not let in.
                // The token itself is never logged.
                logger.info(
                    "upgrade refused: unauthorized",
                    metadata: [
                        "reason": "\(reason.rawValue)", "client": "\(client ?? "?")",
                        "carrier": "\(request.token?.carrier.rawValue ?? "none")",
                    ])
                return .failure(Refusal(status: 401, reason: "unauthorized"))
            case .allowed(let identity):
                if case .refused(let status, let reason) = admission.admit(user: identity.user) {
                    admission.release(from: client)
                    logger.info("upgrade refused", metadata: ["status": "\(status)", "user": "\(identity.user)"])
                    return .failure(Refusal(status: status, reason: reason))
                }
                metrics.authAllowed.increment()
                let credential = ConnectionCredential(identity: identity, request: request, authorizer: authorizer)
                return finishConnect(channel, path: path, query: query, client: client, credential: credential)
            }
        }
    }

    /// The handler's `$connect`, once the connection is admitted (and authorized).
    private func finishConnect(
        _ channel: any Channel, path: String, query: [String: String], client: String?, credential: ConnectionCredential?
    ) -> Result<AcceptedConnection, Refusal> {
        let id = registry.makeID(on: channel.eventLoop)
        let request = ConnectRequest(connectionID: id, path: path, query: query, sourceIP: client, identity: credential?.identity)
        let user = credential?.identity.user
        switch routeHandler.connect(request) {
        case .refuse(let status, let reason):
            admission.release(from: client)
            if let user { admission.release(user: user) }
            return .failure(Refusal(status: status, reason: reason))
        case .accept:
            let routeHandler = self.routeHandler
            let registry = self.registry
            let admission = self.admission
            registry.metrics.accepted.increment()
            registry.metrics.connections.increment()
            channel.closeFuture.whenComplete { _ in
                registry.metrics.connections.decrement()
                registry.unregister(id)
                admission.release(from: client)
                if let user { admission.release(user: user) }
                routeHandler.disconnect(id)
            }
            return .success(AcceptedConnection(id: id, client: client, credential: credential))
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgradeResult.get() {
            case .websocket:
                // Nothing to wait for: the connection lives on in its synchronous handler and the
                // drain closes it. A task parked on its close for its whole life held 4.2 KiB per
                // connection (heaptrack, 10,000 idle connections: the task 1,168 B and its stack
                // slab 3,060 B).
                return
            case .notUpgraded(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .refused(let http, let status, let reason):
                await writeRefusal(http, status: status, reason: reason, logger: logger)
            }
        } catch {
            logger.debug("upgrade did not complete", metadata: ["error": "\(error)"])
        }
    }

    private func writeRefusal(
        _ channel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, status: Int, reason: String, logger: Logger
    ) async {
        do {
            try await channel.executeThenClose { _, outbound in
                var body = ByteBuffer()
                body.writeString(reason + "\n")
                var head = HTTPResponse(
                    status: .init(code: status),
                    headerFields: [
                        .connection: "close", .contentType: "text/plain; charset=utf-8",
                        .contentLength: "\(body.readableBytes)",
                    ])
                // RFC 6750 §3: a 401 names the scheme it wants, and nothing more.
                if status == 401 { head.headerFields[.wwwAuthenticate] = "Bearer" }
                try await outbound.write(contentsOf: [.head(head), .body(body), .end(nil)])
            }
        } catch {
            logger.trace("could not write the refusal", metadata: ["error": "\(error)"])
        }
    }
}
