/// A room's name (docs/PROTOCOL.md, "Rooms"): 1–64 characters from `[A-Za-z0-9_.-]`, compared
/// exactly (case-sensitive). ASCII only, so it goes into JSON, a NOTIFY channel's payload and a
/// probe client's frame without escaping.
public struct RoomName: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    public static let maximumLength = 64

    public init(validating raw: String, action: String?) throws(ProtocolError) {
        let bytes = raw.utf8
        guard (1...Self.maximumLength).contains(bytes.count), bytes.allSatisfy(Self.isAllowed) else {
            throw ProtocolError(
                .invalidRoom,
                "a room is 1-\(Self.maximumLength) characters from A-Z a-z 0-9 _ . -, got \"\(raw.prefix(70))\"",
                action: action)
        }
        text = raw
    }

    public var description: String { text }

    /// The default room's default name (`--default-room`).
    public static let lobby = try! RoomName(validating: "lobby", action: nil)

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F, 0x2E, 0x2D: true
        default: false
        }
    }
}
