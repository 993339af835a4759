import Glibc
import NIOCore

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
    /// Bound for the direct receive path: NIO upgrades it on a duplicate of the loop's
    /// descriptor, then hands the socket to the loop once the client is ready.
    var direct: DirectHandOff?
    /// Called when a resume marker (or an error) ends catching up: what it said, and since when
    /// the client had been catching up.
    var onCaughtUp: ((LoadClient, _ outcome: String, _ since: UInt64) -> Void)?
    /// With `rooms:`: the rooms this client is in, and publishers per room (a token's publisher
    /// names its room: publisher / stride).
    var rooms: [Int]?
    var publisherStride = 1
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

    /// Whether a message scheduled at `instant` by `publisher` was due to reach this client
    /// (`recipient`: a private message's, due to that client alone, whatever its rooms).
    func wasMember(at instant: UInt64, publisher: Int, recipient: Int? = nil) -> Bool {
        guard let readyAt, readyAt <= instant else { return false }
        if let leftAt, leftAt <= instant { return false }
        if let recipient { return recipient == index }
        if let rooms { return rooms.contains(publisher / publisherStride) }
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
