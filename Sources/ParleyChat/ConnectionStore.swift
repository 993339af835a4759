import ParleyProtocol

/// One connection as the chat sees it.
public struct ChatMember: Sendable, Equatable {
    public let id: ConnectionID
    public let feed: PresenceFeed
    public var name: ChatName?
    /// The recipient's own counter for private messages (PROTOCOL.md: starts at 1).
    public var privateSeq: UInt64 = 0
}

/// The result of claiming a name.
public enum NameClaim: Sendable, Equatable {
    case joined
    case renamed(from: String)
    case unchanged
    case taken
}

/// Who is connected, under which name (the managed API's connections table). The handler keeps
/// no other state about connections, so another store (a shared database) can take its place.
public protocol ConnectionStore: Sendable {
    mutating func add(_ id: ConnectionID, feed: PresenceFeed)
    /// Removes the connection and returns what it was.
    mutating func remove(_ id: ConnectionID) -> ChatMember?
    func member(_ id: ConnectionID) -> ChatMember?
    /// The named member whose folded name is `key`.
    func member(namedKey key: String) -> ChatMember?
    /// Gives `name` to `id` unless another connection holds it (case-insensitively).
    mutating func claim(_ name: ChatName, for id: ConnectionID) -> NameClaim
    mutating func nextPrivateSeq(for id: ConnectionID) -> UInt64
    /// Named members in join order (a rename keeps its place).
    var namedIDs: MemberIDs { get }
    var namedDisplayNames: [String] { get }
    var namedCount: Int { get }
    /// Named members with the given presence feed, in join order.
    func namedIDs(feed: PresenceFeed) -> [ConnectionID]
}
