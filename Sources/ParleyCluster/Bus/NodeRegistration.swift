import Logging
import PostgresNIO
import Synchronization

/// Connecting to the database, and a node's tag in connection ids (1–255): the one it had
/// (a restart), or the lowest free one, under the schema's advisory lock.
enum NodeRegistration {
    private static let connectionIDs = Atomic<Int>(0)

    /// A connection to the primary: each host of `url` in turn, the first that answers and is
    /// not a standby (`pg_is_in_recovery()`): after a failover that is the promoted one.
    static func connect(_ url: PostgresURL, logger: Logger) async throws -> PostgresConnection {
        var failures: [String] = []
        for endpoint in url.endpoints {
            let connection: PostgresConnection
            do {
                connection = try await PostgresConnection.connect(
                    configuration: url.configuration(for: endpoint), id: connectionIDs.wrappingAdd(1, ordering: .relaxed).newValue,
                    logger: logger)
            } catch {
                failures.append(url.endpoints.count > 1 ? "\(endpoint): \(describe(error))" : describe(error))
                continue
            }
            do {
                if try await connection.column(Bool.self, of: "SELECT pg_is_in_recovery()", logger: logger).first == false {
                    return connection
                }
                failures.append("\(endpoint): a standby (in recovery), not the primary")
            } catch {
                failures.append("\(endpoint): \(describe(error))")
            }
            try? await connection.close()
        }
        throw ClusterError.unreachable(url: url.description, reason: failures.joined(separator: "; "))
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
