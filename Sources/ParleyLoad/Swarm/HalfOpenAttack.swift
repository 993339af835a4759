import NIOCore
import NIOPosix
import Synchronization

/// `attack: { halfOpen: N }` in a scenario: N sockets beside the members, each sending half a
/// request line and then nothing — a slowloris attacker. One the server closes is opened again
/// (after 100 ms, so a server that refuses at once meets a steady attacker, not a connect
/// storm), so the pressure lasts the whole run. The report counts how many the server closed.
final class HalfOpenAttack: Sendable {
    let count: Int
    private let opened = Atomic<Int>(0)
    private let failedToOpen = Atomic<Int>(0)
    private let closedByServer = Atomic<Int>(0)
    private let finished = Atomic<Bool>(false)
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    init(count: Int) {
        self.count = count
    }

    func start(targets: [TargetURL], loops: [any EventLoop]) {
        for index in 0..<count {
            open(target: targets[index % targets.count], loop: loops[index % loops.count])
        }
    }

    /// How many sockets the attacker holds open right now.
    var held: Int { channels.withLock { $0.count } }

    private func open(target: TargetURL, loop: any EventLoop) {
        guard !finished.load(ordering: .relaxed) else { return }
        let request = "GET \(target.uri) HTTP/1.1\r\nHost: \(target.host):\(target.port)\r\n"
        ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(IgnoreEverything()) }
            }
            .connect(host: target.host, port: target.port)
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    opened.add(1, ordering: .relaxed)
                    let key = ObjectIdentifier(channel)
                    channels.withLock { $0[key] = channel }
                    channel.writeAndFlush(ByteBuffer(string: request), promise: nil)
                    channel.closeFuture.whenComplete { [self] _ in
                        _ = channels.withLock { $0.removeValue(forKey: key) }
                        guard !finished.load(ordering: .relaxed) else { return }
                        closedByServer.add(1, ordering: .relaxed)
                        reopen(target: target, loop: loop)
                    }
                case .failure:
                    failedToOpen.add(1, ordering: .relaxed)
                    reopen(target: target, loop: loop)
                }
            }
    }

    private func reopen(target: TargetURL, loop: any EventLoop) {
        loop.scheduleTask(in: .milliseconds(100)) { [self] in open(target: target, loop: loop) }
    }

    /// Stops the attack and closes what it holds; the tally.
    func finish() -> AttackReport {
        finished.store(true, ordering: .relaxed)
        let report = AttackReport(
            halfOpen: count, heldAtEnd: held, opened: opened.load(ordering: .relaxed),
            failedToOpen: failedToOpen.load(ordering: .relaxed), closedByServer: closedByServer.load(ordering: .relaxed))
        for channel in channels.withLock({ Array($0.values) }) { channel.close(promise: nil) }
        return report
    }
}

/// What the attacker did and what the server did to it.
public struct AttackReport: Codable, Sendable, Equatable {
    /// Half-open sockets the scenario asked for.
    public var halfOpen: Int
    /// Of those, how many were still open when the phases ended.
    public var heldAtEnd: Int
    /// Sockets opened in all (the first N and every reopening).
    public var opened: Int
    public var failedToOpen: Int
    /// Attack sockets the server closed (header timeout, pending cap).
    public var closedByServer: Int
}

/// The attacker reads nothing it is sent (a 408, say) and ignores errors: the close is what counts.
private final class IgnoreEverything: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
