import ParleyProtocol

/// The route checks that need no room state, and the errors the room answers with, worded once.
enum RouteChecks {
    /// A message's text: present, a string, 1…`maximumScalars` Unicode scalars (not trimmed).
    static func message(_ frame: InboundFrame, action: String, maximumScalars: Int) -> Result<String, ProtocolError> {
        frame.requiredString(ActionName.Field.message).flatMap { text in
            let length = text.unicodeScalars.count
            if length == 0 {
                return .failure(ProtocolError(.invalidField, "\"message\" is empty", action: action))
            }
            if length > maximumScalars {
                return .failure(
                    ProtocolError(
                        .messageTooLong, "the message has \(length) characters; at most \(maximumScalars) are allowed",
                        action: action))
            }
            return .success(text)
        }
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
        ProtocolError(.notNamed, "set a name with setName before sending", action: action)
    }

    static func rateLimited(_ action: String) -> ProtocolError {
        ProtocolError(.rateLimited, "too many messages; slow down", action: action)
    }

    static func unknownRecipient(_ to: String) -> ProtocolError {
        ProtocolError(.unknownRecipient, "nobody is called \"\(to)\"", action: ActionName.sendPrivate)
    }
}
