import Logging
import ParleyChat
import ParleyProtocol
import PostgresNIO

/// Keeps the node connected: two connections per session (commands, and LISTEN), reconnects
/// with backoff, and after each (re)connect registers this node's live members again, removes
/// the rows of those that left meanwhile, takes the room afresh and catches its rooms up on the
/// public messages they missed — only then do commands run and notifications apply.
struct ClusterSession: Sendable {
    let link: BusLink
    let settings: ClusterSettings
    let tag: UInt8
    let logger: Logger
    let listener: NotificationListener

    private struct SessionEnded: Error, CustomStringConvertible {
        var description: String { "a connection to the database closed" }
    }

    func keepConnected() async {
        var attempt = 0
        while !Task.isCancelled {
            do {
                link.note("session", "connecting")
                try await session { attempt = 0 }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning("cluster session ended", metadata: ["error": "\(describe(error))"])
            }
            link.release()
            // Between half and all of the step, so that the nodes of a cluster that lost its
            // database together do not knock on the new primary in lockstep.
            let delay = min(settings.maximumBackoff, .milliseconds(100) * (1 << min(attempt, 10))) * Double.random(in: 0.5...1)
            attempt += 1
            link.note("session", "waiting \(delay) to reconnect")
            try? await Task.sleep(for: delay)
        }
    }

