import NIOCore
import ParleyChat

/// The public messages this node has accepted and the database has not yet numbered, in the
/// order their senders sent them (docs/ARCHITECTURE.md, "When the database is away"). Every
/// public message passes through it: while the database answers it holds one message for the
/// time of one statement; while it is away it holds them until it is back, so every member of
/// the room gets each once, in the room's order, with its `seq` — or, past `capacity` or older
/// than `ttl` without having been sent, the message is refused and its sender told.
///
/// Each message carries a key, this node's count of public messages (`parley_published` holds
/// the last one the database numbered): a statement whose answer was lost with its connection
/// is sent again with the same key after the reconnect, and numbers nothing the second time.
/// A value (SwiftNIO's state-machine style): the command runner performs what it decides.
struct Outbox: Sendable {
    struct Entry: Sendable, Equatable {
        let command: RoomCommand
        let key: UInt64
        let queuedAt: ContinuousClock.Instant
        /// Sent at least once: the database may have numbered it, so it is never refused, only
        /// sent again (with its key) until an answer says it is done.
        var sent = false
    }

    let capacity: Int
    let ttl: Duration
    private var entries = CircularBuffer<Entry>()
    /// The key the next accepted message gets.
    private var nextKey: UInt64

    /// `publishedThrough`: the last key the database numbered for this node (0 for a new node).
    init(capacity: Int, ttl: Duration, publishedThrough: UInt64) {
        self.capacity = capacity
        self.ttl = ttl
        self.nextKey = publishedThrough + 1
    }

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    /// The message to send next (the oldest).
    var head: Entry? { entries.first }
    /// How long the oldest message has waited.
    func oldestAge(now: ContinuousClock.Instant) -> Duration? { entries.first.map { now - $0.queuedAt } }

    /// Takes `command` at the back; false (nothing taken) when the outbox is full.
    mutating func accept(_ command: RoomCommand, now: ContinuousClock.Instant) -> Bool {
        guard entries.count < capacity else { return false }
        entries.append(Entry(command: command, key: nextKey, queuedAt: now))
        nextKey += 1
        return true
    }

    /// The head is about to be sent.
    mutating func markHeadSent() {
        guard !entries.isEmpty else { return }
        entries[entries.startIndex].sent = true
    }

    /// The head is settled (numbered, or refused by the database): gone.
    @discardableResult
    mutating func removeHead() -> Entry? { entries.popFirst() }

    /// The messages that waited longer than `ttl` and were never sent, taken out in order: their
    /// senders are told they were not sent. One that was sent stays until it is settled.
    mutating func expire(now: ContinuousClock.Instant) -> [Entry] {
        guard let oldest = entries.first, now - oldest.queuedAt > ttl else { return [] }
        var expired: [Entry] = []
        var kept = CircularBuffer<Entry>(initialCapacity: entries.count)
        for entry in entries {
            if !entry.sent && now - entry.queuedAt > ttl { expired.append(entry) } else { kept.append(entry) }
        }
        entries = kept
        return expired
    }

    /// Everything left, unsent or not (the node is shutting down): taken out in order.
    mutating func removeAll() -> [Entry] {
        defer { entries.removeAll() }
        return Array(entries)
    }
}
