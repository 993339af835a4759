import Logging
import ParleyChat
import ParleyProtocol
import PostgresNIO

/// Runs this node's room commands on the command connection, one at a time in submission order
/// (so a client's `setName` is decided before its next `sendPublic`). Public messages go through
/// the `Outbox`: sent at once while the database answers, held in order while it is away and
/// sent when it is back, refused (`unavailable`) past its size or age. While the database is
/// unreachable names, resumes, joins and cross-node private messages are refused with
/// `unavailable`, and leaves are settled when the node is back.
struct CommandRunner: Sendable {
    /// What the runner is handed: the node's commands, and a wake-up now and then, so a held
    /// message is sent when the database is back (or refused when too old) with no new command.
    enum Input: Sendable {
        case command(RoomCommand)
        case tick
    }

    let link: BusLink
    let settings: ClusterSettings
    /// The last key the database numbered for this node, read when it joined.
    let publishedThrough: UInt64
    let logger: Logger

    func run(_ inputs: AsyncStream<Input>) async {
        var outbox = Outbox(capacity: settings.outboxCapacity, ttl: settings.outboxTTL, publishedThrough: publishedThrough)
        link.note("commands", "waiting")
        for await input in inputs {
            guard let room = link.room else { continue }
            link.note("commands", "running a statement")
            if case .command(let command) = input { await take(command, outbox: &outbox, room: room) }
            await send(&outbox, room: room)
            for entry in outbox.expire(now: .now) {
                room.refuse(entry.command, because: Self.notSent(entry.command, waited: settings.outboxTTL))
            }
            link.noteOutbox(outbox.count)
            link.note("commands", "waiting")
        }
        // Shutting down: what could still be sent was tried above; the rest was not sent.
        for entry in outbox.removeAll() {
            if entry.sent {
                logger.warning("public message left unsettled at shutdown", metadata: ["key": "\(entry.key)"])
            } else {
                link.room?.refuse(entry.command, because: Self.unavailable(for: entry.command))
            }
        }
        link.noteOutbox(0)
        link.markCommandsDone()
    }

    /// A command in submission order: a public message joins the outbox; anything else waits
    /// for the messages before it to be sent, then runs (or, the database away, is refused).
    private func take(_ command: RoomCommand, outbox: inout Outbox, room: any ClusterRoom) async {
        switch command {
        case .publicMessage, .roomMessage:
            if !outbox.accept(command, now: .now) {
                room.refuse(command, because: Self.outboxFull(command, capacity: settings.outboxCapacity))
            }
            link.noteOutbox(outbox.count)
            return
        default:
            break
        }
        await send(&outbox, room: room)
        guard outbox.isEmpty, let connection = await link.connection(within: settings.commandGrace) else {
            actWhileDisconnected(command, room: room)
            return
        }
        do {
            try await perform(command, on: connection, room: room)
        } catch let error as PSQLError where error.sqlState == PSQLError.uniqueViolation {
            if case .claim(_, let name) = command {
                room.refuse(command, because: ProtocolError(.nameTaken, "\"\(name.display)\" is taken", action: ActionName.setName))
            }
        } catch let error as PSQLError where error.sqlState != nil {
            logger.error("cluster statement refused", metadata: ["error": "\(describe(error))"])
            room.refuse(command, because: Self.unavailable(for: command))
        } catch {
            logger.warning("cluster database connection lost", metadata: ["error": "\(describe(error))"])
            link.abandon(connection)
            actWhileDisconnected(command, room: room)
        }
    }

    /// Sends the outbox's messages in order while the database answers. A message whose answer
    /// was lost with its connection stays at the head and is sent again, with its key, once the
    /// node is back: the database numbers it once whichever way the first try ended.
    private func send(_ outbox: inout Outbox, room: any ClusterRoom) async {
        while let head = outbox.head {
            guard let connection = await link.connection(within: settings.commandGrace) else { return }
            outbox.markHeadSent()
            do {
                try await publish(head, on: connection)
                outbox.removeHead()
            } catch let error as PSQLError where error.sqlState != nil {
                // The database refused the statement: its transaction did not commit.
                logger.error("cluster statement refused", metadata: ["error": "\(describe(error))"])
                room.refuse(head.command, because: Self.unavailable(for: head.command))
                outbox.removeHead()
            } catch {
                logger.warning("cluster database connection lost", metadata: ["error": "\(describe(error))"])
                link.abandon(connection)
                return
            }
        }
    }

