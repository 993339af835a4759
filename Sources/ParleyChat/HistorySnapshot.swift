import ParleyProtocol

/// The cluster's history as one read saw it (docs/ARCHITECTURE.md, "History"): its epoch, the
/// room's last public `seq`, and the messages after the resuming member's `since` that are still
/// kept. The room answers a resume from it exactly as a single node answers from memory.
public struct HistorySnapshot: Sendable, Equatable {
    public struct Message: Sendable, Equatable {
        public let seq: UInt64
        public let from: String
        public let text: String
        public let timestampMillis: Int64

        public init(seq: UInt64, from: String, text: String, timestampMillis: Int64) {
            self.seq = seq
            self.from = from
            self.text = text
            self.timestampMillis = timestampMillis
        }
    }

    public let epoch: String
    public let lastSeq: UInt64
    /// In `seq` order.
    public let messages: [Message]

    public init(epoch: String, lastSeq: UInt64, messages: [Message]) {
        self.epoch = epoch
        self.lastSeq = lastSeq
        self.messages = messages
    }
}
