import Logging
import NIOCore
import ParleyChat
import ParleyProtocol
import PostgresNIO
import Synchronization

/// The room's log on PostgreSQL (docs/ARCHITECTURE.md, "Cluster"). Two connections per node: one runs
/// this node's commands, one at a time in submission order (so a client's `setName` is decided
/// before its next `sendPublic`); the other LISTENs to the room's channel and this node's own
/// channel and applies what arrives, in arrival order (NOTIFY delivers in commit order).
///
/// When PostgreSQL is unreachable the node keeps serving its own members: public messages are
/// applied locally, names and cross-node private messages are refused with `unavailable`. It
/// reconnects with backoff, registers its live connections again, drops the rows of those that
/// left meanwhile, and takes the room afresh from the database.
public final class PostgresClusterBus: ClusterBus, Sendable {
    public let settings: ClusterSettings
    /// This node's tag in connection ids (1–255), given by the database at registration.
    public let tag: UInt8
    private let logger: Logger
    private let commands: AsyncStream<RoomCommand>
    private let commandSink: AsyncStream<RoomCommand>.Continuation
    private let state = Mutex(BusState())

    private struct BusState: Sendable {
        var room: (any ClusterRoom)?
        /// The connection commands run on, while the node is connected and resynchronized.
        var connection: PostgresConnection?
        var connectedSince: ContinuousClock.Instant?
        /// Since when commands have had no connection (the start counts: the first session is
        /// still being set up when the gateway starts accepting).
        var disconnectedSince: ContinuousClock.Instant = .now
        /// The command stream ended and every command in it was handled.
        var commandsDone = false
        /// What each of `run()`'s tasks is doing, so a shutdown that does not end says where.
        var activity: [String: String] = [:]
    }

    private init(settings: ClusterSettings, tag: UInt8, logger: Logger) {
        self.settings = settings
        self.tag = tag
        self.logger = logger
        (commands, commandSink) = AsyncStream.makeStream(of: RoomCommand.self)
    }

