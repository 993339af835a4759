import ParleyProtocol

/// The route checks that need no room state, and the errors the room answers with, worded once.
enum RouteChecks {
    /// A message's text: present, a string, not empty (its length is checked later, after the
    /// room's name: docs/PROTOCOL.md's check order).
    static func messageText(_ frame: InboundFrame, action: String) throws(ProtocolError) -> String {
        let text = try frame.requiredString(ActionName.Field.message).get()
        if text.unicodeScalars.isEmpty { throw ProtocolError(.invalidField, "\"message\" is empty", action: action) }
        return text
    }

    /// At most `maximumScalars` Unicode scalars (never trimmed).
    static func messageLength(_ text: String, action: String, maximumScalars: Int) throws(ProtocolError) {
        let length = text.unicodeScalars.count
        if length > maximumScalars {
            throw ProtocolError(
                .messageTooLong, "the message has \(length) characters; at most \(maximumScalars) are allowed", action: action)
        }
    }

    /// The `room` a frame names: nil when it names none (`sendPublic`: the default room).
    static func optionalRoom(_ frame: InboundFrame, action: String) throws(ProtocolError) -> String? {
        try frame.optionalString(ActionName.Field.room).get()
    }

    static func room(_ raw: String, action: String) throws(ProtocolError) -> RoomName {
        try RoomName(validating: raw, action: action)
    }

    static func notInRoom(_ room: RoomName, action: String) -> ProtocolError {
        ProtocolError(.notInRoom, "you are not in the room \"\(room.text)\"; join it first", action: action)
    }

    static func tooManyRooms(_ limit: Int) -> ProtocolError {
        ProtocolError(.tooManyRooms, "a connection may be in at most \(limit) rooms; leave one first", action: ActionName.join)
    }

    static func roomFull(_ room: RoomName, limit: Int) -> ProtocolError {
        ProtocolError(.roomFull, "the room \"\(room.text)\" has \(limit) members, its limit", action: ActionName.join)
    }

    static func defaultRoomHoldsEveryone(_ action: String) -> ProtocolError {
        ProtocolError(
            .unavailable, "on a cluster node the default room holds every named connection: it cannot be joined or left",
            action: action)
    }

    /// A name, validated by the naming rules (docs/PROTOCOL.md, "Names and messages").
    static func name(_ frame: InboundFrame) -> Result<ChatName, ProtocolError> {
        frame.requiredString(ActionName.Field.name).flatMap { raw in
            Result<ChatName, ProtocolError> { () throws(ProtocolError) in try ChatName(validating: raw) }
        }
    }

    static func nameTaken(_ name: ChatName) -> ProtocolError {
        ProtocolError(.nameTaken, "\"\(name.display)\" is taken", action: ActionName.setName)
    }

    static func notNamed(_ action: String) -> ProtocolError {
        let doing = action == ActionName.join ? "joining a room" : "sending"
        return ProtocolError(.notNamed, "set a name with setName before \(doing)", action: action)
    }

    /// The identity's `rooms.publish` claim does not name the room (nil: the default room).
    static func forbiddenToPublish(_ room: RoomName?) -> ProtocolError {
        let place = room.map { "room \"\($0.text)\"" } ?? "the default room"
        return ProtocolError(.forbidden, "your token does not allow publishing in \(place)", action: ActionName.sendPublic)
    }

    /// The identity's `rooms.join` claim does not name the room.
    static func forbiddenToJoin(_ room: RoomName) -> ProtocolError {
        ProtocolError(.forbidden, "your token does not allow joining room \"\(room.text)\"", action: ActionName.join)
    }

    /// A `setName` to a name that is not the identity's own (and no other user's).
    static func forbiddenName(_ own: String) -> ProtocolError {
        ProtocolError(.forbidden, "your token names you \"\(own)\"", action: ActionName.setName)
    }

    static func rateLimited(_ action: String) -> ProtocolError {
        ProtocolError(.rateLimited, "too many messages; slow down", action: action)
    }

    static func unknownRecipient(_ to: String) -> ProtocolError {
        ProtocolError(.unknownRecipient, "nobody is called \"\(to)\"", action: ActionName.sendPrivate)
    }
}
