import ParleyProtocol

/// The node's directory, as a value: who is connected, under which name, in which rooms, and
/// the frames parked behind a name claim. It answers the frames that are about the connection
/// rather than one room's traffic (`setName`, `join`, `leave`, `sendPrivate`) and turns them into
/// changes of the rooms it names, which it makes through each room's own cell while it holds its
/// own lock (lock order: directory, then a room; never the other way). Public messages skip it:
/// a room knows its members, so a `sendPublic` takes only its room's lock (`ChatHandler`).
///
/// Names are decided like a room's messages, decide → apply: at once here on a single node, by
/// the cluster's database otherwise (a `.submit` effect whose decision comes back as `apply`).
struct Directory: Sendable {
    /// What one call changed: effects for the directory's own queue (errors, private messages,
    /// commands) and the room drains the caller performs after the lock is released.
    struct Outcome: Sendable {
        var effects: [RoomEffect] = []
        var rooms: [(cell: RoomTable.Cell, drain: RoomTable.Cell.Drain)] = []

        mutating func add(_ cell: RoomTable.Cell, _ drain: RoomTable.Cell.Drain) { rooms.append((cell, drain)) }

        func merged(with other: Outcome) -> Outcome {
            Outcome(effects: effects + other.effects, rooms: rooms + other.rooms)
        }
    }

    // Not private: Directory+Decisions.swift applies decisions to the same state. Nothing
    // outside the directory's two files touches it.
    var entries: [ConnectionID: DirectoryEntry] = [:]
    var idByKey: [String: ConnectionID] = [:]
    /// Connections whose name is being decided, with the frames they sent meanwhile: those wait,
    /// so that a `sendPublic` right after `setName` is judged after the name.
    var parked: [ConnectionID: [MessageEvent]] = [:]
    /// Cluster only: connections whose name claim is being decided.
    var claiming: Set<ConnectionID> = []
    /// Cluster only: named rooms a connection asked to join, not decided yet, with the resume
    /// it asked for there. Its frames are parked meanwhile, as behind a claim.
    var joining: [ConnectionID: [RoomName: Result<ResumeRequest, ProtocolError>?]] = [:]
    /// A user's further sockets under the name their first holds (single node): holder → tabs,
    /// in the order they came. A private message to the name reaches all of them.
    var tabs: [ConnectionID: [ConnectionID]] = [:]
    var tabHolder: [ConnectionID: ConnectionID] = [:]
    /// Names given to identities, kept after their users go offline: with `--auth jwt|webhook`
    /// a name once a user's is never another user's (on this node).
    var reservedBy: [String: String] = [:]
    let decidedElsewhere: Bool
    let configuration: ChatConfiguration
    let clockMillis: @Sendable () -> Int64

    init(configuration: ChatConfiguration, decidedByCluster: Bool, clockMillis: @escaping @Sendable () -> Int64) {
        self.configuration = configuration
        self.decidedElsewhere = decidedByCluster
        self.clockMillis = clockMillis
    }

    var parkedCount: Int { parked.count }

    func name(of id: ConnectionID) -> ChatName? { entries[id]?.name }

    // MARK: connections

    mutating func connect(
        _ id: ConnectionID, feed: PresenceFeed, joinsDefaultRoom: Bool, resume: Result<ResumeRequest, ProtocolError>?,
        identity: ConnectionIdentity? = nil
    ) {
        entries[id] = DirectoryEntry(
            feed: feed, name: nil, isLocal: true, joinsDefaultRoom: joinsDefaultRoom, defaultRoomResume: resume,
            identity: identity)
    }

    /// A `refresh` was accepted: later joins are judged by `identity`'s rooms, and in the rooms
    /// it is in now, publishing is allowed or not as the new claims say.
    mutating func refreshIdentity(_ id: ConnectionID, to identity: ConnectionIdentity, rooms: RoomTable) {
        guard entries[id]?.identity != nil, let joined = entries[id]?.rooms else { return }
        entries[id]?.identity = identity
        for roomName in joined {
            guard let cell = rooms.cell(roomName) else { continue }
            _ = cell.change { room -> (effects: [RoomEffect], output: Void) in
                room.regrant(id, MemberGrant(identity, in: roomName))
                return ([], ())
            }
        }
    }

    mutating func disconnect(_ id: ConnectionID, rooms: RoomTable) -> Outcome {
        let wasClaiming = claiming.remove(id) != nil
        parked.removeValue(forKey: id)
        joining.removeValue(forKey: id)
        guard let entry = entries[id] else { return Outcome() }
        guard wasClaiming || entry.name != nil else {
            entries.removeValue(forKey: id)
            return Outcome()
        }
        if !decidedElsewhere { return applyLeft(id, rooms: rooms) }
        // The cluster keeps the name until the leave is decided, on every node alike.
        entries[id]?.isLocal = false
        var outcome = Outcome(effects: [.submit(.leave(id))])
        for name in entry.rooms {
            guard let cell = rooms.cell(name) else { continue }
            outcome = outcome.merged(with: leaving(cell, id, name, rooms: rooms, detachOnly: true))
        }
        return outcome
    }

