import Foundation
import Logging
import NIOCore
import NIOWebSocket
import ParleyAuth
import ParleyProtocol

/// One upgraded connection on its channel's event loop: translates NIO's events into
/// `ConnectionStateMachine` inputs and performs the actions it returns — routes messages to the
/// `RouteHandler`, writes what the handler posts, runs the idle and lifetime timers, and closes
/// slow consumers. The protocol's rules live in the state machine; every method runs on the loop.
final class WebSocketConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame

    let id: ConnectionID
    private let routeHandler: any RouteHandler
    private let registry: ConnectionRegistry
    private let configuration: GatewayConfiguration
    /// The socket's side of the pipeline; the loop's table queues the fan-out's frames on it.
    let writer: PreEncodedFrameWriter
    private let logger: Logger
    private let connectedAt = Date()
    private let sourceIP: String?
    private let messageCounters: MessageCounters

    private var context: ChannelHandlerContext?
    private var machine: ConnectionStateMachine
    private var lastActivity = NIODeadline.now()
    private var lastActiveAt = Date()
    /// One timer for both the idle timeout and the lifetime, at whichever comes first: a
    /// scheduled task per limit cost an idle connection ~330 bytes each (heaptrack).
    private var deadlineCheck: Scheduled<Void>?
    private var lifetimeEnds = NIODeadline.distantFuture
    /// Who the authorizer admitted (nil with `--auth none`), and the close at its deadline.
    private var credential: ConnectionCredential?
    private var expiry: Scheduled<Void>?

    init(
        id: ConnectionID, routeHandler: any RouteHandler, registry: ConnectionRegistry,
        configuration: GatewayConfiguration, writer: PreEncodedFrameWriter, sourceIP: String?,
        messageCounters: MessageCounters, credential: ConnectionCredential? = nil, logger: Logger
    ) {
        self.messageCounters = messageCounters
        self.credential = credential
        self.id = id
        self.routeHandler = routeHandler
        self.registry = registry
        self.configuration = configuration
        self.writer = writer
        self.sourceIP = sourceIP
        self.logger = logger
        self.machine = ConnectionStateMachine(
            maximumMessageBytes: configuration.maximumMessageBytes,
            inboundMessagesPerSecond: configuration.inboundMessagesPerSecond,
            rateStrikesBeforeClose: configuration.rateStrikesBeforeClose)
    }

    var isOpen: Bool { machine.acceptsOutbound && context != nil }

    /// Frames may still be written: the close has not begun (frames posted after it are dropped).
    var acceptsOutbound: Bool { machine.acceptsOutbound }

    var info: ConnectionInfo {
        ConnectionInfo(connectedAt: connectedAt, lastActiveAt: lastActiveAt, sourceIP: sourceIP)
    }

    // MARK: lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        registry.register(self, id: id)
        lifetimeEnds = .now() + TimeAmount(configuration.maximumLifetime)
        scheduleDeadlineCheck(at: min(lastActivity + TimeAmount(configuration.idleTimeout), lifetimeEnds))
        scheduleExpiry()
        logger.debug("connected", metadata: ["connection": "\(id)"])
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadlineCheck?.cancel()
        deadlineCheck = nil
        expiry?.cancel()
        expiry = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.socketClosed()
        logger.debug("disconnected", metadata: ["connection": "\(id)"])
        context.fireChannelInactive()
    }

    /// At `deadline`: past the lifetime, or idle past the timeout, the connection is closed;
    /// otherwise the check comes back at the nearer of the two (activity moved the idle one on).
    private func scheduleDeadlineCheck(at deadline: NIODeadline) {
        guard let context else { return }
        deadlineCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            let now = NIODeadline.now()
            if lifetimeEnds <= now {
                closeConnection(.goingAway, reason: "connection lifetime reached")
                return
            }
            let idleDue = lastActivity + TimeAmount(configuration.idleTimeout)
            if idleDue <= now {
                closeConnection(.goingAway, reason: "idle timeout")
            } else {
                scheduleDeadlineCheck(at: min(idleDue, lifetimeEnds))
            }
        }
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = NIODeadline.now()
        let action = machine.receive(Self.unwrapInboundIn(data), now: now)
        if case .none = action, machine.state != .open { return }
        lastActivity = now
        lastActiveAt = Date()
        switch action {
        case .none:
            break
        case .message(let message, let isText, let overRate):
            handleMessage(message, isText: isText, overRate: overRate)
        case .pong(var payload):
            let pong = payload.readWithUnsafeReadableBytes { raw in
                (raw.count, ServerFrame.frame(opcode: 0xA, payload: raw, allocator: context.channel.allocator))
            }
            sendFrame(pong)
        case .close(let code, let reason):
            // Decided by the machine already; the frame goes behind what is already posted.
            context.eventLoop.assumeIsolated().execute { [self] in sendClose(code, reason: reason) }
        case .answerClose(let code, let reason):
            writer.write(ServerFrame.close(code: code, reason: reason, allocator: context.channel.allocator))
            writer.flush()
            context.close(promise: nil)
        case .closeSocket:
            context.close(promise: nil)
        }
    }

    private func handleMessage(_ message: ByteBuffer, isText: Bool, overRate: Bool) {
        if configuration.echoesMessages {
            // `--handler echo`: the message back as it came, for conformance suites.
            let echo = message.withUnsafeReadableBytes { raw in
                ServerFrame.frame(opcode: isText ? 0x1 : 0x2, payload: raw, allocator: context?.channel.allocator ?? ByteBufferAllocator())
            }
            return sendFrame(echo)
        }
        let selection = RouteSelection.select(message.readableBytesView, routeKeys: routeHandler.routeKeys)
        if credential != nil, case .unknownAction(let frame) = selection, frame.action == ActionName.refresh {
            return refresh(frame)
        }
        messageCounters.count(selection)
        routeHandler.receive(MessageEvent(connectionID: id, selection: selection, overRate: overRate))
    }

    // MARK: identity

    /// At the credential's deadline the client is told (`tokenExpired`) and closed with 4001,
    /// unless a `refresh` moved the deadline first.
    private func scheduleExpiry() {
        expiry?.cancel()
        expiry = nil
        guard let context, let deadline = credential?.identity.expiresAtMillis else { return }
        let remaining = TimeAmount.milliseconds(max(0, deadline - Int64(Date().timeIntervalSince1970 * 1000)))
        expiry = context.eventLoop.assumeIsolated().scheduleTask(in: remaining) { [self] in
            registry.metrics.tokenExpiryCloses.increment()
            // Through the registry, as the chat's posts go: counted, and in order with them; the
            // close frame follows what is already on its way.
            registry.post(OutboundEvent.tokenExpired(atMillis: deadline).encode(), to: id)
            closeConnection(.tokenExpired, reason: "token expired")
        }
    }

    /// `{"action":"refresh","token":"…"}`: the token is judged by the authorizer that admitted
    /// the connection, off the loop; the answer comes back to it. Refused: `forbidden`, and the
    /// old deadline stands.
    private func refresh(_ frame: InboundFrame) {
        guard let credential, let context else { return }
        let token: String
        switch frame.requiredString(ActionName.Field.token) {
        case .success(let value): token = value
        case .failure(let error): return registry.postError(error, to: id)
        }
        let request = credential.request.replacingToken(with: PresentedToken(value: token, carrier: .query))
        let authorizer = credential.authorizer
        let decided = context.eventLoop.makePromise(of: AuthorizationOutcome.self)
        decided.completeWithTask { await authorizer.refresh(request) }
        decided.futureResult.assumeIsolated().whenSuccess { [self] outcome in
            guard self.context != nil, machine.state == .open, self.credential != nil else { return }
            switch self.credential!.accept(outcome) {
            case .success(let identity):
                registry.metrics.tokenRefreshes.increment()
                scheduleExpiry()
                routeHandler.identityRefreshed(id, to: identity)
                registry.post(OutboundEvent.tokenRefreshed(expiresAtMillis: identity.expiresAtMillis).encode(), to: id)
            case .failure(let reason):
                registry.metrics.authRefused(reason)
                logger.info("refresh refused", metadata: ["reason": "\(reason.rawValue)", "connection": "\(id)"])
                registry.postError(ProtocolError(.forbidden, "the token was refused", action: ActionName.refresh), to: id)
            }
        }
    }

    // MARK: outbound

    /// Writes one whole frame and flushes (with anything queued before it). Frames posted after
    /// the close began are dropped.
    func sendFrame(_ frame: ByteBuffer) {
        guard machine.acceptsOutbound else { return }
        writer.write(frame)
        writer.flush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Writability drops when queued bytes pass the outbound budget (the high water mark):
        // the client is not reading fast enough, and must not delay or cost anyone else.
        if !context.channel.isWritable && machine.acceptsOutbound {
            registry.slowConsumerCloses.add(1, ordering: .relaxed)
            registry.metrics.slowConsumerCloses.increment()
            logger.info("closing slow consumer", metadata: ["budget": "\(configuration.outboundBudgetBytes)", "connection": "\(id)"])
            closeConnection(.policyViolation, reason: "slow consumer")
        }
        context.fireChannelWritabilityChanged()
    }

    /// Starts the close handshake: a close frame, then the socket closed when the client answers
    /// or after a second, whichever is first. Posts to a connection hop onto its loop in order;
    /// the close frame goes behind those already on their way (the `rate_limited` errors that
    /// answered the frames before the last strike, say), not ahead of them — which would drop them.
    func closeConnection(_ code: CloseCode, reason: String) {
        guard let context, machine.decideClose() else { return }
        context.eventLoop.assumeIsolated().execute { [self] in sendClose(code, reason: reason) }
    }

    private func sendClose(_ code: CloseCode, reason: String) {
        guard let context, machine.sendingClose() else { return }
        logger.debug("closing", metadata: ["code": "\(code.rawValue)", "reason": "\(reason)", "connection": "\(id)"])
        writer.write(ServerFrame.close(code, reason: reason, allocator: context.channel.allocator))
        writer.flush()
        let channel = context.channel
        context.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Hummingbird's server allows half-closed sockets; a client that went away without a
        // close frame shows up here as end of input. Nothing more can arrive: close.
        if case .inputClosed = event as? ChannelEvent {
            machine.socketClosed()
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("channel error", metadata: ["error": "\(error)", "connection": "\(id)"])
        context.close(promise: nil)
    }
}
