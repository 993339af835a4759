import ParleyProtocol

/// The handler's rules that an operator may tune (docs/PROTOCOL.md's defaults).
public struct ChatConfiguration: Sendable {
    /// The room a client that names none is in, joined at its first `setName` (`--default-room`).
    public var defaultRoom: RoomName = .lobby
    /// Rooms one connection may be in at once, the default room included (`--max-rooms-per-connection`).
    public var maximumRoomsPerConnection: Int = 100
    /// Members a room may hold (`--max-room-members`); nil: no limit.
    public var maximumRoomMembers: Int? = nil
    /// Longest message text, in Unicode scalars.
    public var maximumMessageScalars: Int = 4096
    /// Membership changes within this window leave as one batch.
    public var presenceWindow: Duration = .milliseconds(100)
    /// Above this many named members, join/leave texts and full `members` lists stop.
    public var presenceLimit: Int = 1000
    /// How often, at most, `full` clients of a large room get "N members online".
    public var membersOnlineInterval: Duration = .seconds(5)
    /// Public messages kept for clients that resume (`--history-size`); 0 keeps none.
    public var historySize: Int = 500
    /// How long a public message stays resumable (`--history-ttl`).
    public var historyTTL: Duration = .seconds(600)

    public init() {}
}
