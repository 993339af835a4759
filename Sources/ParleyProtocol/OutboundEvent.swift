/// The events Parley sends, one JSON object per frame. The first key of each is the tutorial's
/// (its client tests `members`, `publicMessage`, `privateMessage`, `systemMessage` in that order);
/// Parley's structured fields follow and old clients ignore them.
public enum OutboundEvent: Sendable, Equatable {
    case members([String])
    case systemMessage(String)
    case publicMessage(from: String, text: String, seq: UInt64, timestampMillis: Int64)
    case privateMessage(from: String, text: String, seq: UInt64, timestampMillis: Int64)
    case joined(String)
    case left(String)
    case renamed(from: String, to: String)
    case error(ProtocolError)
    /// A resume is complete: the public messages `from`…`to` were replayed (none when `from` >
    /// `to`); `epoch` names the history to resume with next time.
    case resumed(from: UInt64, to: UInt64, epoch: String)
    /// A resume cannot be complete: `reason` is `epoch` (another history: the room restarted),
    /// `expired` (the gap is older than the history) or `unavailable` (this gateway keeps none);
    /// `oldest` is the oldest `seq` still held.
    case resumeFailed(reason: String, oldest: UInt64, epoch: String)
    /// The connection's token ran out without a `refresh`; a close 4001 follows.
    case tokenExpired(atMillis: Int64)
    /// A `refresh` was accepted: the connection now lasts until `expiresAt` (Unix ms; nil: no end).
    case tokenRefreshed(expiresAtMillis: Int64?)

    /// Serializes the event; done once per broadcast, whatever the number of recipients. `room`
    /// names the room it belongs to, as a last top-level key `"room":"R"`; nil (the default room,
    /// and events of no room) writes exactly the tutorial's bytes.
    public func encode(room: RoomName? = nil) -> Payload {
        var json = JSONWriter()
        switch self {
        case .members(let names):
            json.raw("{\"members\":")
            json.stringArray(names)
            json.raw("}")
        case .systemMessage(let text):
            json.raw("{\"systemMessage\":")
            json.string(text)
            json.raw("}")
        case .publicMessage(let from, let text, let seq, let ts):
            json.raw("{\"publicMessage\":")
            Self.writeChatBody(&json, from: from, text: text, seq: seq, ts: ts)
        case .privateMessage(let from, let text, let seq, let ts):
            json.raw("{\"privateMessage\":")
            Self.writeChatBody(&json, from: from, text: text, seq: seq, ts: ts)
        case .joined(let name):
            json.raw("{\"joined\":")
            json.string(name)
            json.raw("}")
        case .left(let name):
            json.raw("{\"left\":")
            json.string(name)
            json.raw("}")
        case .renamed(let from, let to):
            json.raw("{\"renamed\":{\"from\":")
            json.string(from)
            json.raw(",\"to\":")
            json.string(to)
            json.raw("}}")
        case .resumed(let from, let to, let epoch):
            json.raw("{\"resumed\":{\"from\":")
            json.integer(from)
            json.raw(",\"to\":")
            json.integer(to)
            json.raw(",\"epoch\":")
            json.string(epoch)
            json.raw("}}")
        case .resumeFailed(let reason, let oldest, let epoch):
            json.raw("{\"resumeFailed\":{\"reason\":")
            json.string(reason)
            json.raw(",\"oldest\":")
            json.integer(oldest)
            json.raw(",\"epoch\":")
            json.string(epoch)
            json.raw("}}")
        case .tokenExpired(let at):
            json.raw("{\"tokenExpired\":{\"at\":")
            json.integer(at)
            json.raw("}}")
        case .tokenRefreshed(let expiresAt):
            json.raw("{\"tokenRefreshed\":{\"expiresAt\":")
            if let expiresAt { json.integer(expiresAt) } else { json.raw("null") }
            json.raw("}}")
        case .error(let error):
            json.raw("{\"error\":{\"code\":")
            json.string(error.code.rawValue)
            json.raw(",\"message\":")
            json.string(error.message)
            json.raw(",\"action\":")
            json.optionalString(error.action)
            json.raw("}}")
        }
        if let room { json.closeWithRoom(room.text) }
        return Payload(bytes: json.bytes)
    }

    private static func writeChatBody(_ json: inout JSONWriter, from: String, text: String, seq: UInt64, ts: Int64) {
        json.string(from + ": " + text)
        json.raw(",\"from\":")
        json.string(from)
        json.raw(",\"text\":")
        json.string(text)
        json.raw(",\"seq\":")
        json.integer(seq)
        json.raw(",\"ts\":")
        json.integer(ts)
        json.raw("}")
    }
}

/// The system texts of the tutorial, and Parley's rename and large-room notices.
public enum SystemText {
    public static func joined(_ name: String) -> String { "\(name) has joined the chat" }
    public static func left(_ name: String) -> String { "\(name) has left the chat" }
    public static func renamed(from: String, to: String) -> String { "\(from) is now known as \(to)" }
    public static func membersOnline(_ count: Int) -> String { "\(count) members online" }
}
