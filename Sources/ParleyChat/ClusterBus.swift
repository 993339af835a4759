import ParleyProtocol

/// The room's shared log when several gateway nodes serve one room (docs/ARCHITECTURE.md, "Cluster").
/// A node's handler checks a frame against its replica of the room and submits a command; the
/// bus decides it once for the whole cluster (a name is claimed or refused, a public message gets
/// its `seq`) and hands the resulting event to every node's handler, in one order everywhere.
/// A single gateway has no bus: its handler decides and applies at once.
public protocol ClusterBus: Sendable {
    /// Connects the bus to this node's room; called once, by the handler's initializer.
    func attach(_ room: any ClusterRoom)
    /// Queues a command; commands from one node are decided in the order they were submitted.
    func submit(_ command: RoomCommand)
}

/// What a node's handler offers the bus.
public protocol ClusterRoom: AnyObject, Sendable {
    /// One decided event, on every node, in the cluster's order.
    func apply(_ event: RoomEvent)
    /// A command refused by the cluster (a name taken on another node, the database unreachable);
    /// the error goes to the command's requester.
    func refuse(_ command: RoomCommand, because error: ProtocolError)
    /// The whole room as the database holds it, after (re)connecting: replaces the replica.
    func resynchronize(named: [(id: ConnectionID, name: ChatName)])
    /// This node's named members, to register again after the database came back.
    func localNamedMembers() -> [(id: ConnectionID, name: ChatName)]
    /// The last public `seq` this node applied in `room` (nil: the default room), or nil when it
    /// has none yet to catch up from (the room is new here, or not held).
    func appliedSeq(in room: RoomName?) -> UInt64?
    /// The history (epoch) `appliedSeq(in:)` counts in; nil likewise.
    func appliedEpoch(in room: RoomName?) -> String?
    /// What the room's history holds after `appliedSeq(in:)`, read after (re)connecting or
    /// (re)watching: the messages this node missed while it was cut off, applied in order — or,
    /// the first time, where the room stands.
    func catchUp(in room: RoomName?, with history: HistorySnapshot)
    /// The answer to a `.resume` command: what the cluster's history holds after the member's
    /// `since` (nil: the history could not be read).
    func finishResume(_ id: ConnectionID, with history: HistorySnapshot?)

    // Named rooms: a node receives only the rooms it has members in ("watches" them).

    /// A watched room's members as the cluster holds them, after (re)watching it: replaces the
    /// room's replica (its local members keep their state).
    func resynchronize(room: RoomName, named: [(id: ConnectionID, name: ChatName)])
    /// This node's members of named rooms, to register again after the database came back (and
    /// the rooms to watch again).
    func localRoomMemberships() -> [(id: ConnectionID, room: RoomName, name: ChatName)]
    /// The answer to a `.roomResume` command.
    func finishResume(_ id: ConnectionID, in room: RoomName, with history: HistorySnapshot?)
}

/// What a node asks of the cluster.
public enum RoomCommand: Sendable, Equatable {
    /// `id` joins under `name`, or renames to it.
    case claim(ConnectionID, ChatName)
    /// `id` is gone (its socket closed).
    case leave(ConnectionID)
    case publicMessage(sender: ConnectionID, from: ChatName, text: String, timestampMillis: Int64)
    case privateMessage(sender: ConnectionID, to: ConnectionID, from: ChatName, text: String, timestampMillis: Int64)
    /// `id` joined and asks for the public messages it missed: read the cluster's history.
    case resume(ConnectionID, ResumeRequest)
    /// `id` (named `name`) joins a named room; the node watches the room first.
    case joinRoom(ConnectionID, RoomName, ChatName)
    /// `id` leaves a named room.
    case leaveRoom(ConnectionID, RoomName)
    /// A public message to a named room (the default room's is `publicMessage`).
    case roomMessage(RoomName, sender: ConnectionID, from: ChatName, text: String, timestampMillis: Int64)
    /// `id` joined a named room and asks for what it missed there.
    case roomResume(ConnectionID, RoomName, ResumeRequest)
    /// This node has no member left in the room: it stops receiving the room's events.
    /// `requester` is meaningless for it (nothing is refused to anyone).
    case unwatch(RoomName)

    /// The connection that asked: a refusal goes back to it.
    public var requester: ConnectionID {
        switch self {
        case .claim(let id, _), .leave(let id), .resume(let id, _), .joinRoom(let id, _, _), .leaveRoom(let id, _),
            .roomResume(let id, _, _):
            id
        case .publicMessage(let sender, _, _, _), .privateMessage(let sender, _, _, _, _), .roomMessage(_, let sender, _, _, _): sender
        case .unwatch: ConnectionID(rawValue: 0)
        }
    }
}

/// What the cluster decided, as every node applies it.
public enum RoomEvent: Sendable, Equatable {
    /// `id` now has `name` (a join, or a rename when it had one).
    case named(ConnectionID, ChatName)
    case left(ConnectionID)
    case publicMessage(from: String, text: String, seq: UInt64, timestampMillis: Int64)
    case privateMessage(to: ConnectionID, from: String, text: String, timestampMillis: Int64)
    /// `id`, named `name`, is in a named room.
    case joinedRoom(ConnectionID, RoomName, ChatName)
    case leftRoom(ConnectionID, RoomName)
    /// A named room's public message, numbered in that room.
    case roomMessage(RoomName, from: String, text: String, seq: UInt64, timestampMillis: Int64)
}
