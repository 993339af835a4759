import Logging
import ParleyChat
import ParleyProtocol
import PostgresNIO

/// Runs this node's room commands on the command connection, one at a time in submission order
/// (so a client's `setName` is decided before its next `sendPublic`). While the database is
/// unreachable: public messages reach this node's members only, names and cross-node private
/// messages are refused with `unavailable`, and leaves are settled when the node is back.
struct CommandRunner: Sendable {
    let link: BusLink
    let settings: ClusterSettings
    let logger: Logger

    func run(_ commands: AsyncStream<RoomCommand>) async {
        link.note("commands", "waiting")
        for await command in commands {
            link.note("commands", "running a statement")
            defer { link.note("commands", "waiting") }
            guard let room = link.room else { continue }
            guard let connection = await link.connection(within: settings.commandGrace) else {
                actWhileDisconnected(command, room: room)
                continue
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
        link.markCommandsDone()
    }

    /// The history after `since` for a member catching up: read on this connection, in command
    /// order, so it sees every message this node numbered before the member's join.
    private func readHistory(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> HistorySnapshot {
        let logger = logger
        return try await connection.untilClosed {
            var epoch = ""
            var lastSeq: UInt64 = 0
            var messages: [HistorySnapshot.Message] = []
            let rows = try await connection.query(query, logger: logger)
            for try await (roomEpoch, publicSeq, seq, from, text, timestamp)
                in rows.decode((String, Int64, Int64?, String?, String?, Int64?).self)
            {
                epoch = roomEpoch
                lastSeq = UInt64(max(0, publicSeq))
                if let seq, let from, let text, let timestamp {
                    messages.append(HistorySnapshot.Message(seq: UInt64(seq), from: from, text: text, timestampMillis: timestamp))
                }
            }
            return HistorySnapshot(epoch: epoch, lastSeq: lastSeq, messages: messages)
        }
    }

    /// One command on the database: a statement, or for a resume the history read and handed back.
    private func perform(_ command: RoomCommand, on connection: PostgresConnection, room: any ClusterRoom) async throws {
        switch command {
        case .claim(let id, let name):
            try await connection.run(RoomSQL.claim(id, name: name, node: settings.nodeName), logger: logger)
        case .leave(let id):
            try await connection.run(RoomSQL.leave(id), logger: logger)
        case .publicMessage(_, let from, let text, let timestampMillis):
            let statement = RoomSQL.publicMessage(
                from: from.display, text: text, timestampMillis: timestampMillis, keepHistory: settings.historySize > 0)
            try await connection.run(statement, logger: logger)
        case .privateMessage(_, let to, let from, let text, let timestampMillis):
            try await connection.run(
                RoomSQL.privateMessage(to: to, from: from.display, text: text, timestampMillis: timestampMillis), logger: logger)
        case .resume(let id, let request):
            // since=latest replays nothing: the read only needs where the room stands.
            let query = RoomSQL.history(after: request.since ?? .max, keep: settings.historySize)
            room.finishResume(id, with: try await readHistory(query, on: connection))
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
        case .roomMessage(let roomName, _, let from, let text, let timestampMillis):
            let statement = NamedRoomSQL.publicMessage(
                room: roomName, from: from.display, text: text, timestampMillis: timestampMillis, keepHistory: settings.historySize > 0)
            try await connection.run(statement, logger: logger)
        case .roomResume(let id, let roomName, let request):
            let query = NamedRoomSQL.history(of: roomName, after: request.since ?? .max, keep: settings.historySize)
            room.finishResume(id, in: roomName, with: try await readHistory(query, on: connection))
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
        case .publicMessage, .roomMessage:
            room.applyLocally(command)
        case .claim, .privateMessage, .resume, .joinRoom, .roomResume:
            room.refuse(command, because: Self.unavailable(for: command))
        case .unwatch(let roomName):
            link.unwant(roomName)
        case .leave, .leaveRoom:
            // Settled when the node is back: it registers again only what its members still have.
            break
        }
    }

    private static func unavailable(for command: RoomCommand) -> ProtocolError {
        let action =
            switch command {
            case .claim: ActionName.setName
            case .resume: ActionName.connect
            case .publicMessage, .roomMessage: ActionName.sendPublic
            case .privateMessage: ActionName.sendPrivate
            case .leave: ActionName.disconnect
            case .joinRoom, .roomResume: ActionName.join
            case .leaveRoom, .unwatch: ActionName.leave
            }
        return ProtocolError(.unavailable, "the cluster's database is unreachable; try again shortly", action: action)
    }
}
