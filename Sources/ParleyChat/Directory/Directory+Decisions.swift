import ParleyProtocol

/// The directory's side of decide → apply: what a decision (a `RoomEvent` from this node or from
/// the cluster's database) or a refusal changes, and a whole resynchronization after the
/// database came back. The same code whoever decided (docs/ARCHITECTURE.md, "Rooms: the
/// directory, the rooms, decide, apply, effects").
extension Directory {
    /// A decided event about a connection, the same way on every node.
    mutating func apply(_ event: RoomEvent, rooms: RoomTable) -> Outcome {
        switch event {
        case .named(let id, let name):
            let outcome = applyNamed(id, name, rooms: rooms)
            claiming.remove(id)
            return outcome.merged(with: releaseParked(id, rooms: rooms))
        case .joinedRoom(let id, let roomName, let name):
            if let entry = entries[id], entry.isLocal, let resume = joining[id]?.removeValue(forKey: roomName) {
                let cell = rooms.cellCreating(roomName)
                let grant = MemberGrant(entry.identity, in: roomName)
                var outcome = Outcome()
                outcome.add(cell, cell.change { $0.join(id, name: name, feed: entry.feed, resume: resume, grant: grant) })
                return outcome.merged(with: releaseParked(id, rooms: rooms))
            }
            // Another node's member (a member of ours is in the room already: a re-registration).
            guard entries[id]?.isLocal != true, let cell = rooms.cell(roomName) else { return Outcome() }
            var outcome = Outcome()
            outcome.add(cell, cell.change { $0.join(id, name: name, feed: nil) })
            return outcome
        case .leftRoom(let id, let roomName):
            guard let cell = rooms.cell(roomName) else { return Outcome() }
            return leaving(cell, id, roomName, rooms: rooms)
        case .roomMessage:
            return Outcome()
        case .left(let id):
            if let entry = entries[id], entry.isLocal, let name = entry.name {
                // The cluster took this node for dead and reaped a member that is still here:
                // it stays, and is registered again.
                return Outcome(effects: [.submit(.claim(id, name))])
            }
            return applyLeft(id, rooms: rooms)
        case .privateMessage(let to, let from, let text, let timestampMillis):
            return Outcome(effects: deliverPrivate(to: to, from: from, text: text, timestampMillis: timestampMillis))
        case .publicMessage:
            // A room's own event: the handler hands it to the room.
            return Outcome()
        }
    }

    /// Gives the name: the first one joins the default room (unless `?rooms=none`), another is a
    /// rename in every room the connection is in.
    mutating func applyNamed(_ id: ConnectionID, _ name: ChatName, rooms: RoomTable) -> Outcome {
        if let owner = idByKey[name.key], owner != id {
            // The decider checked the name; only a stale replica can disagree.
            return Outcome(effects: [.warning("replica disagrees with the cluster on the name \"\(name.display)\"")])
        }
        guard var entry = entries[id] else {
            // Another node's connection, seen for the first time: every named connection of a
            // cluster is in its default room.
            entries[id] = .remote(named: name, in: rooms.defaultName)
            idByKey[name.key] = id
            var outcome = Outcome()
            outcome.add(rooms.defaultRoom, rooms.defaultRoom.change { $0.join(id, name: name, feed: nil) })
            return outcome
        }
        let previous = entry.name
        if let previous { idByKey.removeValue(forKey: previous.key) }
        idByKey[name.key] = id
        entry.name = name
        if let user = entry.identity?.user { reservedBy[name.key] = user }
        var outcome = Outcome()
        if previous == nil, entry.joinsDefaultRoom {
            entry.rooms.insert(rooms.defaultName)
            let feed: PresenceFeed? = entry.isLocal ? entry.feed : nil
            let resume = entry.defaultRoomResume
            entry.defaultRoomResume = nil
            let grant = MemberGrant(entry.identity, in: rooms.defaultName)
            outcome.add(
                rooms.defaultRoom, rooms.defaultRoom.change { $0.join(id, name: name, feed: feed, resume: resume, grant: grant) })
        } else if previous != nil {
            // Another node's member is in this node's replicas of the rooms it is in, which its
            // entry here does not list: a rename in a cluster goes to every room held.
            let held = decidedElsewhere ? rooms.allCells : entry.rooms.compactMap { rooms.cell($0) }
            for cell in held { outcome.add(cell, cell.change { $0.rename(id, to: name) }) }
        }
        entries[id] = entry
        return outcome
    }

