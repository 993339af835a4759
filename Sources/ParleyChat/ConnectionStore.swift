import ParleyProtocol

/// One connection as the chat sees it.
public struct ChatMember: Sendable, Equatable {
    public let id: ConnectionID
    public let feed: PresenceFeed
    public var name: ChatName?
    /// The recipient's own counter for private messages (docs/PROTOCOL.md: starts at 1).
    public var privateSeq: UInt64 = 0
    /// Held by this node (posts reach it); false for another node's member seen through the
    /// cluster, and for a local member whose socket is gone but whose leave is not yet applied.
    public var isLocal = true
    /// The identity's user (nil with `--auth none`): a second socket of the same user under the
    /// same name is one member with two sockets, not a second member (`NameClaim.tab`).
    public var user: String? = nil
    /// The identity's claims allow it to publish here (always, with `--auth none`).
    public var mayPublish = true
}

/// The result of claiming a name.
public enum NameClaim: Sendable, Equatable {
    case joined
    case renamed(from: String)
    case unchanged
    case taken
    /// Another socket of the member holding the name (same user): it hears what the member
    /// hears, and is neither listed nor announced.
    case tab
}

/// Who is connected, under which name (the managed API's connections table). The handler keeps
/// no other state about connections. In a cluster the store is this node's replica of the room:
/// its own connections plus every other node's named members, kept by the cluster's room log.
public protocol ConnectionStore: Sendable {
    mutating func add(_ id: ConnectionID, feed: PresenceFeed)
    /// Another node's connection (it has no feed here: nothing is posted to it from this node).
    mutating func addRemote(_ id: ConnectionID)
    /// A local connection whose socket is gone: nothing more is posted to it, but it stays in the
    /// room (its name, its place) until its leave is applied.
    mutating func detachLocal(_ id: ConnectionID)
    /// Removes the connection and returns what it was.
    mutating func remove(_ id: ConnectionID) -> ChatMember?
    func member(_ id: ConnectionID) -> ChatMember?
    /// The named member whose folded name is `key`.
    func member(namedKey key: String) -> ChatMember?
    /// Gives `name` to `id` unless another connection holds it (case-insensitively); when that
    /// connection is `user`'s too, `id` becomes its tab.
    mutating func claim(_ name: ChatName, for id: ConnectionID, user: String?) -> NameClaim
    mutating func nextPrivateSeq(for id: ConnectionID) -> UInt64
    /// This node's named members in join order (what a public message is posted to).
    var namedIDs: MemberIDs { get }
    /// Every named member of the room, on any node, in join order.
    var namedDisplayNames: [String] { get }
    var namedCount: Int { get }
    /// This node's named members with the given presence feed, in join order.
    func namedIDs(feed: PresenceFeed) -> [ConnectionID]
    /// Every named member of the room as the cluster knows it, in join order: other nodes'
    /// members are replaced by these; local ones keep their state (a snapshot after a reconnect).
    mutating func replaceRoom(with named: [(id: ConnectionID, name: ChatName)])
}
