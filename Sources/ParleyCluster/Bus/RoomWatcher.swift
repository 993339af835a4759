import Logging
import ParleyChat
import ParleyProtocol
import PostgresNIO

/// Starts and stops this node's interest in named rooms, on the session's listen connection and
/// inside its listen loop: a room is watched by LISTENing to its channel and then reading its
/// members, so every notification the loop applies after that lands on the room as it was read
/// (one that the read already held changes nothing: a join of a member, a leave of a stranger).
struct RoomWatcher {
    let link: BusLink
    let connection: PostgresConnection
    /// How far back a catch-up reads (`--history-size`).
    let historySize: Int
    let logger: Logger
    let sink: AsyncStream<ListenItem>.Continuation
    /// Channels whose notifications this connection hands to the loop (added once: a listener
    /// stays until the connection closes; an unwatched room's notifications are dropped).
    private var listened: Set<String> = []

    init(
        link: BusLink, connection: PostgresConnection, historySize: Int, logger: Logger, sink: AsyncStream<ListenItem>.Continuation
    ) {
        self.link = link
        self.connection = connection
        self.historySize = historySize
        self.logger = logger
        self.sink = sink
    }

    mutating func watch(_ room: RoomName) async throws {
        guard link.isWanted(room), !link.isWatched(room) else { return }
        let channel = RoomChannel.name(of: room)
        if listened.insert(channel).inserted {
            let sink = self.sink
            connection.addListener(channel: channel) { _, notification in sink.yield(.notification(notification.payload)) }
        }
        link.note("session", "watching a room")
        try await connection.run(PostgresQuery(unsafeSQL: "LISTEN \(channel)"), logger: logger)
        var named: [(id: ConnectionID, name: ChatName)] = []
        for (id, name) in try await connection.columns((Int64.self, String.self), of: NamedRoomSQL.members(of: room), logger: logger) {
            guard let name = try? ChatName(validating: name) else { continue }
            named.append((ConnectionID(rawValue: UInt64(bitPattern: id)), name))
        }
        link.room?.resynchronize(room: room, named: named)
        // What the room's members here missed while this node was cut off (the first time: where
        // the room stands), read after the LISTEN, so nothing falls between the two.
        let applied = link.room?.appliedSeq(in: room)
        let query = NamedRoomSQL.history(of: room, after: applied ?? .max, keep: historySize)
        let missed = try await LostTail.repaired(
            try await connection.history(query, logger: logger), appliedSeq: applied, appliedEpoch: link.room?.appliedEpoch(in: room),
            room: room, on: connection, logger: logger
        ) { [connection, logger] in try await connection.history(query, logger: logger) }
        link.room?.catchUp(in: room, with: missed)
        link.markWatched(room, true)
        link.note("session", "applying notifications")
    }

    mutating func unwatch(_ room: RoomName) async throws {
        // Wanted again meanwhile (a member here joined it since): stays watched.
        guard !link.isWanted(room), link.isWatched(room) else { return }
        link.markWatched(room, false)
        // Another wanted room on the same channel keeps it.
        let channel = RoomChannel.name(of: room)
        guard !link.wantedRooms.contains(where: { RoomChannel.name(of: $0) == channel }) else { return }
        try await connection.run(PostgresQuery(unsafeSQL: "UNLISTEN \(channel)"), logger: logger)
    }
}
