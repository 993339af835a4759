import Glibc
import NIOCore
import NIOWebSocket
import ParleyProtocol

/// One simulated client: a real WebSocket connection, its membership interval, and the
/// messages it has seen. Lives on its channel's event loop.
final class LoadClient {
    let index: Int
    let recorder: LoopRecorder
    let senderReceives: Bool
    var channel: (any Channel)?
    /// When the client became a member (ready), and when it started to leave (uptime ns).
    private(set) var readyAt: UInt64?
    private(set) var leftAt: UInt64?
    var readyExpectation: [UInt8]?
    var onReady: ((LoadClient) -> Void)?
    var onClosed: ((LoadClient, _ expected: Bool) -> Void)?
    /// Counted once as connected-or-failed in the connect stage.
    var settled = false
    /// For presence storms: the member count that makes the list complete (nil: not watching).
    var awaitedMembers: Int?
    /// With `reconnect:` in the scenario: where this client stands, to come back from.
    var resume: ResumePoint?
    /// Bound for the direct receive path: NIO upgrades it, then hands its socket (this
    /// duplicate of NIO's descriptor) to `loop` once the client is ready.
    var direct: DirectHandOff?
    /// Called when a resume marker (or an error) ends catching up: what it said, and since when
    /// the client had been catching up.
    var onCaughtUp: ((LoadClient, _ outcome: String, _ since: UInt64) -> Void)?
    private var seen: [UInt64] = []

    init(index: Int, recorder: LoopRecorder, senderReceives: Bool) {
        self.index = index
        self.recorder = recorder
        self.senderReceives = senderReceives
    }

    var isMember: Bool { readyAt != nil && leftAt == nil }

    func becomeReady(at now: UInt64) {
        guard readyAt == nil else { return }
        readyAt = now
        readyExpectation = nil
        onReady?(self)
    }

    func leave(at now: UInt64) {
        if leftAt == nil { leftAt = now }
    }

    /// Whether a message scheduled at `instant` by `publisher` was due to reach this client.
    func wasMember(at instant: UInt64, publisher: Int) -> Bool {
        guard let readyAt, readyAt <= instant else { return false }
        if let leftAt, leftAt <= instant { return false }
        return senderReceives || publisher != index
    }

    /// Marks message `seq` seen; false if it was already (a duplicate).
    func markSeen(_ seq: UInt64) -> Bool {
        let word = Int(seq >> 6)
        let bit = UInt64(1) << (seq & 63)
        if word >= seen.count { seen += Array(repeating: 0, count: Swift.max(word + 1 - seen.count, seen.count)) }
        if seen[word] & bit != 0 { return false }
        seen[word] |= bit
        return true
    }

    func hasSeen(_ seq: UInt64) -> Bool {
        let word = Int(seq >> 6)
        return word < seen.count && seen[word] & (UInt64(1) << (seq & 63)) != 0
    }

    /// What a frame says about the room's position (only for clients that may come back). A
    /// public message's `seq` is written in place: one per delivered frame, no copy of the point.
    func observe(_ position: RoomPosition) {
        guard resume != nil else { return }
        let outcome: String?
        switch position {
        case .message(let seq):
            if seq > resume!.lastSeq { resume!.lastSeq = seq }
            return
        case .resumed(let to, let epoch):
            resume!.lastSeq = Swift.max(resume!.lastSeq, to)
            resume!.epoch = epoch
            outcome = "resumed"
        case .resumeFailed(let reason, let epoch):
            if !epoch.isEmpty { resume!.epoch = epoch }
            outcome = "failed: \(reason)"
        case .error:
            outcome = resume!.isCatchingUp ? "error" : nil
        }
        guard let outcome, let since = resume!.catchingUpSince else { return }
        resume!.catchingUpSince = nil
        onCaughtUp?(self, outcome, since)
    }

    /// Closes the direct path's descriptor of a client that will never be handed off (its
    /// upgrade failed or NIO closed it first). On the client's loop, once.
    func closeDirectDescriptor() {
        guard let direct, !direct.handedOff else { return }
        close(direct.descriptor)
        self.direct = nil
    }

    var interval: MembershipInterval? {
        readyAt.map { MembershipInterval(client: index, readyAt: $0, leftAt: leftAt) }
    }
}

struct MembershipInterval: Sendable, Codable {
    let client: Int
    let readyAt: UInt64
    let leftAt: UInt64?

    func contains(_ instant: UInt64) -> Bool {
        readyAt <= instant && (leftAt.map { instant < $0 } ?? true)
    }
}

/// Reads frames for one `LoadClient` straight from the socket's bytes (`ServerFrameReader`,
/// `ClientFrames`) until the client is ready — or for its whole life when it stays on NIO's
/// receive path (TLS, reconnecting clients, churn, publishers: `LoadRun.receivesDirectly`).
/// The clock is read once per socket read: every frame of one read arrived at the same time,
/// and a clock read per frame was a measurable share of the harness's cost.
final class LoadClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let client: LoadClient
    private var reader = ServerFrameReader()

    init(client: LoadClient) {
        self.client = client
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = NIODeadline.now().uptimeNanoseconds
        do {
            try reader.consume(
                Self.unwrapInboundIn(data),
                data: { bytes in ClientFrames.receive(bytes, client: client, recorder: client.recorder, at: now) },
                control: { control in answer(control, context: context) })
        } catch {
            // The server broke the protocol: say so as a client must (RFC 6455 §7.4.1) and go.
            fail(context: context, code: error == .tooBig ? 1009 : 1002)
            return
        }
        handOffIfReady(channel: context.channel)
    }

    /// A member bound for the direct receive path leaves NIO here: once ready, between reads,
    /// so that every byte NIO read has been seen and only a frame's unfinished tail is carried
    /// over. NIO's descriptor is closed (after it leaves NIO's epoll set); the socket lives on
    /// in the duplicate the receive loop owns.
    func handOffIfReady(channel: any Channel) {
        guard let direct = client.direct, !direct.handedOff, client.readyAt != nil, client.leftAt == nil, reader.isBetweenMessages
        else { return }
        client.direct!.handedOff = true
        let tail = reader.takePending()
        channel.close(promise: nil)
        direct.loop.adopt(descriptor: direct.descriptor, client: client, tail: tail)
    }

    private func answer(_ control: ServerFrameReader.Control, context: ChannelHandlerContext) {
        switch control {
        case .close(let code):
            // Answer the server's close; the socket closes after.
            fail(context: context, code: code == 1005 ? 1000 : code)
        case .ping(let payload):
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: payload)
            context.writeAndFlush(NIOAny(pong), promise: nil)
        }
    }

    private func fail(context: ChannelHandlerContext, code: UInt16) {
        var reply = context.channel.allocator.buffer(capacity: 2)
        reply.writeInteger(code)
        let close = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: reply)
        context.writeAndFlush(NIOAny(close), promise: nil)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Handed off: the socket goes on in the receive loop. Otherwise NIO's close ends it,
        // and the receive loop's descriptor must go too.
        if client.direct?.handedOff == true { return context.fireChannelInactive() }
        client.closeDirectDescriptor()
        client.onClosed?(client, client.leftAt != nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// A client's way to the direct receive path: the loop that will read its socket, and the
/// descriptor (a duplicate of NIO's) it will read.
struct DirectHandOff {
    let loop: ReceiveLoop
    let descriptor: Int32
    var handedOff = false
}
