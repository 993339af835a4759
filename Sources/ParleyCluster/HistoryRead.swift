import Logging
import ParleyChat
import PostgresNIO

extension PostgresConnection {
    /// A room's history as `RoomSQL.history` or `NamedRoomSQL.history` reads it: its epoch, its
    /// last `seq` and the kept messages they selected, in `seq` order (a member resuming, or a
    /// node catching up after it was cut off).
    func history(_ query: PostgresQuery, logger: Logger) async throws -> HistorySnapshot {
        try await untilClosed {
            var epoch = ""
            var lastSeq: UInt64 = 0
            var messages: [HistorySnapshot.Message] = []
            let rows = try await self.query(query, logger: logger)
            for try await (roomEpoch, publicSeq, seq, from, text, timestamp)
                in rows.decode((String, Int64, Int64?, String?, String?, Int64?).self)
            {
                epoch = roomEpoch
                lastSeq = UInt64(max(0, publicSeq))
                if let seq, let from, let text, let timestamp {
                    messages.append(HistorySnapshot.Message(seq: UInt64(seq), from: from, text: text, timestampMillis: timestamp))
                }
            }
            return HistorySnapshot(epoch: epoch, lastSeq: lastSeq, messages: messages)
        }
    }
}
