import ParleyProtocol

/// Named connections in join order, with O(1) append and removal: removed slots are left as
/// holes and compacted once they outnumber the living. (An ordered dictionary removes in O(n),
/// which made 10,000 clients leaving at once cost O(n²): tens of seconds of a blocked room.)
struct JoinOrder: Sendable {
    private var slots: [Member?] = []
    private var slotOf: [ConnectionID: Int] = [:]

    struct Member: Sendable {
        let id: ConnectionID
        var name: ChatName
    }

    var count: Int { slotOf.count }

    mutating func append(_ id: ConnectionID, name: ChatName) {
        slotOf[id] = slots.count
        slots.append(Member(id: id, name: name))
    }

    /// Renames in place: a rename keeps its place in the order.
    mutating func rename(_ id: ConnectionID, to name: ChatName) {
        guard let slot = slotOf[id] else { return }
        slots[slot]?.name = name
    }

    mutating func remove(_ id: ConnectionID) {
        guard let slot = slotOf.removeValue(forKey: id) else { return }
        slots[slot] = nil
        if slots.count > 64 && slots.count > 2 * slotOf.count { compact() }
    }

    private mutating func compact() {
        slots = slots.filter { $0 != nil }
        for (slot, member) in slots.enumerated() { slotOf[member!.id] = slot }
    }

    /// The ids in join order, as a view (no copy per broadcast).
    var ids: MemberIDs { MemberIDs(slots: slots, count: slotOf.count) }

    var names: [String] { slots.compactMap { $0?.name.display } }
}

/// The ids of named members in join order: a read-only view over the join order's slots,
/// skipping the holes left by departures.
public struct MemberIDs: Collection, Sendable {
    fileprivate let slots: [JoinOrder.Member?]
    /// Known, not counted: the fan-out asks for it once per broadcast to size its buckets.
    public let count: Int
    public var isEmpty: Bool { count == 0 }

    public struct Index: Comparable, Sendable {
        fileprivate let slot: Int
        public static func < (lhs: Index, rhs: Index) -> Bool { lhs.slot < rhs.slot }
    }

    public var startIndex: Index { Index(slot: nextLive(from: 0)) }
    public var endIndex: Index { Index(slot: slots.count) }
    public func index(after index: Index) -> Index { Index(slot: nextLive(from: index.slot + 1)) }
    public subscript(index: Index) -> ConnectionID { slots[index.slot]!.id }

    private func nextLive(from slot: Int) -> Int {
        var slot = slot
        while slot < slots.count && slots[slot] == nil { slot += 1 }
        return slot
    }
}
