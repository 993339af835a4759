import NIOCore
import NIOWebSocket
import ParleyProtocol

/// One WebSocket connection's protocol state as a value (SwiftNIO's state-machine style): what
/// each inbound frame means, when a close is decided and sent, whether posts may still go out.
/// `WebSocketConnectionHandler` feeds it frames and events and performs the actions it returns;
/// it holds no flags of its own.
///
///     open ──(a close is decided: limits, a protocol error, shutdown)──► closeDecided
///       │                                                                   │
///       └──(the client's close, end of input, the close frame sent)──► closing ◄┘
///
/// In `closeDecided` posts already on their way still go out and the close frame follows them;
/// nothing the client sends is acted on but its own close. In `closing` nothing more is sent.
struct ConnectionStateMachine {
    enum State: Equatable {
        case open
        case closeDecided
        case closing
    }

    /// What the handler does with an inbound frame.
    enum InboundAction {
        /// Nothing (a pong, a frame after a close was decided, part of a message).
        case none
        /// A whole message, checked: route it (or echo it).
        case message(ByteBuffer, isText: Bool, overRate: Bool)
        /// Answer a ping with this payload.
        case pong(ByteBuffer)
        /// Close the connection: send a close frame with this code after what is already posted.
        case close(CloseCode, reason: String)
        /// The client sent its close: answer it with this code and reason, and close the socket.
        case answerClose(code: UInt16, reason: String)
        /// The client answered our close: close the socket.
        case closeSocket
    }

    /// A message arriving in fragments.
    private struct Reassembly {
        var buffer: ByteBuffer
        let isText: Bool
        /// Checks a fragmented text message's UTF-8 fragment by fragment (fail fast).
        var text = UTF8StreamValidator()
    }

    private(set) var state = State.open
    private var reassembly: Reassembly?
    private var inboundBudget: TokenBucket
    /// Frames over the inbound rate in a row.
    private var strikes = 0
    private let maximumMessageBytes: Int
    private let rateStrikesBeforeClose: Int

    init(maximumMessageBytes: Int, inboundMessagesPerSecond: Int, rateStrikesBeforeClose: Int, now: NIODeadline = .now()) {
        self.maximumMessageBytes = maximumMessageBytes
        self.rateStrikesBeforeClose = rateStrikesBeforeClose
        self.inboundBudget = TokenBucket(ratePerSecond: inboundMessagesPerSecond, burst: inboundMessagesPerSecond, now: now)
    }

    /// Posts may still be written (not after the close frame or the socket's end).
    var acceptsOutbound: Bool { state != .closing }

    // MARK: inbound

    mutating func receive(_ frame: WebSocketFrame, now: NIODeadline = .now()) -> InboundAction {
        switch state {
        case .closing:
            return frame.opcode == .connectionClose ? .closeSocket : .none
        case .closeDecided:
            return frame.opcode == .connectionClose ? answer(frame) : .none
        case .open:
            break
        }
        // No extension is ever negotiated, so no reserved bit may be set.
        guard !frame.rsv1 && !frame.rsv2 && !frame.rsv3 else {
            return decideClose(.protocolError, reason: "reserved bits set without an extension")
        }
        switch frame.opcode {
        case .text, .binary:
            guard reassembly == nil else {
                return decideClose(.protocolError, reason: "new message before the last one ended")
            }
            let isText = frame.opcode == .text
            if frame.fin {
                if isText && String(validating: frame.unmaskedData.readableBytesView, as: UTF8.self) == nil {
                    return failText()
                }
                return complete(frame.unmaskedData, isText: isText, now: now)
            }
            reassembly = Reassembly(buffer: frame.unmaskedData, isText: isText)
            let size = checkMessageSize()
            guard case .none = size else { return size }
            if isText && !reassembly!.text.consume(frame.unmaskedData.readableBytesView) { return failText() }
            return .none
        case .continuation:
            guard var message = reassembly else {
                return decideClose(.protocolError, reason: "continuation without a message")
            }
            reassembly = nil  // appended outside the state: no copy of the buffer
            var data = frame.unmaskedData
            if message.isText && !message.text.consume(data.readableBytesView) { return failText() }
            message.buffer.writeBuffer(&data)
            reassembly = message
            let size = checkMessageSize()
            guard case .none = size, frame.fin else { return size }
            reassembly = nil
            if message.isText && !message.text.isComplete { return failText() }
            return complete(message.buffer, isText: message.isText, now: now)
        case .ping:
            return .pong(frame.unmaskedData)
        case .pong:
            return .none
        case .connectionClose:
            return answer(frame)
        default:
            return decideClose(.protocolError, reason: "unknown opcode \(frame.opcode)")
        }
    }

    /// A whole message: counted against the inbound rate (every message counts, answered or not:
    /// docs/PROTOCOL.md, "Errors"); past the strikes the connection closes instead.
    private mutating func complete(_ message: ByteBuffer, isText: Bool, now: NIODeadline) -> InboundAction {
        let overRate = !inboundBudget.take(now: now)
        if overRate {
            strikes += 1
            if strikes > rateStrikesBeforeClose {
                return decideClose(.policyViolation, reason: "inbound rate limit exceeded")
            }
        } else {
            strikes = 0
        }
        return .message(message, isText: isText, overRate: overRate)
    }

    private mutating func checkMessageSize() -> InboundAction {
        guard let reassembly, reassembly.buffer.readableBytes > maximumMessageBytes else { return .none }
        self.reassembly = nil
        return decideClose(.messageTooBig, reason: "message larger than \(maximumMessageBytes) bytes")
    }

    private mutating func failText() -> InboundAction {
        reassembly = nil
        return decideClose(.invalidPayload, reason: "text message is not valid UTF-8")
    }

    /// The client's close: a well-formed one is answered with its code, a malformed one with its
    /// error; either way the client has closed, so the socket closes now.
    private mutating func answer(_ frame: WebSocketFrame) -> InboundAction {
        state = .closing
        switch ClientCloseFrame(payload: frame.unmaskedData.readableBytesView) {
        case .answer(let code): return .answerClose(code: code, reason: "")
        case .malformed(let error, let reason): return .answerClose(code: error.rawValue, reason: reason)
        }
    }

    // MARK: closing

    private mutating func decideClose(_ code: CloseCode, reason: String) -> InboundAction {
        decideClose() ? .close(code, reason: reason) : .none
    }

    /// A close is wanted (a limit, a timer, shutdown, the management API): true when this decides
    /// it; false when one was already decided or the connection is closing.
    mutating func decideClose() -> Bool {
        guard state == .open else { return false }
        state = .closeDecided
        return true
    }

    /// The close frame is about to be written: true unless the connection is already closing.
    mutating func sendingClose() -> Bool {
        guard state != .closing else { return false }
        state = .closing
        return true
    }

    /// The socket's input ended or the channel went inactive: nothing more is sent.
    mutating func socketClosed() {
        state = .closing
    }
}
