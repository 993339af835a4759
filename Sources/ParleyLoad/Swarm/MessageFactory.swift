import NIOCore
import ParleyProtocol

/// Builds each publisher's frame around its probe token: the text is the token, a space, and
/// padding up to the scenario's size; wrapped as Parley's `sendPublic`/`sendPrivate`, or put into
/// the raw template's `{token}`.
struct MessageFactory: Sendable {
    let kind: Scenario.MessageKind
    let size: Int
    let rawPrefix: [UInt8]
    let rawSuffix: [UInt8]
    /// The name a client gets from `hello`, by index (for private recipients).
    let nameTemplate: String?

    init(scenario: Scenario) {
        kind = scenario.message.kind
        size = scenario.message.size
        let template = scenario.message.template ?? "{token}"
        let parts = template.components(separatedBy: "{token}")
        rawPrefix = Array(parts[0].utf8)
        rawSuffix = Array(parts.dropFirst().joined(separator: "{token}").utf8)
        nameTemplate = scenario.hello.flatMap(Self.nameTemplate(inHello:))
    }

    /// The `name` value of a setName hello, with `{i}` still in it.
    static func nameTemplate(inHello hello: String) -> String? {
        guard let frame = InboundFrame.parse(Array(hello.utf8)), case .string(let name) = frame.fields["name"] else {
            return nil
        }
        return name
    }

    func name(of client: Int) -> String? {
        nameTemplate?.replacingOccurrences(of: "{i}", with: String(client))
    }

    /// `room`: a room scenario's room for a public message (nil: the server's default room).
    func frame(token: ProbeToken, recipient: Int?, room: Int? = nil, allocator: ByteBufferAllocator) -> ByteBuffer {
        let tokenText = token.text
        var buffer = allocator.buffer(capacity: size + 96)
        // A recipient makes a private message whatever the kind (a room run's private share).
        let kind = recipient != nil && self.kind == .public ? .private : self.kind
        switch kind {
        case .public:
            if let room {
                buffer.writeString(#"{"action":"sendPublic","room":""#)
                buffer.writeString(ScenarioRooms.name(room))
                buffer.writeString(#"","message":""#)
            } else {
                buffer.writeString(#"{"action":"sendPublic","message":""#)
            }
        case .private:
            buffer.writeString(#"{"action":"sendPrivate","to":""#)
            buffer.writeString(recipient.flatMap(name(of:)) ?? "")
            buffer.writeString(#"","message":""#)
        case .raw:
            buffer.writeBytes(rawPrefix)
        }
        buffer.writeString(tokenText)
        let padding = size - tokenText.utf8.count - 1
        if padding >= 0 {
            buffer.writeInteger(UInt8(ascii: " "))
            buffer.writeRepeatingByte(UInt8(ascii: "x"), count: padding)
        }
        switch kind {
        case .public, .private: buffer.writeString(#""}"#)
        case .raw: buffer.writeBytes(rawSuffix)
        }
        return buffer
    }
}
