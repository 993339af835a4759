import ParleyProtocol

/// What a verified identity changes in the directory (docs/PROTOCOL.md, "Identity"): the name
/// is the identity's, never another user's, online or not; a user's further sockets are tabs of
/// one member; a private message to the name reaches every tab.
extension Directory {
    /// Judges a `setName` by an identified connection. Returns the connection holding the name
    /// when `id` is another socket of the same user (it becomes a tab), nil when `id` may take
    /// the name itself; throws `forbidden` for a name not its own and `name_taken` for one that
    /// is, or was, another user's.
    func identifiedName(_ name: ChatName, _ identity: ConnectionIdentity, for id: ConnectionID) throws(ProtocolError) -> ConnectionID? {
        let reserved = reservedBy[name.key]
        if let reserved, reserved != identity.user { throw RouteChecks.nameTaken(name) }
        guard let own = try? ChatName(validating: identity.name), own.key == name.key else {
            if let owner = idByKey[name.key], entries[owner]?.identity?.user != identity.user { throw RouteChecks.nameTaken(name) }
            throw RouteChecks.forbiddenName(identity.name)
        }
        guard let owner = idByKey[name.key], owner != id, tabHolder[id] != owner else { return nil }
        guard let holder = entries[owner], holder.identity?.user == identity.user else { throw RouteChecks.nameTaken(name) }
        // In a cluster the name is held by one socket cluster-wide (the database's connections
        // table); a second socket of the same user is refused there, not made a tab.
        guard !decidedElsewhere, holder.isLocal else { throw RouteChecks.nameTaken(name) }
        return owner
    }

    /// `id` is another socket of `holder`'s user: it joins the default room as a tab (heard,
    /// not announced) and takes the user's name without a claim.
    mutating func applyTab(_ id: ConnectionID, of holder: ConnectionID, _ name: ChatName, rooms: RoomTable) -> Outcome {
        guard var entry = entries[id], entry.name == nil else { return Outcome() }
        entry.name = name
        tabs[holder, default: []].append(id)
        tabHolder[id] = holder
        var outcome = Outcome()
        if entry.joinsDefaultRoom {
            entry.rooms.insert(rooms.defaultName)
            let resume = entry.defaultRoomResume
            entry.defaultRoomResume = nil
            let grant = MemberGrant(entry.identity, in: rooms.defaultName)
            let feed = entry.feed
            outcome.add(rooms.defaultRoom, rooms.defaultRoom.change { $0.join(id, name: name, feed: feed, resume: resume, grant: grant) })
        }
        entries[id] = entry
        return outcome
    }

    /// `id`, which held or shared a name, is gone: a tab leaves its holder's list; a holder
    /// hands the name to its first tab. True when the name is free now.
    mutating func releaseName(_ name: ChatName, heldBy id: ConnectionID) -> Bool {
        if let holder = tabHolder.removeValue(forKey: id) {
            tabs[holder]?.removeAll { $0 == id }
            if tabs[holder]?.isEmpty == true { tabs.removeValue(forKey: holder) }
            return false
        }
        guard idByKey[name.key] == id else { return false }
        guard var rest = tabs.removeValue(forKey: id), !rest.isEmpty else {
            idByKey.removeValue(forKey: name.key)
            return true
        }
        let heir = rest.removeFirst()
        tabHolder.removeValue(forKey: heir)
        idByKey[name.key] = heir
        if !rest.isEmpty {
            tabs[heir] = rest
            for tab in rest { tabHolder[tab] = heir }
        }
        return false
    }

    /// The sockets a private message to `id`'s name goes to: the holder and its tabs.
    func sockets(of id: ConnectionID) -> [ConnectionID] {
        [id] + (tabs[id] ?? [])
    }
}
