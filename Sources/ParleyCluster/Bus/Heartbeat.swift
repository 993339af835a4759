import Logging
import ParleyProtocol
import PostgresNIO

/// Keeps this node marked alive, and removes nodes that are not: a node silent past the
/// dead-node bound is deleted by a survivor, and its members' rows with it (a leave for each).
/// Also clears old long-message payloads now and then.
struct Heartbeat: Sendable {
    let link: BusLink
    let settings: ClusterSettings
    let tag: UInt8
    let logger: Logger

    func run() async {
        var beats = 0
        while !Task.isCancelled {
            link.note("heartbeat", "sleeping")
            try? await Task.sleep(for: settings.heartbeatInterval)
            if Task.isCancelled { return }
            guard let (connection, since) = link.connectionAndSince else { continue }
            beats += 1
            do {
                link.note("heartbeat", "beating")
                try await beatWithin(settings.databaseTimeout, on: connection)
                // Only a node that has been back for a whole deadline judges others: after an
                // outage of the database everyone's heartbeat is old, and must get a chance first.
                if ContinuousClock.now - since > settings.deadNodeAfter {
                    link.note("heartbeat", "reaping dead nodes")
                    try await reapDeadNodes(on: connection)
                }
                link.note("heartbeat", "trimming the history")
                try await connection.run(
                    RoomSQL.trimHistory(keep: settings.historySize, olderThanSeconds: settings.historyTTL.seconds), logger: logger)
                try await connection.run(
                    NamedRoomSQL.trimHistory(keep: settings.historySize, olderThanSeconds: settings.historyTTL.seconds), logger: logger)
                if beats % 60 == 0 {
                    try await connection.run(
                        "DELETE FROM parley_payloads WHERE created_at < now() - interval '5 minutes'", logger: logger)
                    try await connection.run(NamedRoomSQL.forgetEmptyRooms, logger: logger)
                }
            } catch {
                // A heartbeat cut short by shutdown is no news.
                if Task.isCancelled { return }
                logger.warning("heartbeat failed", metadata: ["error": "\(describe(error))"])
                link.abandon(connection)
            }
        }
    }

    /// The beat, or, when the database has not answered one of its statements within `timeout`,
    /// the connection closed under it (`StatementDeadline`), which fails the beat and ends the
    /// session: the node reconnects.
    private func beatWithin(_ timeout: Duration, on connection: PostgresConnection) async throws {
        do {
            try await StatementDeadline.$timeout.withValue(timeout) {
                try await Self.beat(settings.nodeName, tag: tag, on: connection, logger: logger)
            }
        } catch let error as StatementUnanswered {
            logger.warning("the database did not answer a heartbeat within \(error.timeout); reconnecting")
            throw error
        }
    }

    /// The node's row and its connections' rows, marked alive.
    static func beat(_ node: String, tag: UInt8, on connection: PostgresConnection, logger: Logger) async throws {
        let tag = Int16(tag)
        try await connection.run(
            """
            INSERT INTO parley_nodes (name, tag, last_seen) VALUES (\(node), \(tag), now())
            ON CONFLICT (name) DO UPDATE SET last_seen = now()
            """, logger: logger)
        try await connection.run(
            """
            UPDATE parley_connections SET last_seen = now()
            WHERE node = \(node) AND last_seen < now() - interval '10 seconds'
            """, logger: logger)
    }

    private func reapDeadNodes(on connection: PostgresConnection) async throws {
        let seconds = settings.deadNodeAfter.seconds
        let node = settings.nodeName
        let dead = try await connection.column(
            String.self,
            of: """
                DELETE FROM parley_nodes WHERE last_seen < now() - make_interval(secs => \(seconds)) AND name <> \(node)
                RETURNING name
                """, logger: logger)
        for name in dead { logger.warning("node declared dead", metadata: ["node": "\(name)"]) }
        for id in try await connection.column(Int64.self, of: RoomSQL.orphans, logger: logger) {
            try await connection.run(RoomSQL.leave(ConnectionID(rawValue: UInt64(bitPattern: id))), logger: logger)
        }
    }
}
