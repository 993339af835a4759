import Logging
import ParleyChat
import PostgresNIO

/// Applies what the database notifies (the room's channel and this node's own), in arrival
/// order — NOTIFY delivers in commit order, so every node applies one order. Text too long for
/// a notification is fetched from `parley_payloads` by its id.
struct NotificationListener: Sendable {
    let link: BusLink
    let logger: Logger

    func handle(_ payload: String, fetchingOn connection: PostgresConnection) async {
        guard let room = link.room else { return }
        do {
            let notification = try RoomNotification(json: payload)
            if notification.isNamedRooms { link.countRoomEvent() }
            switch notification {
            case .event(let event):
                room.apply(event)
            case .roomMessage(let payloadID, let roomName, let from, let seq, let timestampMillis):
                let text = try await fetchPayload(payloadID, on: connection)
                room.apply(.roomMessage(roomName, from: from, text: text, seq: seq, timestampMillis: timestampMillis))
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
}
