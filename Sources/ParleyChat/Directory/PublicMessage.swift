import ParleyProtocol

/// A `sendPublic` frame, checked in docs/PROTOCOL.md's order as far as it can be without the
/// room: the fields, the room's name, the text's length. The room checks membership.
struct PublicMessage: Sendable {
    let text: String
    let room: RoomName

    init(_ frame: InboundFrame, maximumScalars: Int, defaultRoom: RoomName) throws(ProtocolError) {
        let action = ActionName.sendPublic
        let raw = try RouteChecks.optionalRoom(frame, action: action)
        let text = try RouteChecks.messageText(frame, action: action)
        let room = try raw.map { raw throws(ProtocolError) in try RouteChecks.room(raw, action: action) } ?? defaultRoom
        try RouteChecks.messageLength(text, action: action, maximumScalars: maximumScalars)
        self.text = text
        self.room = room
    }
}
