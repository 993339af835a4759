import Logging
import PostgresNIO

/// The cluster's tables, created and migrated on start. Each migration runs once, in order, under
/// an advisory lock, so nodes starting together do not race; `parley_schema` records the version.
enum ClusterSchema {
    /// Append only: a released migration is never edited.
    static let migrations: [[String]] = [
        // 1: nodes with their heartbeats; the connections table with the unique folded name; the
        // room's counters (the row every room event locks, which orders them); big payloads.
        [
            """
            CREATE TABLE parley_nodes (
                name text PRIMARY KEY,
                tag smallint NOT NULL UNIQUE CHECK (tag BETWEEN 1 AND 255),
                last_seen timestamptz NOT NULL)
            """,
            """
            CREATE TABLE parley_connections (
                id bigint PRIMARY KEY,
                node text NOT NULL,
                name text,
                name_key text,
                connected_at timestamptz NOT NULL,
                last_seen timestamptz NOT NULL,
                joined_event bigint NOT NULL)
            """,
            "CREATE UNIQUE INDEX parley_connections_name_key ON parley_connections (name_key)",
            "CREATE INDEX parley_connections_node ON parley_connections (node)",
            """
            CREATE TABLE parley_room (
                id int PRIMARY KEY,
                event_seq bigint NOT NULL,
                public_seq bigint NOT NULL)
            """,
            "INSERT INTO parley_room VALUES (1, 0, 0)",
            """
            CREATE TABLE parley_payloads (
                id bigserial PRIMARY KEY,
                body text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now())
            """,
        ],
        // 2: the room's history for resumes: recent public messages by seq, written in the
        // statement that numbers them; the epoch names this history's lifetime, drawn once here
        // (64 random bits), so it survives node and database restarts and changes only with a
        // new database.
        [
            "ALTER TABLE parley_room ADD COLUMN epoch text",
            "UPDATE parley_room SET epoch = substr(md5(random()::text || clock_timestamp()::text), 1, 16)",
            "ALTER TABLE parley_room ALTER COLUMN epoch SET NOT NULL",
            """
            CREATE TABLE parley_history (
                seq bigint PRIMARY KEY,
                sender text NOT NULL,
                body text NOT NULL,
                ts bigint NOT NULL,
                at timestamptz NOT NULL DEFAULT now())
            """,
        ],
        // 3: named rooms. Each has its row (its counters and epoch: the row each of its events
        // locks, which orders them), its members (the default room's are every named
        // connection, as before) with the NOTIFY channel the room's events go to, and its
        // history. A node LISTENs only to the channels of rooms it has members in.
        [
            """
            CREATE TABLE parley_rooms (
                name text PRIMARY KEY,
                event_seq bigint NOT NULL DEFAULT 0,
                public_seq bigint NOT NULL DEFAULT 0,
                epoch text NOT NULL DEFAULT substr(md5(random()::text || clock_timestamp()::text), 1, 16),
                created_at timestamptz NOT NULL DEFAULT now())
            """,
            """
            CREATE TABLE parley_room_members (
                room text NOT NULL,
                id bigint NOT NULL,
                channel text NOT NULL,
                joined_event bigint NOT NULL,
                PRIMARY KEY (room, id))
            """,
            "CREATE INDEX parley_room_members_id ON parley_room_members (id)",
            """
            CREATE TABLE parley_room_history (
                room text NOT NULL,
                seq bigint NOT NULL,
                sender text NOT NULL,
                body text NOT NULL,
                ts bigint NOT NULL,
                at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (room, seq))
            """,
        ],
        // 4: each node's mark of the last public message it had numbered (`PublishKey`): a
        // statement sent again after a lost answer numbers nothing twice. Not in parley_nodes,
        // whose rows go when a node is reaped.
        [
            "CREATE TABLE parley_published (node text PRIMARY KEY, through bigint NOT NULL)"
        ],
    ]

    static var latestVersion: Int { migrations.count }

    /// Brings the database to the latest version; returns the version found before.
    @discardableResult
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.run("BEGIN", logger: logger)
        do {
            try await connection.run("SELECT pg_advisory_xact_lock(\(advisoryLock))", logger: logger)
            try await connection.run("CREATE TABLE IF NOT EXISTS parley_schema (version int NOT NULL)", logger: logger)
            let found =
                try await connection.column(Int?.self, of: "SELECT max(version) FROM parley_schema", logger: logger)
                .first.flatMap { $0 } ?? 0
            if found > latestVersion {
                throw ClusterError.schemaTooNew(found: found, known: latestVersion)
            }
            for version in (found + 1)..<(latestVersion + 1) {
                for statement in migrations[version - 1] {
                    try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.run("INSERT INTO parley_schema VALUES (\(version))", logger: logger)
                logger.info("cluster schema migrated", metadata: ["version": "\(version)"])
            }
            try await connection.run("COMMIT", logger: logger)
            return found
        } catch {
            try? await connection.run("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// Serializes migrations and node registrations across nodes.
    static let advisoryLock: Int64 = 0x7061_726C_6579
}
