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

/// Reads frames for one `LoadClient` straight from the socket's bytes (`ServerFrameReader`):
/// scans each for probe tokens without decoding JSON, and watches for the readiness reply.
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
                data: { bytes in receive(bytes, at: now) },
                control: { control in answer(control, context: context) })
        } catch {
            // The server broke the protocol: say so as a client must (RFC 6455 §7.4.1) and go.
            fail(context: context, code: error == .tooBig ? 1009 : 1002)
        }
    }

    private func receive(_ bytes: UnsafeRawBufferPointer, at now: UInt64) {
        client.recorder.recordFrame(bytes: bytes.count)
        if let awaited = client.awaitedMembers, Self.memberCount(bytes) ?? 0 >= awaited {
            client.awaitedMembers = nil
            client.recorder.recordPresenceComplete(at: now)
        }
        // A frame may carry one message's token more than once (Parley's public event
        // repeats the text in "publicMessage" and "text"): that is one delivery.
        // What arrives before a resume's marker is its replay: counted as delivered, but not as
        // fan-out latency (it waited out the client's absence, not the server).
        let replayed = client.resume?.isCatchingUp == true
        var lastInFrame: ProbeToken?
        ProbeToken.scan(bytes) { token in
            guard token != lastInFrame else { return }
            lastInFrame = token
            client.recorder.recordDelivery(token, client: client, now: now, replayed: replayed)
        }
        if client.resume != nil, let position = RoomPosition.read(bytes) { client.observe(position) }
        if let expectation = client.readyExpectation, contains(bytes, expectation) {
            client.becomeReady(at: now)
        }
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
        client.onClosed?(client, client.leftAt != nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// The number of names in a `{"members":[…]}` event, or nil for any other frame. Counts
    /// string quotes, halved: names are JSON strings, and escaped quotes come with a backslash.
    static func memberCount(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let prefix = Array(#"{"members":["#.utf8)
        guard bytes.count >= prefix.count, bytes.prefix(prefix.count).elementsEqual(prefix) else { return nil }
        var quotes = 0
        var previous: UInt8 = 0
        for byte in bytes.dropFirst(prefix.count) {
            if byte == UInt8(ascii: "\""), previous != UInt8(ascii: "\\") { quotes += 1 }
            if byte == UInt8(ascii: "]"), quotes % 2 == 0 { break }
            previous = previous == UInt8(ascii: "\\") && byte == UInt8(ascii: "\\") ? 0 : byte
        }
        return quotes / 2
    }

    private func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        let first = needle[0]
        var index = 0
        while index + needle.count <= haystack.count {
            if haystack[index] == first {
                var match = true
                for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                    match = false
                    break
                }
                if match { return true }
            }
            index += 1
        }
        return false
    }
}
