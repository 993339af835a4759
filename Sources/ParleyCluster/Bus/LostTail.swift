import Logging
import ParleyChat
import ParleyProtocol
import PostgresNIO

/// A room whose database is behind what this node already delivered, in the same history: a
/// failover to a standby that had not yet received the last messages (asynchronous replication
/// can lose its tail). Numbering on from the database's `seq` would give those `seq`s to new
/// messages — a seq naming two messages — and a member resuming from before the loss would get
/// a silent gap. So the room starts a new history (epoch), numbered on past what was delivered:
/// the catch-up tells the members here `resumeFailed: epoch`, and a member who resumes with the
/// old epoch is told the same. (With a synchronous standby, which `make cluster-ha` uses, the
/// database never falls behind and this never happens.)
enum LostTail {
    /// `snapshot`, or when it shows the room's tail lost, the room's new history as `read` reads
    /// it again.
    static func repaired(
        _ snapshot: HistorySnapshot, appliedSeq: UInt64?, appliedEpoch: String?, room: RoomName?,
        on connection: PostgresConnection, logger: Logger, read: () async throws -> HistorySnapshot
    ) async throws -> HistorySnapshot {
        guard let applied = appliedSeq, let epoch = appliedEpoch, !epoch.isEmpty, snapshot.epoch == epoch, snapshot.lastSeq < applied
        else { return snapshot }
        logger.warning(
            "the database lost the room's last messages (a failover to a standby that lacked them?): starting a new history",
            metadata: ["room": "\(room?.text ?? "(the default room)")", "database": "\(snapshot.lastSeq)", "delivered": "\(applied)"])
        let statement =
            room.map { NamedRoomSQL.startNewEpoch(of: $0, replacing: epoch, numberedAfter: applied) }
            ?? RoomSQL.startNewEpoch(replacing: epoch, numberedAfter: applied)
        try await connection.run(statement, logger: logger)
        return try await read()
    }
}
