import ParleyProtocol

/// The embedded default store: one process, one room, all in memory.
public struct MemoryConnectionStore: ConnectionStore {
    private var members: [ConnectionID: ChatMember] = [:]
    private var order = JoinOrder()
    private var idByKey: [String: ConnectionID] = [:]

    public init() {}

    public mutating func add(_ id: ConnectionID, feed: PresenceFeed) {
        members[id] = ChatMember(id: id, feed: feed)
    }

    public mutating func remove(_ id: ConnectionID) -> ChatMember? {
        guard let member = members.removeValue(forKey: id) else { return nil }
        if let name = member.name {
            order.remove(id)
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
            order.append(id, name: name)
            return .joined
        }
        order.rename(id, to: name)
        return .renamed(from: previous!.display)
    }

    public mutating func nextPrivateSeq(for id: ConnectionID) -> UInt64 {
        members[id]?.privateSeq += 1
        return members[id]?.privateSeq ?? 0
    }

    public var namedIDs: MemberIDs { order.ids }
    public var namedDisplayNames: [String] { order.names }
    public var namedCount: Int { order.count }

    public func namedIDs(feed: PresenceFeed) -> [ConnectionID] {
        order.ids.filter { members[$0]?.feed == feed }
    }
}
