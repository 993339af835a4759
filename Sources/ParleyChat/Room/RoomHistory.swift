import DequeModule
import ParleyProtocol

/// The room's recent public messages, by `seq`, for clients that resume (docs/PROTOCOL.md,
/// "Resume"): at most `capacity` messages, none older than `ttl`, each kept as the payload it was
/// broadcast as (a replay costs no encoding). `epoch` names this history's lifetime: a single
/// node's history lives in memory and dies with the process, so each start draws a new one and a
/// client holding another epoch knows its `seq`s mean nothing here.
struct RoomHistory: Sendable {
    struct Entry: Sendable {
        let seq: UInt64
        let payload: Payload
        let atMillis: Int64
    }

    /// What a resume gets.
    enum Replay: Equatable {
        /// The messages after `since`, in order (possibly none), and the range they cover.
        case messages([Payload], from: UInt64, to: UInt64)
        /// `reason`: "epoch" or "expired"; `oldest` is the oldest `seq` still held.
        case failed(reason: String, oldest: UInt64)
        /// `since` is past the room's last `seq`.
        case ahead(last: UInt64)
    }

    let epoch: String
    let capacity: Int
    let ttlMillis: Int64
    private(set) var entries: Deque<Entry> = []
    /// The last `seq` recorded (0 before any).
    private(set) var lastSeq: UInt64 = 0

    init(epoch: String, capacity: Int, ttl: Duration) {
        self.epoch = epoch
        self.capacity = max(0, capacity)
        self.ttlMillis = ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000
    }

    /// A fresh epoch: 64 random bits in hexadecimal.
    static func drawEpoch() -> String {
        let hex = String(UInt64.random(in: 1...UInt64.max), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    mutating func record(seq: UInt64, payload: Payload, atMillis: Int64) {
        lastSeq = seq
        guard capacity > 0 else { return }
        entries.append(Entry(seq: seq, payload: payload, atMillis: atMillis))
        if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
        trim(nowMillis: atMillis)
    }

    /// The room's last `seq` is `seq` although no message after the last recorded one is held
    /// (the cluster's history: the newest were trimmed, or none is kept).
    mutating func advance(to seq: UInt64) {
        lastSeq = max(lastSeq, seq)
    }

    /// The cluster's history as one read saw it, as this node would hold it.
    init(_ snapshot: HistorySnapshot, room: RoomName? = nil, capacity: Int, ttl: Duration) {
        self.init(epoch: snapshot.epoch, capacity: capacity, ttl: ttl)
        for message in snapshot.messages {
            let payload = OutboundEvent.publicMessage(
                from: message.from, text: message.text, seq: message.seq, timestampMillis: message.timestampMillis
            ).encode(room: room)
            record(seq: message.seq, payload: payload, atMillis: message.timestampMillis)
        }
        advance(to: snapshot.lastSeq)
    }

    /// Drops what is older than the ttl (on every record: memory stays bounded by the count).
    private mutating func trim(nowMillis: Int64) {
        while let first = entries.first, nowMillis - first.atMillis > ttlMillis { entries.removeFirst() }
    }

    /// The oldest `seq` a resume can still get at `nowMillis`: entries past the ttl count as gone
    /// (they are dropped at the next `record`).
    func oldest(nowMillis: Int64) -> UInt64 {
        entries.first { nowMillis - $0.atMillis <= ttlMillis }?.seq ?? lastSeq + 1
    }

    /// What a client that holds everything up to `since` of `epoch` (nil: a first visit, whatever
    /// is held) missed; `since` nil: nothing, only where the room stands.
    func replay(since: UInt64?, epoch: String?, nowMillis: Int64) -> Replay {
        let oldest = oldest(nowMillis: nowMillis)
        if let epoch, epoch != self.epoch { return .failed(reason: "epoch", oldest: oldest) }
        guard let since else { return .messages([], from: lastSeq + 1, to: lastSeq) }
        if since > lastSeq { return .ahead(last: lastSeq) }
        // Someone who holds `since` misses nothing the history lost when `since + 1` is still held.
        if epoch != nil && since + 1 < oldest { return .failed(reason: "expired", oldest: oldest) }
        let missed = entries.filter { $0.seq > since && $0.seq >= oldest }
        return .messages(missed.map(\.payload), from: missed.first?.seq ?? since + 1, to: lastSeq)
    }
}
