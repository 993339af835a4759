import NIOCore
import NIOWebSocket
import Synchronization

/// `slowConsumers: N` in a scenario: N more clients that join the room and then read one socket
/// buffer's worth (4 KiB) four times a second, so the server's queue for them fills at any
/// broadcast rate above ~16 KiB/s. (Not reading at all would also never notice the server closing.) They are not members of the
/// measured room (nothing is expected of them); what is measured is whether the server closes
/// them, and — in the members' figures — whether anyone else notices.
final class SlowConsumers: Sendable {
    private let joined = Atomic<Int>(0)
    private let closedByServer = Atomic<Int>(0)
    private let finished = Atomic<Bool>(false)
    private let channels = Mutex<[any Channel]>([])
    let count: Int

    init(count: Int) { self.count = count }

    /// Connects them (hello, then reading off), spread over the loops and targets.
    func start(connector: ClientConnector, targets: [TargetURL], loops: [any EventLoop], hello: String?) {
        for index in 0..<count {
            let loop = loops[index % loops.count]
            let name = "slow\(index)"
            let helloText = hello?.replacingOccurrences(of: "u{i}", with: name).replacingOccurrences(of: "{i}", with: name)
            let target = targets[index % targets.count]
            // The connector's boxes are bound to the loop: connect from it.
            loop.execute { [self] in
                connector.connect(
                    to: target, from: nil, on: loop, receiveBufferBytes: 4096,
                    makeHandler: { SlowConsumerHandler(consumers: self) }
                ).whenSuccess { [self] outcome in
                    if case .upgraded(let channel) = outcome {
                        // Sent once the upgrade is through (from the handler's own place it
                        // would meet the HTTP codec still in the pipeline).
                        if let helloText {
                            let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: helloText))
                            channel.writeAndFlush(frame, promise: nil)
                        }
                        joined.add(1, ordering: .relaxed)
                        channels.withLock { $0.append(channel) }
                    }
                }
            }
        }
    }

    func serverClosedOne() {
        if !finished.load(ordering: .relaxed) { closedByServer.add(1, ordering: .relaxed) }
    }

    /// The tally; then closes what the server left open.
    func finish() -> SlowConsumerReport {
        finished.store(true, ordering: .relaxed)
        let report = SlowConsumerReport(
            count: count, joined: joined.load(ordering: .relaxed), closedByServer: closedByServer.load(ordering: .relaxed))
        for channel in channels.withLock({ $0 }) { channel.close(promise: nil) }
        return report
    }
}

/// Reads only on its own slow schedule; counts the server closing the connection.
private final class SlowConsumerHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    private let consumers: SlowConsumers
    private var reads: RepeatedTask?

    init(consumers: SlowConsumers) {
        self.consumers = consumers
    }

    func handlerAdded(context: ChannelHandlerContext) {
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        let channel = context.channel
        reads = context.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(250), delay: .milliseconds(250)) { _ in
            channel.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Dropped: what a slow consumer reads is not measured.
    }

    func channelInactive(context: ChannelHandlerContext) {
        reads?.cancel()
        consumers.serverClosedOne()
        context.fireChannelInactive()
    }
}

public struct SlowConsumerReport: Codable, Sendable, Equatable {
    public var count: Int
    /// How many completed the upgrade.
    public var joined: Int
    /// How many the server closed before the run ended.
    public var closedByServer: Int
}
