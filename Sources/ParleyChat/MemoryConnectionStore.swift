import ParleyProtocol

/// The embedded default store: one process, one room, all in memory. In a cluster it is also
/// each node's replica of the room (other nodes' members are kept with `isLocal == false`).
public struct MemoryConnectionStore: ConnectionStore {
    private var members: [ConnectionID: ChatMember] = [:]
    /// Every named member, in join order: member lists and counts.
    private var room = JoinOrder()
    /// This node's named members, in join order: the fan-out's recipients. On a single node it
    /// holds the same ids as `room`; a second order costs a little per join, not per broadcast.
    private var local = JoinOrder()
    private var idByKey: [String: ConnectionID] = [:]
    /// A user's further sockets under the name their first one holds: tab → holder, and each
    /// holder's tabs in the order they came (the first takes the name over when the holder goes).
    private var holderOfTab: [ConnectionID: ConnectionID] = [:]
    private var tabsOfHolder: [ConnectionID: [ConnectionID]] = [:]

    public init() {}

    public mutating func add(_ id: ConnectionID, feed: PresenceFeed) {
        members[id] = ChatMember(id: id, feed: feed)
    }

    /// Sets what the identity's claims allow `id` here.
    public mutating func grant(_ id: ConnectionID, user: String?, mayPublish: Bool) {
        members[id]?.user = user
        members[id]?.mayPublish = mayPublish
    }

    /// A member's further socket (not listed, not announced).
    public func isTab(_ id: ConnectionID) -> Bool { holderOfTab[id] != nil }

    public mutating func addRemote(_ id: ConnectionID) {
        members[id] = ChatMember(id: id, feed: .none, isLocal: false)
    }

    public mutating func detachLocal(_ id: ConnectionID) {
        guard members[id]?.isLocal == true else { return }
        members[id]?.isLocal = false
        local.remove(id)
    }

    public mutating func remove(_ id: ConnectionID) -> ChatMember? {
        guard let member = members.removeValue(forKey: id) else { return nil }
        if let holder = holderOfTab.removeValue(forKey: id) {
            local.remove(id)
            tabsOfHolder[holder]?.removeAll { $0 == id }
            if tabsOfHolder[holder]?.isEmpty == true { tabsOfHolder.removeValue(forKey: holder) }
            return member
        }
        if let name = member.name {
            room.remove(id)
            local.remove(id)
            idByKey.removeValue(forKey: name.key)
            handOver(name, from: id)
        }
        return member
    }

    /// The holder of `name` left while the same user has other sockets here: the first of them
    /// holds the name now, at the end of the join order; nobody is told, the user never left.
    private mutating func handOver(_ name: ChatName, from holder: ConnectionID) {
        guard var tabs = tabsOfHolder.removeValue(forKey: holder), !tabs.isEmpty else { return }
        let heir = tabs.removeFirst()
        holderOfTab.removeValue(forKey: heir)
        idByKey[name.key] = heir
        room.append(heir, name: name)
        if !tabs.isEmpty { tabsOfHolder[heir] = tabs }
        for tab in tabs { holderOfTab[tab] = heir }
    }

    /// Whether `id` left the room as a member, rather than as one of a user's several sockets.
    public func leavesAsMember(_ id: ConnectionID) -> Bool {
        guard members[id]?.name != nil, holderOfTab[id] == nil else { return false }
        return tabsOfHolder[id]?.isEmpty ?? true
    }

    public func member(_ id: ConnectionID) -> ChatMember? { members[id] }

    public func member(namedKey key: String) -> ChatMember? {
        idByKey[key].flatMap { members[$0] }
    }

    public mutating func claim(_ name: ChatName, for id: ConnectionID, user: String? = nil) -> NameClaim {
        guard var member = members[id] else { return .taken }
        if let owner = idByKey[name.key], owner != id {
            guard let user, members[owner]?.user == user, member.name == nil || holderOfTab[id] == owner else { return .taken }
            if holderOfTab[id] == owner { return .unchanged }
            member.name = name
            member.user = user
            members[id] = member
            holderOfTab[id] = owner
            tabsOfHolder[owner, default: []].append(id)
            if member.isLocal { local.append(id, name: name) }
            return .tab
        }
        let previous = member.name
        if previous?.display == name.display { return .unchanged }
        if let user { member.user = user }
        if let previous { idByKey.removeValue(forKey: previous.key) }
        idByKey[name.key] = id
        member.name = name
        members[id] = member
        if previous == nil {
            room.append(id, name: name)
            if member.isLocal { local.append(id, name: name) }
            return .joined
        }
        room.rename(id, to: name)
        local.rename(id, to: name)
        return .renamed(from: previous!.display)
    }

    public mutating func nextPrivateSeq(for id: ConnectionID) -> UInt64 {
        members[id]?.privateSeq += 1
        return members[id]?.privateSeq ?? 0
    }

    public var namedIDs: MemberIDs { local.ids }
    public var namedDisplayNames: [String] { room.names }
    public var namedCount: Int { room.count }

    public func namedIDs(feed: PresenceFeed) -> [ConnectionID] {
        local.ids.filter { members[$0]?.feed == feed }
    }

    public mutating func replaceRoom(with named: [(id: ConnectionID, name: ChatName)]) {
        let localMembers = members.values.filter(\.isLocal)
        members = [:]
        room = JoinOrder()
        local = JoinOrder()
        idByKey = [:]
        holderOfTab = [:]
        tabsOfHolder = [:]
        var placed = Set<ConnectionID>()
        for member in localMembers {
            members[member.id] = ChatMember(
                id: member.id, feed: member.feed, privateSeq: member.privateSeq, user: member.user, mayPublish: member.mayPublish)
        }
        for (id, name) in named where !placed.contains(id) {
            placed.insert(id)
            if members[id] == nil { addRemote(id) }
            _ = claim(name, for: id, user: members[id]?.user)
        }
        // Local members the snapshot did not know (named while it was taken) keep their names.
        for member in localMembers where !placed.contains(member.id) {
            if let name = member.name { _ = claim(name, for: member.id, user: member.user) }
        }
    }
}