    /// A command the decider refused: the error to its requester, and a refused claim releases
    /// the frames parked behind it.
    mutating func refuse(_ command: RoomCommand, because error: ProtocolError, rooms: RoomTable) -> Outcome {
        let id = command.requester
        switch command {
        case .claim:
            claiming.remove(id)
            return Outcome(effects: [.error(error, to: id)]).merged(with: releaseParked(id, rooms: rooms))
        case .joinRoom(_, let roomName, _):
            joining[id]?.removeValue(forKey: roomName)
            entries[id]?.rooms.remove(roomName)
            var outcome = Outcome(effects: [.error(error, to: id)])
            if let cell = rooms.cell(roomName) { outcome = outcome.merged(with: leaving(cell, id, roomName, rooms: rooms)) }
            return outcome.merged(with: releaseParked(id, rooms: rooms))
        case .unwatch, .leave, .leaveRoom:
            return Outcome()
        default:
            return Outcome(effects: [.error(error, to: id)])
        }
    }

    /// The frames parked behind `id`'s decisions, once none is pending any more.
    private mutating func releaseParked(_ id: ConnectionID, rooms: RoomTable) -> Outcome {
        guard !claiming.contains(id), joining[id]?.isEmpty ?? true else { return Outcome() }
        joining.removeValue(forKey: id)
        var outcome = Outcome()
        for parkedEvent in parked.removeValue(forKey: id) ?? [] { outcome = outcome.merged(with: receive(parkedEvent, rooms: rooms)) }
        return outcome
    }

    /// This node's members of named rooms (to register again after the database came back).
    var localRoomMemberships: [(id: ConnectionID, room: RoomName, name: ChatName)] {
        entries.flatMap { id, entry -> [(id: ConnectionID, room: RoomName, name: ChatName)] in
            guard entry.isLocal, let name = entry.name else { return [] }
            return entry.rooms.filter { joining[id]?[$0] == nil }.map { (id, $0, name) }
        }
    }

    /// Every named connection as the cluster holds it, after (re)connecting: other nodes' are
    /// replaced by these, local ones keep their state, and the default room takes the same list.
    mutating func resynchronize(named: [(id: ConnectionID, name: ChatName)], rooms: RoomTable) -> Outcome {
        var kept = entries.filter { $0.value.isLocal }
        idByKey = [:]
        var placed = Set<ConnectionID>()
        for (id, name) in named where placed.insert(id).inserted {
            if kept[id] == nil { kept[id] = .remote(named: name, in: rooms.defaultName) } else { kept[id]!.name = name }
            idByKey[name.key] = id
        }
        // Local connections the snapshot did not know (named while it was taken) keep their names.
        for (id, entry) in kept where !placed.contains(id) {
            if let name = entry.name, idByKey[name.key] == nil { idByKey[name.key] = id }
        }
        entries = kept
        var outcome = Outcome()
        outcome.add(rooms.defaultRoom, rooms.defaultRoom.change { $0.resynchronize(named: named) })
        return outcome
    }

    mutating func applyLeft(_ id: ConnectionID, rooms: RoomTable) -> Outcome {
        guard let gone = entries.removeValue(forKey: id) else { return Outcome() }
        if let name = gone.name { _ = releaseName(name, heldBy: id) }
        var outcome = Outcome()
        for roomName in gone.rooms {
            guard let cell = rooms.cell(roomName) else { continue }
            outcome = outcome.merged(with: leaving(cell, id, roomName, rooms: rooms))
        }
        return outcome
    }

    /// To the name's holder and each of its user's tabs, each socket with its own counter.
    mutating func deliverPrivate(to id: ConnectionID, from: String, text: String, timestampMillis: Int64) -> [RoomEffect] {
        var effects: [RoomEffect] = []
        for socket in sockets(of: id) where entries[socket]?.isLocal == true {
            entries[socket]!.privateSeq += 1
            let seq = entries[socket]!.privateSeq
            effects.append(
                .post(OutboundEvent.privateMessage(from: from, text: text, seq: seq, timestampMillis: timestampMillis).encode(), to: socket)
            )
        }
        return effects
    }
}
