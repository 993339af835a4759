import Collections
import Foundation
import NIOCore
import NIOPosix
import NIOWebSocket
import ParleyLoad
import Synchronization

/// A real WebSocket client over loopback for the integration tests (gateway and cluster): masked frames out, every
/// inbound event into an async stream that the test reads with a timeout.
public final class TestClient: Sendable {
    public enum Event: Sendable, Equatable {
        case text(String)
        case binary([UInt8])
        case close(code: UInt16?, reason: String)
        case ended
    }

    public struct Timeout: Error, CustomStringConvertible {
        let waitingFor: String
        public var description: String { "timed out waiting for \(waitingFor)" }
    }

    public struct UpgradeRefused: Error {}

    public let channel: any Channel
    private let events: EventQueue

    private init(channel: any Channel, events: EventQueue) {
        self.channel = channel
        self.events = events
    }

    public static let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    /// Connects and upgrades; `path` may carry a query (`/ws?members=none`).
    /// `receiveBufferBytes` shrinks the socket's receive buffer (slow-consumer tests).
    /// `source`: the local address to connect from (any of 127.0.0.0/8), for per-address limits.
    public static func connect(
        port: Int, path: String = "/ws", receiveBufferBytes: Int? = nil, source: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> TestClient {
        let events = EventQueue()
        var bootstrap = ClientBootstrap(group: group)
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        if let receiveBufferBytes {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: .init(receiveBufferBytes))
        }
        let upgraded =
            try await bootstrap
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try WebSocketClientUpgrade.configure(
                        channel, uri: path, host: "127.0.0.1:\(port)", headers: headers,
                        upgraded: { channel -> (any Channel)? in
                            try channel.pipeline.syncOperations.addHandler(EventCollector(events))
                            return channel
                        },
                        notUpgraded: { $0.eventLoop.makeSucceededFuture(nil) })
                }
            }
        guard let channel = try await upgraded.get() else { throw UpgradeRefused() }
        return TestClient(channel: channel, events: events)
    }

    /// Stops reading from the socket: the server's writes pile up (a slow consumer).
    public func stopReading() async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: false)
    }

    /// Reads again after `stopReading`.
    public func resumeReading() async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: true)
        channel.read()
    }

    public func send(_ text: String) async throws {
        try await sendFrame(.text, ByteBuffer(string: text))
    }

    /// Every text in one flush: they reach the server together, however slow this machine is.
    public func sendAll(_ texts: [String]) async throws {
        let channel = self.channel
        try await channel.eventLoop.submit {
            for text in texts {
                channel.write(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text)), promise: nil)
            }
            channel.flush()
        }.get()
    }

    public func sendFrame(_ opcode: WebSocketOpcode, _ data: ByteBuffer, fin: Bool = true, rsv1: Bool = false) async throws {
        let frame = WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, maskKey: .random(), data: data)
        try await channel.writeAndFlush(frame)
    }

    /// The next event, or a timeout error. Polls: simple, and tests read few events.
    public func nextEvent(within timeout: Duration = .seconds(5)) async throws -> Event {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let event = events.pop() { return event }
            if ContinuousClock.now >= deadline { throw Timeout(waitingFor: "an event") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// The next text message; anything else is an error.
    public func next(within timeout: Duration = .seconds(5)) async throws -> String {
        let event = try await nextEvent(within: timeout)
        guard case .text(let text) = event else { throw UnexpectedEvent(event: event) }
        return text
    }

    /// The next `count` text messages.
    public func next(_ count: Int, within timeout: Duration = .seconds(5)) async throws -> [String] {
        var texts: [String] = []
        for _ in 0..<count { texts.append(try await next(within: timeout)) }
        return texts
    }

    /// Waits for the server's close frame and returns its code.
    public func closeCode(within timeout: Duration = .seconds(5)) async throws -> UInt16? {
        while true {
            switch try await nextEvent(within: timeout) {
            case .close(let code, _): return code
            case .ended: return nil
            default: continue
            }
        }
    }

    /// Asserts that nothing arrives for a while (the absence checks of the protocol tests).
    public func expectSilence(for duration: Duration = .milliseconds(300)) async throws {
        do {
            let event = try await nextEvent(within: duration)
            throw UnexpectedEvent(event: event)
        } catch is Timeout {
            return
        }
    }

    public func close() async {
        try? await sendFrame(.connectionClose, ByteBuffer(bytes: [0x03, 0xE8]))
        try? await channel.close()
    }

    /// Drops the socket without a close handshake.
    public func abort() async {
        try? await channel.close()
    }

    public struct UnexpectedEvent: Error, CustomStringConvertible {
        public let event: Event
        public var description: String { "unexpected \(event)" }
    }
}

/// Inbound events, oldest first; filled on the event loop, drained by the test.
final class EventQueue: Sendable {
    private let events = Mutex<Deque<TestClient.Event>>([])

    func push(_ event: TestClient.Event) { events.withLock { $0.append(event) } }
    func pop() -> TestClient.Event? { events.withLock { $0.popFirst() } }
}

/// Turns inbound frames into events (unfragmented frames are all the server sends).
private final class EventCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame

    private let events: EventQueue
    init(_ events: EventQueue) { self.events = events }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        var payload = frame.unmaskedData
        switch frame.opcode {
        case .text: events.push(.text(String(buffer: payload)))
        case .binary: events.push(.binary(Array(buffer: payload)))
        case .connectionClose:
            let code = payload.readInteger(as: UInt16.self)
            events.push(.close(code: code, reason: String(buffer: payload)))
        default: break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        events.push(.ended)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
