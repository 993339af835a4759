/// The `error.code` values of docs/PROTOCOL.md, in the order the checks run.
public enum ErrorCode: String, Sendable, CaseIterable {
    case invalidJSON = "invalid_json"
    case unknownAction = "unknown_action"
    case invalidField = "invalid_field"
    case invalidName = "invalid_name"
    /// A room name outside `[A-Za-z0-9_.-]{1,64}`.
    case invalidRoom = "invalid_room"
    case messageTooLong = "message_too_long"
    case notNamed = "not_named"
    /// `sendPublic` or `leave` naming a room the connection is not in.
    case notInRoom = "not_in_room"
    case nameTaken = "name_taken"
    case unknownRecipient = "unknown_recipient"
    /// A `join` past `--max-rooms-per-connection`.
    case tooManyRooms = "too_many_rooms"
    /// A `join` to a room holding `--max-room-members` already.
    case roomFull = "room_full"
    /// The connection's identity may not do this: a `setName` to a name its token does not
    /// give, a `join` or `sendPublic` to a room its claims do not allow, a `refresh` with a token
    /// that was refused.
    case forbidden = "forbidden"
    case rateLimited = "rate_limited"
    /// A cluster node cannot reach the shared database: a name cannot be claimed, or a private
    /// message cannot reach another node, until it is back (Parley's addition; single-node
    /// gateways never send it).
    case unavailable = "unavailable"
}

/// One error answer: code, human text, and the action of the frame that caused it (nil when the
/// frame had no string `action`).
public struct ProtocolError: Error, Sendable, Equatable {
    public var code: ErrorCode
    public var message: String
    public var action: String?

    public init(_ code: ErrorCode, _ message: String, action: String?) {
        self.code = code
        self.message = message
        self.action = action
    }
}
