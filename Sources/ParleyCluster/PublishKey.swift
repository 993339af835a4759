import PostgresNIO

/// A public message's key: its node and that node's count of public messages (`Outbox`). The
/// statement that numbers the message (`RoomSQL`, `NamedRoomSQL`: their CTE `k`) first moves the node's mark in `parley_published` up to
/// the key, and numbers nothing when the mark was there already: a statement sent again after
/// its answer was lost (the connection broke mid-flight) is a no-op, so no message is numbered
/// twice. The marks are their own table, not the nodes': a node reaped while cut off loses its
/// row, and must not lose its mark with it.
struct PublishKey: Sendable, Equatable {
    let node: String
    let key: UInt64

    /// As the statements bind it (bigint).
    var bound: Int64 { Int64(clamping: key) }

    /// The last key the database numbered for `node` (0 when none).
    static func publishedThrough(_ node: String) -> PostgresQuery {
        "SELECT coalesce(max(through), 0) FROM parley_published WHERE node = \(node)"
    }
}
