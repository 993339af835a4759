import ParleyProtocol

/// What the room asks of the world after a change: the `Room` value decides, and only
/// its `Serialized` cell performs, after the lock is released, in this order.
public enum RoomEffect: Sendable {
    /// One payload to one connection.
    case post(Payload, to: ConnectionID)
    /// The fan-out: one payload to many connections, framed once by the gateway.
    case broadcast(Payload, to: MemberIDs)
    /// A payload to a list of connections (presence batches, grouped by what each has heard).
    case postToEach(Payload, to: [ConnectionID])
    /// An `error` event to the connection that caused it.
    case error(ProtocolError, to: ConnectionID)
    /// A command for the cluster's bus to decide (never produced on a single node: there the
    /// room's in-process decider settles it before the lock is released).
    case submit(RoomCommand)
    /// Wake the room with `timer` after `delay`.
    case schedule(after: Duration, RoomTimer)
    /// Something an operator should hear about; the room itself keeps no logger.
    case warning(String)
}

/// The room's timers: what it wants to be woken for.
public enum RoomTimer: Sendable, Equatable {
    /// A presence coalescing window ended.
    case flushPresence
    /// The "N members online" notice may be due.
    case membersOnline
    /// An empty room's history reached its TTL: the room may be forgotten.
    case forgetIfEmpty
}