    private func publish(_ entry: Outbox.Entry, on connection: PostgresConnection) async throws {
        let key = PublishKey(node: settings.nodeName, key: entry.key)
        let keepHistory = settings.historySize > 0
        switch entry.command {
        case .publicMessage(_, let from, let text, let timestampMillis):
            try await connection.run(
                RoomSQL.publicMessage(from: from.display, text: text, timestampMillis: timestampMillis, key: key, keepHistory: keepHistory),
                logger: logger)
        case .roomMessage(let roomName, _, let from, let text, let timestampMillis):
            try await connection.run(
                NamedRoomSQL.publicMessage(
                    room: roomName, from: from.display, text: text, timestampMillis: timestampMillis, key: key, keepHistory: keepHistory),
                logger: logger)
        default:
            preconditionFailure("only public messages pass through the outbox")
        }
    }

    /// One command other than a public message on the database: a statement, or for a resume
    /// the history read (on this connection, in command order, so it sees every message this node
    /// numbered before the member's join) and handed back.
    private func perform(_ command: RoomCommand, on connection: PostgresConnection, room: any ClusterRoom) async throws {
        switch command {
        case .claim(let id, let name):
            try await connection.run(RoomSQL.claim(id, name: name, node: settings.nodeName), logger: logger)
        case .leave(let id):
            try await connection.run(RoomSQL.leave(id), logger: logger)
        case .publicMessage, .roomMessage:
            preconditionFailure("public messages pass through the outbox")
        case .privateMessage(_, let to, let from, let text, let timestampMillis):
            try await connection.run(
                RoomSQL.privateMessage(to: to, from: from.display, text: text, timestampMillis: timestampMillis), logger: logger)
        case .resume(let id, let request):
            // since=latest replays nothing: the read only needs where the room stands.
            let query = RoomSQL.history(after: request.since ?? .max, keep: settings.historySize)
            room.finishResume(id, with: try await connection.history(query, logger: logger))
        case .joinRoom(let id, let roomName, let name):
            // Watched before the join is announced: this node hears its own member's join, and
            // everything of the room after it.
            guard await watched(roomName) else {
                room.refuse(command, because: Self.unavailable(for: command))
                return
            }
            try await connection.run(NamedRoomSQL.join(id, room: roomName, name: name), logger: logger)
        case .leaveRoom(let id, let roomName):
            try await connection.run(NamedRoomSQL.leave(id, room: roomName), logger: logger)
        case .roomResume(let id, let roomName, let request):
            let query = NamedRoomSQL.history(of: roomName, after: request.since ?? .max, keep: settings.historySize)
            room.finishResume(id, in: roomName, with: try await connection.history(query, logger: logger))
        case .unwatch(let roomName):
            link.unwant(roomName)
        }
    }

    /// Asks the listen loop to watch `room` and waits until it does (within the command grace:
    /// a session that ends meanwhile watches it again when it is back).
    private func watched(_ room: RoomName) async -> Bool {
        _ = link.want(room)
        let deadline = ContinuousClock.now + settings.commandGrace
        while !link.isWatched(room) {
            guard ContinuousClock.now < deadline, !Task.isCancelled else { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }

    private func actWhileDisconnected(_ command: RoomCommand, room: any ClusterRoom) {
        switch command {
        case .claim, .privateMessage, .resume, .joinRoom, .roomResume, .publicMessage, .roomMessage:
            room.refuse(command, because: Self.unavailable(for: command))
        case .unwatch(let roomName):
            link.unwant(roomName)
        case .leave, .leaveRoom:
            // Settled when the node is back: it registers again only what its members still have.
            break
        }
    }

    private static func action(of command: RoomCommand) -> String {
        switch command {
        case .claim: ActionName.setName
        case .resume: ActionName.connect
        case .publicMessage, .roomMessage: ActionName.sendPublic
        case .privateMessage: ActionName.sendPrivate
        case .leave: ActionName.disconnect
        case .joinRoom, .roomResume: ActionName.join
        case .leaveRoom, .unwatch: ActionName.leave
        }
    }

    private static func unavailable(for command: RoomCommand) -> ProtocolError {
        ProtocolError(.unavailable, "the cluster's database is unreachable; try again shortly", action: action(of: command))
    }

    private static func notSent(_ command: RoomCommand, waited: Duration) -> ProtocolError {
        ProtocolError(
            .unavailable, "not sent: the cluster's database was unreachable for \(wholeOrNot(waited.seconds)) s; nobody received it",
            action: action(of: command))
    }

    private static func wholeOrNot(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds))" : "\(seconds)"
    }

    private static func outboxFull(_ command: RoomCommand, capacity: Int) -> ProtocolError {
        ProtocolError(
            .unavailable, "not sent: the cluster's database is unreachable and \(capacity) messages already wait; nobody received it",
            action: action(of: command))
    }
}