    // MARK: frames

    mutating func receive(_ event: MessageEvent, rooms: RoomTable) -> Outcome {
        let id = event.connectionID
        if !parked.isEmpty, parked[id] != nil {
            parked[id]!.append(event)
            return Outcome()
        }
        do throws(ProtocolError) {
            switch event.selection {
            case .route(ActionName.setName, let frame): return try setName(frame, from: id, overRate: event.overRate, rooms: rooms)
            case .route(ActionName.sendPublic, let frame):
                let message = try PublicMessage(frame, maximumScalars: configuration.maximumMessageScalars, defaultRoom: rooms.defaultName)
                return try sendPublic(message, from: id, overRate: event.overRate, rooms: rooms)
            case .route(ActionName.sendPrivate, let frame): return try sendPrivate(frame, from: id, overRate: event.overRate)
            case .route(ActionName.join, let frame): return try join(frame, from: id, overRate: event.overRate, rooms: rooms)
            case .route(ActionName.leave, let frame): return try leave(frame, from: id, overRate: event.overRate, rooms: rooms)
            case .route(let action, _):
                throw ProtocolError(.unknownAction, "no route for action \"\(action)\"", action: action)
            case .invalidJSON, .unknownAction:
                guard let error = event.selection.defaultRouteError else { return Outcome() }
                throw error
            }
        } catch {
            // One frame, at most one error: the first check that failed.
            return Outcome(effects: [.error(error, to: id)])
        }
    }

    private mutating func setName(
        _ frame: InboundFrame, from id: ConnectionID, overRate: Bool, rooms: RoomTable
    ) throws(ProtocolError) -> Outcome {
        let name = try RouteChecks.name(frame).get()
        if let identity = entries[id]?.identity {
            if let tab = try identifiedName(name, identity, for: id) {
                if overRate { throw RouteChecks.rateLimited(ActionName.setName) }
                return applyTab(id, of: tab, name, rooms: rooms)
            }
        } else if let owner = idByKey[name.key], owner != id {
            throw RouteChecks.nameTaken(name)
        }
        if overRate { throw RouteChecks.rateLimited(ActionName.setName) }
        // Unchanged needs nobody's agreement.
        if entries[id]?.name?.display == name.display { return Outcome() }
        if decidedElsewhere {
            claiming.insert(id)
            if parked[id] == nil { parked[id] = [] }
            return Outcome(effects: [.submit(.claim(id, name))])
        }
        return applyNamed(id, name, rooms: rooms)
    }

    /// A public message through the directory: only for a connection whose frames are parked
    /// behind a claim, and to say why a room refused one (`ChatHandler` sends the rest straight
    /// to the room).
    mutating func sendPublic(
        _ message: PublicMessage, from id: ConnectionID, overRate: Bool, rooms: RoomTable
    ) throws(ProtocolError) -> Outcome {
        guard entries[id]?.name != nil else { throw RouteChecks.notNamed(ActionName.sendPublic) }
        guard let cell = rooms.cell(message.room) else { throw RouteChecks.notInRoom(message.room, action: ActionName.sendPublic) }
        let (drain, member) = cell.publish(from: id, text: message.text, timestampMillis: clockMillis(), overRate: overRate)
        guard member else { throw RouteChecks.notInRoom(message.room, action: ActionName.sendPublic) }
        var outcome = Outcome()
        outcome.add(cell, drain)
        return outcome
    }

    private mutating func sendPrivate(_ frame: InboundFrame, from id: ConnectionID, overRate: Bool) throws(ProtocolError) -> Outcome {
        let text = try RouteChecks.messageText(frame, action: ActionName.sendPrivate)
        let to = try frame.requiredString(ActionName.Field.to).get()
        try RouteChecks.messageLength(text, action: ActionName.sendPrivate, maximumScalars: configuration.maximumMessageScalars)
        guard let sender = entries[id]?.name else { throw RouteChecks.notNamed(ActionName.sendPrivate) }
        guard let recipient = idByKey[ChatName.foldedKey(to)], let entry = entries[recipient] else {
            throw RouteChecks.unknownRecipient(to)
        }
        if overRate { throw RouteChecks.rateLimited(ActionName.sendPrivate) }
        let now = clockMillis()
        // A recipient on this node needs nobody's agreement: only another node's goes through the bus.
        if entry.isLocal || !decidedElsewhere {
            return Outcome(effects: deliverPrivate(to: recipient, from: sender.display, text: text, timestampMillis: now))
        }
        return Outcome(effects: [.submit(.privateMessage(sender: id, to: recipient, from: sender, text: text, timestampMillis: now))])
    }

