import Logging
import NIOCore
import NIOEmbedded
import NIOWebSocket
import ParleyProtocol
import Synchronization
import Testing

@testable import ParleyGateway

/// The connection's protocol state as a value, then the handler around it in NIO's
/// `EmbeddedChannel`: frames in, frames out, no socket.
@Suite struct ConnectionStateMachineTests {
    private static func machine(rate: Int = 100, strikes: Int = 100, maximumMessageBytes: Int = 1024) -> ConnectionStateMachine {
        ConnectionStateMachine(
            maximumMessageBytes: maximumMessageBytes, inboundMessagesPerSecond: rate, rateStrikesBeforeClose: strikes,
            now: NIODeadline.uptimeNanoseconds(0))
    }

    private static func frame(_ opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true, rsv1: Bool = false) -> WebSocketFrame {
        WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, data: ByteBuffer(bytes: bytes))
    }

    private static func text(_ string: String, fin: Bool = true) -> WebSocketFrame { frame(.text, Array(string.utf8), fin: fin) }

    /// The action as a short string, for comparing.
    private static func describe(_ action: ConnectionStateMachine.InboundAction) -> String {
        switch action {
        case .none: "none"
        case .message(let buffer, let isText, let overRate):
            "message \(String(buffer: buffer)) text=\(isText) overRate=\(overRate)"
        case .pong(let buffer): "pong \(String(buffer: buffer))"
        case .close(let code, let reason): "close \(code.rawValue) \(reason)"
        case .answerClose(let code, let reason): "answer \(code) \(reason)"
        case .closeSocket: "closeSocket"
        }
    }

    @Test func fragmentsJoinIntoOneMessage() {
        var machine = Self.machine()
        let t = NIODeadline.uptimeNanoseconds(0)
        #expect(Self.describe(machine.receive(Self.text("hel", fin: false), now: t)) == "none")
        #expect(Self.describe(machine.receive(Self.frame(.ping, Array("p".utf8)), now: t)) == "pong p", "a ping between fragments")
        #expect(
            Self.describe(machine.receive(Self.frame(.continuation, Array("lo".utf8)), now: t)) == "message hello text=true overRate=false")
        #expect(machine.state == .open)
    }

    @Test func protocolErrorsDecideACloseOnceAndThenOnlyTheClientsCloseCounts() {
        var machine = Self.machine()
        let t = NIODeadline.uptimeNanoseconds(0)
        #expect(Self.describe(machine.receive(Self.frame(.continuation, [0x61]), now: t)) == "close 1002 continuation without a message")
        #expect(machine.state == .closeDecided)
        #expect(machine.acceptsOutbound, "posts already on their way still go out before the close frame")
        #expect(Self.describe(machine.receive(Self.text("ignored"), now: t)) == "none")
        #expect(Self.describe(machine.receive(Self.frame(.ping, [1]), now: t)) == "none", "no pong after a close is decided")
        let decidedAgain = machine.decideClose()
        #expect(!decidedAgain, "a second close is not decided")
        let sending = machine.sendingClose()
        #expect(sending)
        #expect(!machine.acceptsOutbound)
        #expect(Self.describe(machine.receive(Self.frame(.connectionClose, [0x03, 0xE8]), now: t)) == "closeSocket")
    }

    @Test func invalidTextAndOversizedMessagesClose() {
        let t = NIODeadline.uptimeNanoseconds(0)
        var utf8 = Self.machine()
        #expect(Self.describe(utf8.receive(Self.frame(.text, [0xCE], fin: false), now: t)) == "none", "half a character so far")
        #expect(Self.describe(utf8.receive(Self.frame(.continuation, [0xFF]), now: t)) == "close 1007 text message is not valid UTF-8")
        var size = Self.machine(maximumMessageBytes: 4)
        #expect(Self.describe(size.receive(Self.text("abc", fin: false), now: t)) == "none")
        #expect(
            Self.describe(size.receive(Self.frame(.continuation, Array("de".utf8), fin: false), now: t))
                == "close 1009 message larger than 4 bytes")
        var reserved = Self.machine()
        #expect(
            Self.describe(reserved.receive(Self.frame(.text, [0x61], rsv1: true), now: t))
                == "close 1002 reserved bits set without an extension")
    }

    @Test func theRateCountsEveryMessageAndClosesPastTheStrikes() {
        var machine = Self.machine(rate: 1, strikes: 2)
        let t = NIODeadline.uptimeNanoseconds(0)
        #expect(Self.describe(machine.receive(Self.text("1"), now: t)) == "message 1 text=true overRate=false")
        #expect(Self.describe(machine.receive(Self.text("2"), now: t)) == "message 2 text=true overRate=true")
        #expect(Self.describe(machine.receive(Self.text("3"), now: t)) == "message 3 text=true overRate=true")
        #expect(Self.describe(machine.receive(Self.text("4"), now: t)) == "close 1008 inbound rate limit exceeded")
    }

    @Test func theClientsCloseIsAnsweredWithItsCodeOrItsError() {
        let t = NIODeadline.uptimeNanoseconds(0)
        var good = Self.machine()
        #expect(Self.describe(good.receive(Self.frame(.connectionClose, [0x0F, 0xA0]), now: t)) == "answer 4000 ")
        #expect(good.state == .closing)
        var bad = Self.machine()
        #expect(Self.describe(bad.receive(Self.frame(.connectionClose, [0x03]), now: t)).hasPrefix("answer 1002"))
    }

    // MARK: the handler in an EmbeddedChannel

    private final class RecordingRoutes: RouteHandler {
        let events = Mutex<[String]>([])
        var routeKeys: Set<String> { ActionName.chatRoutes }
        func connect(_ request: ConnectRequest) -> ConnectDecision { .accept }
        func receive(_ event: MessageEvent) {
            let route = if case .route(let key, _) = event.selection { key } else { "$default" }
            events.withLock { $0.append("\(route) overRate=\(event.overRate)") }
        }
        func disconnect(_ id: ConnectionID) {}
        func attributes(of id: ConnectionID) -> [String: String] { [:] }
    }

    /// Every frame the handler wrote, as (opcode, payload).
    private static func written(_ channel: EmbeddedChannel) throws -> [(UInt8, [UInt8])] {
        var frames: [(UInt8, [UInt8])] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            while buffer.readableBytes >= 2 {
                let first = buffer.readInteger(as: UInt8.self)!
                let length = Int(buffer.readInteger(as: UInt8.self)! & 0x7F)
                frames.append((first & 0x0F, buffer.readBytes(length: length) ?? []))
            }
        }
        return frames
    }

    @Test func theHandlerRoutesMessagesAnswersPingsAndClosesAStrikingClient() throws {
        let channel = EmbeddedChannel()
        let loop = channel.embeddedEventLoop
        let registry = ConnectionRegistry(loops: [loop])
        let routes = RecordingRoutes()
        var configuration = GatewayConfiguration()
        configuration.inboundMessagesPerSecond = 1
        configuration.rateStrikesBeforeClose = 1
        let writer = PreEncodedFrameWriter()
        let handler = WebSocketConnectionHandler(
            id: registry.makeID(on: loop), routeHandler: routes, registry: registry, configuration: configuration,
            writer: writer, sourceIP: nil, messageCounters: GatewayMetrics().messageCounters(routes: routes.routeKeys),
            logger: Logger(label: "test"))
        try channel.pipeline.syncOperations.addHandler(writer)
        try channel.pipeline.syncOperations.addHandler(handler)

        try channel.writeInbound(Self.text(#"{"action":"sendPublic","message":"hi"}"#))
        try channel.writeInbound(Self.frame(.ping, Array("are you there".utf8)))
        let pong = try Self.written(channel)
        #expect(pong.count == 1 && pong[0].0 == 0xA && pong[0].1 == Array("are you there".utf8))

        try channel.writeInbound(Self.text(#"{"action":"sendPublic","message":"again"}"#))  // over the rate: strike 1
        try channel.writeInbound(Self.text(#"{"action":"sendPublic","message":"more"}"#))  // strike 2: close
        try channel.writeInbound(Self.text(#"{"action":"sendPublic","message":"after"}"#))  // ignored
        loop.run()
        #expect(routes.events.withLock { $0 } == ["sendPublic overRate=false", "sendPublic overRate=true"])
        let close = try Self.written(channel)
        #expect(close.count == 1 && close[0].0 == 0x8)
        #expect(close.first.map { Int($0.1[0]) << 8 | Int($0.1[1]) } == 1008)
        #expect(!handler.isOpen)
        #expect(!handler.acceptsOutbound, "the fan-out queues nothing after the close frame")
        _ = try? channel.finish()
    }
}