    /// One connected stretch, until a connection closes.
    private func session(connected: () -> Void) async throws {
        let commandConnection = try await NodeRegistration.connect(settings.url, logger: logger)
        let listenConnection: PostgresConnection
        do {
            listenConnection = try await NodeRegistration.connect(settings.url, logger: logger)
        } catch {
            try? await commandConnection.close()
            throw error
        }
        do {
            try await serve(commandConnection, listenConnection, onUp: connected)
        } catch {
            link.note("session", "closing its connections")
            // Nobody picks the command connection up any more once it is being closed.
            link.release(commandConnection)
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
        let (items, sink) = AsyncStream.makeStream(of: ListenItem.self)
        for channel in [RoomSQL.roomChannel, RoomSQL.nodeChannel(tag: tag)] {
            listenConnection.addListener(channel: channel) { _, notification in sink.yield(.notification(notification.payload)) }
        }
        listenConnection.closeFuture.whenComplete { _ in sink.finish() }
        commandConnection.closeFuture.whenComplete { _ in sink.finish() }
        defer { link.stoppedListening() }
        var watcher = RoomWatcher(
            link: link, connection: listenConnection, historySize: settings.historySize, logger: logger, sink: sink)
        // Every statement of the setup answered within the database timeout, or the session
        // ends and the node connects again (`StatementDeadline`).
        try await StatementDeadline.$timeout.withValue(settings.databaseTimeout) {
            link.note("session", "listening")
            try await listenConnection.run("LISTEN parley_room", logger: logger)
            try await listenConnection.run(PostgresQuery(unsafeSQL: "LISTEN \(RoomSQL.nodeChannel(tag: tag))"), logger: logger)

            link.note("session", "registering again")
            try await reregister(on: commandConnection)
            link.note("session", "resynchronizing")
            try await resynchronize(on: commandConnection)
            // The named rooms this node's members are in, watched again: LISTEN, then their members.
            link.listening(sink)
            let rooms = Set((link.room?.localRoomMemberships() ?? []).map(\.room)).union(link.wantedRooms)
            for room in rooms {
                _ = link.want(room)
                try await watcher.watch(room)
            }
        }
        link.connected(commandConnection)
        connected()
        logger.info("cluster connected", metadata: ["node": "\(settings.nodeName)"])

        // Applied only now, after the snapshot: anything committed meanwhile is applied on top
        // of it (events are idempotent against a snapshot that already holds them).
        link.note("session", "applying notifications")
        for await item in items {
            switch item {
            case .notification(let payload):
                // A long message's fetch on the listen connection, which no heartbeat watches.
                await StatementDeadline.$timeout.withValue(settings.databaseTimeout) {
                    await listener.handle(payload, fetchingOn: listenConnection)
                }
            case .watch(let room):
                try await StatementDeadline.$timeout.withValue(settings.databaseTimeout) { try await watcher.watch(room) }
            case .unwatch(let room): try await watcher.unwatch(room)
            }
        }
        if Task.isCancelled { throw CancellationError() }
        throw SessionEnded()
    }

    /// This node's row, its live named connections (again: the database may have lost them or
    /// reaped them), and the removal of its rows whose connections closed while it was away.
    /// Only what the database lacks is written: every claim takes the room's event counter and
    /// tells every node, so claiming all again after a failover that kept them (a synchronous
    /// standby has every row) serialised 1,000 such statements across 4 nodes before their
    /// outboxes could flush (`make cluster-ha`: messages flowed 1.7 s after the promotion).
    private func reregister(on connection: PostgresConnection) async throws {
        try await Heartbeat.beat(settings.nodeName, tag: tag, on: connection, logger: logger)
        guard let room = link.room else { return }
        var registered: [Int64: String] = [:]
        for (id, name) in try await connection.columns(
            (Int64.self, String.self), of: RoomSQL.rows(of: settings.nodeName), logger: logger)
        {
            registered[id] = name
        }
        let live = room.localNamedMembers()
        for (id, name) in live where registered[Int64(bitPattern: id.rawValue)] != name.display {
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
        // Memberships of named rooms, again where missing; and those this node's members no
        // longer have.
        struct Membership: Hashable {
            let id: Int64
            let room: String
        }
        let stored = Set(
            try await connection.columns((Int64.self, String.self), of: NamedRoomSQL.memberships(of: settings.nodeName), logger: logger)
                .map { Membership(id: $0.0, room: $0.1) })
        let memberships = room.localRoomMemberships()
        let kept = Set(memberships.map { Membership(id: Int64(bitPattern: $0.id.rawValue), room: $0.room.text) })
        for (id, roomName, name) in memberships where !stored.contains(Membership(id: Int64(bitPattern: id.rawValue), room: roomName.text))
        {
            try await connection.run(NamedRoomSQL.join(id, room: roomName, name: name), logger: logger)
        }
        for gone in stored.subtracting(kept) {
            guard let roomName = try? RoomName(validating: gone.room, action: nil) else { continue }
            try await connection.run(
                NamedRoomSQL.leave(ConnectionID(rawValue: UInt64(bitPattern: gone.id)), room: roomName), logger: logger)
        }
        let liveIDs = Set(live.map { Int64(bitPattern: $0.id.rawValue) })
        for id in registered.keys where !liveIDs.contains(id) {
            try await connection.run(RoomSQL.leave(ConnectionID(rawValue: UInt64(bitPattern: id))), logger: logger)
        }
    }

    private func resynchronize(on connection: PostgresConnection) async throws {
        var named: [(id: ConnectionID, name: ChatName)] = []
        for (id, name) in try await connection.columns((Int64.self, String.self), of: RoomSQL.room, logger: logger) {
            guard let name = try? ChatName(validating: name) else { continue }
            named.append((ConnectionID(rawValue: UInt64(bitPattern: id)), name))
        }
        link.room?.resynchronize(named: named)
        // The default room's messages published while this node was cut off, before any
        // notification of this session applies (they come after them in the room's order).
        let applied = link.room?.appliedSeq(in: nil)
        let query = RoomSQL.history(after: applied ?? .max, keep: settings.historySize)
        let missed = try await LostTail.repaired(
            try await connection.history(query, logger: logger), appliedSeq: applied, appliedEpoch: link.room?.appliedEpoch(in: nil),
            room: nil, on: connection, logger: logger
        ) { try await connection.history(query, logger: logger) }
        link.room?.catchUp(in: nil, with: missed)
    }
}