    private mutating func join(
        _ frame: InboundFrame, from id: ConnectionID, overRate: Bool, rooms: RoomTable
    ) throws(ProtocolError) -> Outcome {
        let raw = try frame.requiredString(ActionName.Field.room).get()
        let resume = ResumeRequest.parse(joining: frame)
        let roomName = try RouteChecks.room(raw, action: ActionName.join)
        guard let entry = entries[id], let name = entry.name else { throw RouteChecks.notNamed(ActionName.join) }
        if decidedElsewhere && roomName == rooms.defaultName { throw RouteChecks.defaultRoomHoldsEveryone(ActionName.join) }
        if let identity = entry.identity, !identity.rooms.mayJoin(roomName.text) { throw RouteChecks.forbiddenToJoin(roomName) }
        let grant = MemberGrant(entry.identity, in: roomName)
        // Joining a room one is in changes nothing.
        if entry.rooms.contains(roomName) { return Outcome() }
        let limit = configuration.maximumRoomsPerConnection
        if entry.rooms.count >= limit { throw RouteChecks.tooManyRooms(limit) }
        if overRate { throw RouteChecks.rateLimited(ActionName.join) }
        let cell = rooms.cellCreating(roomName)
        let maximumMembers = configuration.maximumRoomMembers
        if decidedElsewhere {
            // Judged against this node's replica: exact once the room is watched here.
            if let maximumMembers, cell.read({ $0.memberCount }) >= maximumMembers {
                throw RouteChecks.roomFull(roomName, limit: maximumMembers)
            }
            entries[id]?.rooms.insert(roomName)
            joining[id, default: [:]][roomName] = .some(resume)
            if parked[id] == nil { parked[id] = [] }
            return Outcome(effects: [.submit(.joinRoom(id, roomName, name))])
        }
        let (drain, joined) = cell.change { room -> (effects: [RoomEffect], output: Bool) in
            if let maximumMembers, room.memberCount >= maximumMembers { return ([], false) }
            return (room.join(id, name: name, feed: entry.feed, resume: resume, grant: grant), true)
        }
        guard joined else { throw RouteChecks.roomFull(roomName, limit: maximumMembers ?? 0) }
        entries[id]?.rooms.insert(roomName)
        var outcome = Outcome()
        outcome.add(cell, drain)
        return outcome
    }

    private mutating func leave(
        _ frame: InboundFrame, from id: ConnectionID, overRate: Bool, rooms: RoomTable
    ) throws(ProtocolError) -> Outcome {
        let raw = try frame.requiredString(ActionName.Field.room).get()
        let roomName = try RouteChecks.room(raw, action: ActionName.leave)
        guard let entry = entries[id], entry.name != nil else { throw RouteChecks.notNamed(ActionName.leave) }
        if decidedElsewhere && roomName == rooms.defaultName { throw RouteChecks.defaultRoomHoldsEveryone(ActionName.leave) }
        guard entry.rooms.contains(roomName), let cell = rooms.cell(roomName) else {
            throw RouteChecks.notInRoom(roomName, action: ActionName.leave)
        }
        if overRate { throw RouteChecks.rateLimited(ActionName.leave) }
        entries[id]?.rooms.remove(roomName)
        guard decidedElsewhere else { return leaving(cell, id, roomName, rooms: rooms) }
        // Nothing more reaches it from this room; its place goes when the cluster says so.
        return Outcome(effects: [.submit(.leaveRoom(id, roomName))])
            .merged(with: leaving(cell, id, roomName, rooms: rooms, detachOnly: true))
    }

    /// `id` leaves one room (or, `detachOnly`, stops hearing it while the cluster decides). On a
    /// single node a room left empty is forgotten now, or once its history expires; on a
    /// cluster node a named room left with no member here is forgotten and unwatched (its
    /// history is the database's).
    func leaving(
        _ cell: RoomTable.Cell, _ id: ConnectionID, _ roomName: RoomName, rooms: RoomTable, detachOnly: Bool = false
    ) -> Outcome {
        let now = clockMillis()
        let ttl = configuration.historyTTL
        let cluster = decidedElsewhere
        let stillJoining = joining.values.contains { $0[roomName] != nil }
        let (drain, forgetNow) = cell.change { room -> (effects: [RoomEffect], output: Bool) in
            var effects: [RoomEffect] = []
            if detachOnly { room.detach(id) } else { effects = room.leave(id) }
            guard room.name != nil else { return (effects, false) }
            if cluster { return (effects, !room.hasLocalMembers && !stillJoining) }
            guard room.isEmpty else { return (effects, false) }
            if !room.holdsHistory(nowMillis: now) { return (effects, true) }
            effects.append(.schedule(after: ttl, .forgetIfEmpty))
            return (effects, false)
        }
        var outcome = Outcome()
        outcome.add(cell, drain)
        if forgetNow {
            rooms.forget(roomName)
            if cluster { outcome.effects.append(.submit(.unwatch(roomName))) }
        }
        return outcome
    }

    /// An empty room whose history expired is forgotten (its `.forgetIfEmpty` timer fired).
    func forgetIfIdle(_ roomName: RoomName, rooms: RoomTable) {
        guard let cell = rooms.cell(roomName) else { return }
        let now = clockMillis()
        if cell.read({ $0.isEmpty && !$0.holdsHistory(nowMillis: now) }) { rooms.forget(roomName) }
    }
}
