/// Which sent public messages the server refused. A refusal (`unavailable`, "not sent") names
/// no message, only its sender: each publisher's refusals are paired with that publisher's
/// messages that nobody received, oldest first — a cluster node's outbox holds a sender's
/// messages in order and refuses the oldest first. A refused message somebody did receive would
/// be a server that broke its word; it is never paired, so it still counts as lost where due.
enum RefusedMessages {
    static func seqs(sent: [LoopRecorder.Sent], refusals: [Int: Int], received: (Int) -> Bool) -> Set<UInt64> {
        guard !refusals.isEmpty else { return [] }
        var left = refusals
        var refused = Set<UInt64>()
        for message in sent.sorted(by: { $0.scheduled < $1.scheduled }) where message.recipient == nil {
            guard let count = left[message.publisher], count > 0, !received(Int(message.seq)) else { continue }
            refused.insert(message.seq)
            left[message.publisher] = count - 1
        }
        return refused
    }
}
