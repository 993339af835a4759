/// The rooms an identity may join and publish to (docs/PROTOCOL.md, "Identity"): the claim
/// `"rooms": {"join": ["lobby", "team-*"], "publish": ["lobby"]}`. A pattern is a room name, or
/// a prefix ending in `*` (`*` alone: every room). A list left out allows every room; an empty
/// list allows none. The default room is joined by everyone named; publishing there is checked.
public struct RoomPermissions: Sendable, Equatable, Codable {
    public let join: [String]?
    public let publish: [String]?

    public static let unrestricted = RoomPermissions(join: nil, publish: nil)

    public init(join: [String]?, publish: [String]?) {
        self.join = join
        self.publish = publish
    }

    public func mayJoin(_ room: String) -> Bool { Self.allows(join, room) }
    public func mayPublish(_ room: String) -> Bool { Self.allows(publish, room) }

    private static func allows(_ patterns: [String]?, _ room: String) -> Bool {
        guard let patterns else { return true }
        return patterns.contains { pattern in
            if pattern.hasSuffix("*") { return room.hasPrefix(pattern.dropLast()) }
            return pattern == room
        }
    }
}
