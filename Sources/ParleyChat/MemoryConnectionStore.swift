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

    public init() {}

    public mutating func add(_ id: ConnectionID, feed: PresenceFeed) {
        members[id] = ChatMember(id: id, feed: feed)
    }

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
        if let name = member.name {
            room.remove(id)
            local.remove(id)
            idByKey.removeValue(forKey: name.key)
        }
        return member
    }

    public func member(_ id: ConnectionID) -> ChatMember? { members[id] }

    public func member(namedKey key: String) -> ChatMember? {
        idByKey[key].flatMap { members[$0] }
    }

    public mutating func claim(_ name: ChatName, for id: ConnectionID) -> NameClaim {
        guard var member = members[id] else { return .taken }
        if let owner = idByKey[name.key], owner != id { return .taken }
        let previous = member.name
        if previous?.display == name.display { return .unchanged }
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
        var placed = Set<ConnectionID>()
        for member in localMembers { members[member.id] = ChatMember(id: member.id, feed: member.feed, privateSeq: member.privateSeq) }
        for (id, name) in named where !placed.contains(id) {
            placed.insert(id)
            if members[id] == nil { addRemote(id) }
            _ = claim(name, for: id)
        }
        // Local members the snapshot did not know (named while it was taken) keep their names.
        for member in localMembers where !placed.contains(member.id) {
            if let name = member.name { _ = claim(name, for: member.id) }
        }
    }
}
