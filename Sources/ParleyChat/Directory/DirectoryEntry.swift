import ParleyProtocol

/// One connection as the node's directory knows it: its feed, its name, its rooms. In a cluster
/// the directory also holds every other node's named connections (`isLocal == false`): names are
/// unique across the cluster and a private message finds its recipient by name.
struct DirectoryEntry: Sendable {
    let feed: PresenceFeed
    var name: ChatName?
    /// Held by this node (posts reach it); false for another node's connection, and for a local
    /// one whose socket is gone but whose leave the cluster has not decided yet.
    var isLocal: Bool
    /// The rooms it is in (the default room too, once joined).
    var rooms: Set<RoomName> = []
    /// Joins the default room at its first name (false with `?rooms=none`).
    var joinsDefaultRoom: Bool
    /// What it asked on the URL to resume in the default room, answered at that join.
    var defaultRoomResume: Result<ResumeRequest, ProtocolError>?
    /// The recipient's own counter for private messages (docs/PROTOCOL.md: starts at 1).
    var privateSeq: UInt64 = 0
    /// Who the authorizer said this is (nil with `--auth none`, and for another node's).
    var identity: ConnectionIdentity? = nil

    static func remote(named name: ChatName, in room: RoomName) -> DirectoryEntry {
        DirectoryEntry(feed: .none, name: name, isLocal: false, rooms: [room], joinsDefaultRoom: true)
    }
}
