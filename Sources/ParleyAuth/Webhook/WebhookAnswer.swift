import Foundation
import ParleyProtocol

/// The webhook's answer: `{"allow": true, "user": "u1", "name": "Alice", "rooms": {...},
/// "expiresAt": 1767225600}` (seconds; optional), or `{"allow": false}`. HTTP 401 and 403 are a
/// deny too; any other status, or a body that is not one of these, counts as unreachable.
struct WebhookAnswer: Decodable {
    let allow: Bool
    let user: String?
    let name: String?
    let rooms: RoomPermissions?
    let expiresAt: Double?

    static func judge(status: Int, body: [UInt8]) -> AuthorizationOutcome {
        if status == 401 || status == 403 { return .refused(.denied) }
        guard status == 200, let answer = try? JSONDecoder().decode(WebhookAnswer.self, from: Data(body)) else {
            return .refused(.unreachable)
        }
        guard answer.allow else { return .refused(.denied) }
        guard let user = answer.user, !user.isEmpty, (try? ChatName(validating: answer.name ?? user)) != nil else {
            return .refused(.unreachable)
        }
        let expiry = answer.expiresAt.map { Int64(($0 * 1000).rounded()) }
        return .allowed(ConnectionIdentity(user: user, name: answer.name, rooms: answer.rooms ?? .unrestricted, expiresAtMillis: expiry))
    }
}