    /// Connects once (failing fast, with a clear error, when the database is unreachable),
    /// migrates the schema and registers the node. Then `run()` keeps it in the cluster.
    public static func join(_ settings: ClusterSettings, logger: Logger) async throws -> PostgresClusterBus {
        let connection = try await connect(settings.url, logger: logger)
        do {
            try await ClusterSchema.migrate(connection, logger: logger)
            let tag = try await register(settings.nodeName, on: connection, logger: logger)
            try? await connection.close()
            logger.info("joined the cluster", metadata: ["node": "\(settings.nodeName)", "tag": "\(tag)", "database": "\(settings.url)"])
            return PostgresClusterBus(settings: settings, tag: tag, logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// True while commands reach the database (for tests and health).
    public var isConnected: Bool { state.withLock { $0.connection != nil } }

    // MARK: ClusterBus

    public func attach(_ room: any ClusterRoom) {
        state.withLock { $0.room = room }
    }

    public func submit(_ command: RoomCommand) {
        commandSink.yield(command)
    }

    /// Ends gracefully: handles the commands already submitted (the leaves of a drain, say), up
    /// to `timeout`, and removes this node's row. Cancel `run()`'s task afterwards.
    public func finish(timeout: Duration = .seconds(3)) async {
        commandSink.finish()
        let deadline = ContinuousClock.now + timeout
        while !state.withLock({ $0.commandsDone }) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if let connection = state.withLock({ $0.connection }) {
            try? await connection.run("DELETE FROM parley_nodes WHERE name = \(settings.nodeName)", logger: logger)
        }
    }

    /// What `run()`'s tasks are doing now ("session: resynchronizing", say); empty once it ended.
    public var activity: String {
        state.withLock { $0.activity.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") }
    }

    private func note(_ task: String, _ doing: String?) {
        state.withLock { $0.activity[task] = doing }
    }

    /// Keeps the node in the cluster until the task is cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await self.executeCommands()
                self.note("commands", nil)
            }
            group.addTask {
                await self.keepConnected()
                self.note("session", nil)
            }
            group.addTask {
                await self.beat()
                self.note("heartbeat", nil)
            }
            await group.waitForAll()
        }
        commandSink.finish()
        if let connection = state.withLock({ $0.connection }) { try? await connection.close() }
    }

    // MARK: commands

    private func executeCommands() async {
        note("commands", "waiting")
        for await command in commands {
            note("commands", "running a statement")
            defer { note("commands", "waiting") }
            guard let room = state.withLock({ $0.room }) else { continue }
            guard let connection = await connectionWithinGrace() else {
                actWhileDisconnected(command, room: room)
                continue
            }
            do {
                try await connection.run(statement(for: command), logger: logger)
            } catch let error as PSQLError where error.sqlState == PSQLError.uniqueViolation {
                if case .claim(_, let name) = command {
                    room.refuse(command, because: ProtocolError(.nameTaken, "\"\(name.display)\" is taken", action: ActionName.setName))
                }
            } catch let error as PSQLError where error.sqlState != nil {
                logger.error("cluster statement refused", metadata: ["error": "\(describe(error))"])
                room.refuse(command, because: Self.unavailable(for: command))
            } catch {
                logger.warning("cluster database connection lost", metadata: ["error": "\(describe(error))"])
                disconnect(connection)
                actWhileDisconnected(command, room: room)
            }
        }
        state.withLock { $0.commandsDone = true }
    }

    /// The command connection; while there is none, waits for one until the node has been
    /// without for `commandGrace` (a reconnect usually takes milliseconds), then gives up.
    private func connectionWithinGrace() async -> PostgresConnection? {
        while true {
            let (connection, since) = state.withLock { ($0.connection, $0.disconnectedSince) }
            if let connection { return connection }
            if ContinuousClock.now - since >= settings.commandGrace || Task.isCancelled { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private func statement(for command: RoomCommand) -> PostgresQuery {
        switch command {
        case .claim(let id, let name):
            RoomSQL.claim(id, name: name, node: settings.nodeName)
        case .leave(let id):
            RoomSQL.leave(id)
        case .publicMessage(_, let from, let text, let timestampMillis):
            RoomSQL.publicMessage(from: from.display, text: text, timestampMillis: timestampMillis)
        case .privateMessage(_, let to, let from, let text, let timestampMillis):
            RoomSQL.privateMessage(to: to, from: from.display, text: text, timestampMillis: timestampMillis)
        }
    }

    /// Meanwhile: local members keep talking; what needs the cluster is refused, and leaves are
    /// settled when the node is back (its rows of connections no longer live are removed then).
    private func actWhileDisconnected(_ command: RoomCommand, room: any ClusterRoom) {
        switch command {
        case .publicMessage:
            room.applyLocally(command)
        case .claim, .privateMessage:
            room.refuse(command, because: Self.unavailable(for: command))
        case .leave:
            break
        }
    }

    private static func unavailable(for command: RoomCommand) -> ProtocolError {
        let action =
            switch command {
            case .claim: ActionName.setName
            case .publicMessage: ActionName.sendPublic
            case .privateMessage: ActionName.sendPrivate
            case .leave: ActionName.disconnect
            }
        return ProtocolError(.unavailable, "the cluster's database is unreachable; try again shortly", action: action)
    }

    // MARK: sessions

    private func keepConnected() async {
        var attempt = 0
        while !Task.isCancelled {
            do {
                note("session", "connecting")
                try await session { attempt = 0 }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning("cluster session ended", metadata: ["error": "\(describe(error))"])
            }
            state.withLock { state in
                if state.connection != nil { state.disconnectedSince = .now }
                state.connection = nil
                state.connectedSince = nil
            }
            let delay = min(settings.maximumBackoff, .milliseconds(100) * (1 << min(attempt, 10)))
            attempt += 1
            note("session", "waiting \(delay) to reconnect")
            try? await Task.sleep(for: delay)
        }
    }

    private struct SessionEnded: Error, CustomStringConvertible {
        var description: String { "a connection to the database closed" }
    }

    /// One connected stretch: listen, register again, resynchronize, then apply notifications
    /// until a connection closes.
    private func session(connected: () -> Void) async throws {
        let commandConnection = try await Self.connect(settings.url, logger: logger)
        let listenConnection: PostgresConnection
        do {
            listenConnection = try await Self.connect(settings.url, logger: logger)
        } catch {
            try? await commandConnection.close()
            throw error
        }
        do {
            try await serve(commandConnection, listenConnection, onUp: connected)
        } catch {
            note("session", "closing its connections")
            // Nobody picks the command connection up any more once it is being closed.
            state.withLock { state in
                if state.connection === commandConnection {
                    state.connection = nil
                    state.connectedSince = nil
                    state.disconnectedSince = .now
                }
            }
            // Awaited, not fired and forgotten: postgres-nio asserts that a connection is
            // closed, not merely closing, when its last reference goes.
            try? await commandConnection.close()
            try? await listenConnection.close()
            throw error
        }
    }

    private func serve(
        _ commandConnection: PostgresConnection, _ listenConnection: PostgresConnection, onUp connected: () -> Void
    ) async throws {
        let (notifications, sink) = AsyncStream.makeStream(of: String.self)
        for channel in [RoomSQL.roomChannel, RoomSQL.nodeChannel(tag: tag)] {
            listenConnection.addListener(channel: channel) { _, notification in sink.yield(notification.payload) }
        }
        listenConnection.closeFuture.whenComplete { _ in sink.finish() }
        commandConnection.closeFuture.whenComplete { _ in sink.finish() }
        note("session", "listening")
        try await listenConnection.run("LISTEN parley_room", logger: logger)
        try await listenConnection.run(PostgresQuery(unsafeSQL: "LISTEN \(RoomSQL.nodeChannel(tag: tag))"), logger: logger)

        note("session", "registering again")
        try await reregister(on: commandConnection)
        note("session", "resynchronizing")
        try await resynchronize(on: commandConnection)
        state.withLock {
            $0.connection = commandConnection
            $0.connectedSince = .now
        }
        connected()
        logger.info("cluster connected", metadata: ["node": "\(settings.nodeName)"])

        // Applied only now, after the snapshot: anything committed meanwhile is applied on top
        // of it (events are idempotent against a snapshot that already holds them).
        note("session", "applying notifications")
        for await payload in notifications {
            await handle(payload, fetchingOn: listenConnection)
        }
        if Task.isCancelled { throw CancellationError() }
        throw SessionEnded()
    }

    /// This node's row, its live named connections (again: the database may have lost them or
    /// reaped them), and the removal of its rows whose connections closed while it was away.
    private func reregister(on connection: PostgresConnection) async throws {
        try await heartbeat(on: connection)
        guard let room = state.withLock({ $0.room }) else { return }
        let live = room.localNamedMembers()
        for (id, name) in live {
            do {
                try await connection.run(RoomSQL.claim(id, name: name, node: settings.nodeName), logger: logger)
            } catch let error as PSQLError where error.sqlState == PSQLError.uniqueViolation {
                room.refuse(
                    .claim(id, name),
                    because: ProtocolError(
                        .nameTaken, "while this node was cut off, \"\(name.display)\" was taken on another node; choose another name",
                        action: ActionName.setName))
            }
        }
        let liveIDs = Set(live.map { Int64(bitPattern: $0.id.rawValue) })
        let stale = try await connection.column(Int64.self, of: RoomSQL.rows(of: settings.nodeName), logger: logger)
            .filter { !liveIDs.contains($0) }
        for id in stale {
            try await connection.run(RoomSQL.leave(ConnectionID(rawValue: UInt64(bitPattern: id))), logger: logger)
        }
    }

    private func resynchronize(on connection: PostgresConnection) async throws {
        var named: [(id: ConnectionID, name: ChatName)] = []
        for (id, name) in try await connection.columns((Int64.self, String.self), of: RoomSQL.room, logger: logger) {
            guard let name = try? ChatName(validating: name) else { continue }
            named.append((ConnectionID(rawValue: UInt64(bitPattern: id)), name))
        }
        state.withLock { $0.room }?.resynchronize(named: named)
    }

    private func handle(_ payload: String, fetchingOn connection: PostgresConnection) async {
        guard let room = state.withLock({ $0.room }) else { return }
        do {
            switch try RoomNotification(json: payload) {
            case .event(let event):
                room.apply(event)
            case .publicMessage(let payloadID, let from, let seq, let timestampMillis):
                let text = try await fetchPayload(payloadID, on: connection)
                room.apply(.publicMessage(from: from, text: text, seq: seq, timestampMillis: timestampMillis))
            case .privateMessage(let payloadID, let to, let from, let timestampMillis):
                let text = try await fetchPayload(payloadID, on: connection)
                room.apply(.privateMessage(to: to, from: from, text: text, timestampMillis: timestampMillis))
            }
        } catch {
            logger.error("cluster notification not applied", metadata: ["error": "\(describe(error))"])
        }
    }

    private func fetchPayload(_ id: Int64, on connection: PostgresConnection) async throws -> String {
        if let body = try await connection.column(String.self, of: RoomSQL.payload(id), logger: logger).first {
            return body
        }
        throw RoomNotification.Malformed(payload: "payload \(id) is gone")
    }

    private func disconnect(_ connection: PostgresConnection) {
        state.withLock { state in
            if state.connection === connection {
                state.connection = nil
                state.connectedSince = nil
                state.disconnectedSince = .now
            }
        }
        // Closing it ends the session (its notifications stream finishes): a reconnect follows.
        connection.close().whenComplete { _ in }
    }

    // MARK: heartbeats and dead nodes

    private func beat() async {
        var beats = 0
        while !Task.isCancelled {
            note("heartbeat", "sleeping")
            try? await Task.sleep(for: settings.heartbeatInterval)
            if Task.isCancelled { return }
            guard let (connection, since) = state.withLock({ state in state.connection.map { ($0, state.connectedSince ?? .now) } })
            else { continue }
            beats += 1
            do {
                note("heartbeat", "beating")
                try await heartbeat(on: connection)
                // Only a node that has been back for a whole deadline judges others: after an
                // outage of the database everyone's heartbeat is old, and must get a chance first.
                if ContinuousClock.now - since > settings.deadNodeAfter {
                    note("heartbeat", "reaping dead nodes")
                    try await reapDeadNodes(on: connection)
                }
                if beats % 60 == 0 {
                    try await connection.run(
                        "DELETE FROM parley_payloads WHERE created_at < now() - interval '5 minutes'", logger: logger)
                }
            } catch {
                // A heartbeat cut short by shutdown is no news.
                if Task.isCancelled { return }
                logger.warning("heartbeat failed", metadata: ["error": "\(describe(error))"])
                disconnect(connection)
            }
        }
    }

    private func heartbeat(on connection: PostgresConnection) async throws {
        let node = settings.nodeName
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
        let seconds = Double(settings.deadNodeAfter.components.seconds)
            + Double(settings.deadNodeAfter.components.attoseconds) / 1e18
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

    // MARK: connecting and registering

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

    /// The node's tag: the one it had (a restart), or the lowest free one.
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
