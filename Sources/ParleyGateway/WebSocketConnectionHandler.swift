import Foundation
import Logging
import NIOCore
import NIOWebSocket
import ParleyProtocol

/// One upgraded connection: reassembles messages, enforces the per-connection limits, selects the
/// route of each message and hands it to the `RouteHandler`; writes what the handler posts.
/// Lives on its channel's event loop; every method runs there.
final class WebSocketConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame

    let id: ConnectionID
    private let routeHandler: any RouteHandler
    private let registry: ConnectionRegistry
    private let configuration: GatewayConfiguration
    private let writer: PreEncodedFrameWriter
    private let logger: Logger
    private let connectedAt = Date()
    private let sourceIP: String?
    private let messageCounters: MessageCounters

    private var context: ChannelHandlerContext?
    private var fragments: ByteBuffer?
    private var fragmentsAreText = true
    /// Checks a fragmented text message's UTF-8 fragment by fragment.
    private var fragmentText = UTF8StreamValidator()
    private var inboundBudget: TokenBucket
    private var strikes = 0
    private var lastActivity = NIODeadline.now()
    private var lastActiveAt = Date()
    private var closing = false
    /// A close was decided: no further message is handled, and the close frame follows what was
    /// already posted to this connection.
    private var closeDecided = false
    private var hasQueued = false
    private var timers: [Scheduled<Void>] = []

    init(
        id: ConnectionID, routeHandler: any RouteHandler, registry: ConnectionRegistry,
        configuration: GatewayConfiguration, writer: PreEncodedFrameWriter, sourceIP: String?,
        messageCounters: MessageCounters, logger: Logger
    ) {
        self.messageCounters = messageCounters
        self.id = id
        self.routeHandler = routeHandler
        self.registry = registry
        self.configuration = configuration
        self.writer = writer
        self.sourceIP = sourceIP
        self.logger = logger
        self.inboundBudget = TokenBucket(
            ratePerSecond: configuration.inboundMessagesPerSecond, burst: configuration.inboundMessagesPerSecond)
    }

    var isOpen: Bool { !closing && context != nil }

    var info: ConnectionInfo {
        ConnectionInfo(connectedAt: connectedAt, lastActiveAt: lastActiveAt, sourceIP: sourceIP)
    }

    // MARK: lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        registry.register(self, id: id)
        let lifetime = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(configuration.maximumLifetime)) { [self] in
            closeConnection(.goingAway, reason: "connection lifetime reached")
        }
        timers.append(lifetime)
        scheduleIdleCheck(at: lastActivity + TimeAmount(configuration.idleTimeout))
        logger.debug("connected")
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timers.forEach { $0.cancel() }
        timers.removeAll()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        closing = true
        logger.debug("disconnected")
        context.fireChannelInactive()
    }

    private func scheduleIdleCheck(at deadline: NIODeadline) {
        guard let context else { return }
        let check = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            let due = lastActivity + TimeAmount(configuration.idleTimeout)
            if due <= .now() {
                closeConnection(.goingAway, reason: "idle timeout")
            } else {
                scheduleIdleCheck(at: due)
            }
        }
        timers.append(check)
        if timers.count > 8 { timers.removeFirst(timers.count - 8) }
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        // Once a close is decided nothing the client sends is acted on (no echo, no pong), except
        // its own close.
        guard !closeDecided || frame.opcode == .connectionClose else { return }
        lastActivity = .now()
        lastActiveAt = Date()
        // No extension is ever negotiated, so no reserved bit may be set.
        guard !frame.rsv1 && !frame.rsv2 && !frame.rsv3 else {
            return closeConnection(.protocolError, reason: "reserved bits set without an extension")
        }
        switch frame.opcode {
        case .text, .binary:
            guard fragments == nil else {
                return closeConnection(.protocolError, reason: "new message before the last one ended")
            }
            if frame.fin {
                handleMessage(frame.unmaskedData, isText: frame.opcode == .text)
            } else {
                fragments = frame.unmaskedData
                fragmentsAreText = frame.opcode == .text
                guard checkMessageSize() else { return }
                if fragmentsAreText {
                    fragmentText = UTF8StreamValidator()
                    guard fragmentText.consume(frame.unmaskedData.readableBytesView) else { return failText() }
                }
            }
        case .continuation:
            guard var buffer = fragments else {
                return closeConnection(.protocolError, reason: "continuation without a message")
            }
            fragments = nil
            var data = frame.unmaskedData
            if fragmentsAreText && !fragmentText.consume(data.readableBytesView) { return failText() }
            buffer.writeBuffer(&data)
            fragments = buffer
            guard checkMessageSize() else { return }
            if frame.fin {
                fragments = nil
                if fragmentsAreText && !fragmentText.isComplete { return failText() }
                handleMessage(buffer, isText: fragmentsAreText, checkedText: true)
            }
        case .ping:
            var data = frame.unmaskedData
            let pong = data.readWithUnsafeReadableBytes { raw in
                (raw.count, ServerFrame.frame(opcode: 0xA, payload: raw, allocator: context.channel.allocator))
            }
            sendFrame(pong)
        case .connectionClose:
            if !closing {
                // Answer a well-formed close with its code, a malformed one with its error; either
                // way the client has sent its close, so the socket closes now.
                let (code, reason): (UInt16, String) =
                    switch ClientCloseFrame(payload: frame.unmaskedData.readableBytesView) {
                    case .answer(let code): (code, "")
                    case .malformed(let error, let reason): (error.rawValue, reason)
                    }
                closing = true
                writer.write(ServerFrame.close(code: code, reason: reason, allocator: context.channel.allocator))
                writer.flush()
            }
            context.close(promise: nil)
        case .pong:
            break
        default:
            closeConnection(.protocolError, reason: "unknown opcode \(frame.opcode)")
        }
    }

    @discardableResult
    private func checkMessageSize() -> Bool {
        guard let fragments, fragments.readableBytes > configuration.maximumMessageBytes else { return true }
        self.fragments = nil
        closeConnection(.messageTooBig, reason: "message larger than \(configuration.maximumMessageBytes) bytes")
        return false
    }

    private func failText() {
        fragments = nil
        closeConnection(.invalidPayload, reason: "text message is not valid UTF-8")
    }

    /// A whole message; `checkedText` when its UTF-8 was already checked fragment by fragment.
    private func handleMessage(_ message: ByteBuffer, isText: Bool, checkedText: Bool = false) {
        guard !closing && !closeDecided else { return }
        if isText && !checkedText && String(validating: message.readableBytesView, as: UTF8.self) == nil {
            return failText()
        }
        // The rate check counts every frame, answered or not (docs/PROTOCOL.md).
        let overRate = !inboundBudget.take()
        if overRate {
            strikes += 1
            if strikes > configuration.rateStrikesBeforeClose {
                return closeConnection(.policyViolation, reason: "inbound rate limit exceeded")
            }
        } else {
            strikes = 0
        }
        if configuration.echoesMessages {
            // `--handler echo`: the message back as it came, for conformance suites.
            let echo = message.withUnsafeReadableBytes { raw in
                ServerFrame.frame(opcode: isText ? 0x1 : 0x2, payload: raw, allocator: context?.channel.allocator ?? ByteBufferAllocator())
            }
            return sendFrame(echo)
        }
        let selection = RouteSelection.select(message.readableBytesView, routeKeys: routeHandler.routeKeys)
        messageCounters.count(selection)
        routeHandler.receive(MessageEvent(connectionID: id, selection: selection, overRate: overRate))
    }

    // MARK: outbound

    /// Writes one whole frame and flushes (with anything queued before it). Frames posted after
    /// the close began are dropped.
    func sendFrame(_ frame: ByteBuffer) {
        guard !closing else { return }
        hasQueued = false
        writer.write(frame)
        writer.flush()
    }

    /// Queues a frame without flushing (the fan-out path; the loop's table flushes once per
    /// tick). Returns true when this connection had nothing queued before, i.e. it needs a flush.
    func queueFrame(_ frame: ByteBuffer) -> Bool {
        guard !closing else { return false }
        writer.write(frame)
        defer { hasQueued = true }
        return !hasQueued
    }

    func flushQueued() {
        hasQueued = false
        writer.flush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Writability drops when queued bytes pass the outbound budget (the high water mark):
        // the client is not reading fast enough, and must not delay or cost anyone else.
        if !context.channel.isWritable && !closing {
            registry.slowConsumerCloses.add(1, ordering: .relaxed)
            registry.metrics.slowConsumerCloses.increment()
            logger.info("closing slow consumer", metadata: ["budget": "\(configuration.outboundBudgetBytes)"])
            closeConnection(.policyViolation, reason: "slow consumer")
        }
        context.fireChannelWritabilityChanged()
    }

    /// Starts the close handshake: a close frame, then the socket closed when the client answers
    /// or after a second, whichever is first. Posts to a connection hop onto its loop in order;
    /// the close frame goes behind those already on their way (the `rate_limited` errors that
    /// answered the frames before the last strike, say), not ahead of them — which would drop them.
    func closeConnection(_ code: CloseCode, reason: String) {
        guard !closing, !closeDecided, let context else { return }
        closeDecided = true
        context.eventLoop.assumeIsolated().execute { [self] in sendClose(code, reason: reason) }
    }

    private func sendClose(_ code: CloseCode, reason: String) {
        guard !closing, let context else { return }
        closing = true
        logger.debug("closing", metadata: ["code": "\(code.rawValue)", "reason": "\(reason)"])
        writer.write(ServerFrame.close(code, reason: reason, allocator: context.channel.allocator))
        writer.flush()
        let channel = context.channel
        context.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Hummingbird's server allows half-closed sockets; a client that went away without a
        // close frame shows up here as end of input. Nothing more can arrive: close.
        if case .inputClosed = event as? ChannelEvent {
            closing = true
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("channel error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}
