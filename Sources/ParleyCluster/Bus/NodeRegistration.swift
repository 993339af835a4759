import Logging
import PostgresNIO
import Synchronization

/// Connecting to the database, and a node's tag in connection ids (1–255): the one it had
/// (a restart), or the lowest free one, under the schema's advisory lock.
enum NodeRegistration {
    private static let connectionIDs = Atomic<Int>(0)

    static func connect(_ url: PostgresURL, logger: Logger) async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(
                configuration: url.configuration, id: connectionIDs.wrappingAdd(1, ordering: .relaxed).newValue,
                logger: logger)
        } catch {
            throw ClusterError.unreachable(url: url.description, reason: describe(error))
        }
    }

    static func register(_ node: String, on connection: PostgresConnection, logger: Logger) async throws -> UInt8 {
        try await connection.run("BEGIN", logger: logger)
        do {
            try await connection.run("SELECT pg_advisory_xact_lock(\(ClusterSchema.advisoryLock))", logger: logger)
            var tag = try await connection.column(
                Int16.self, of: "UPDATE parley_nodes SET last_seen = now() WHERE name = \(node) RETURNING tag", logger: logger
            ).first
            if tag == nil {
                tag = try await connection.column(
                    Int16.self,
                    of: """
                        INSERT INTO parley_nodes (name, tag, last_seen)
                        SELECT \(node), min(t), now() FROM generate_series(1, 255) t
                        WHERE t NOT IN (SELECT tag FROM parley_nodes)
                        HAVING min(t) IS NOT NULL
                        RETURNING tag
                        """, logger: logger
                ).first
            }
            try await connection.run("COMMIT", logger: logger)
            guard let tag else { throw ClusterError.noFreeNodeTag }
            return UInt8(tag)
        } catch {
            try? await connection.run("ROLLBACK", logger: logger)
            throw error
        }
    }
}
