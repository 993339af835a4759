import ParleyProtocol
import Testing

@testable import ParleyChat

@Suite struct JoinOrderTests {
    func name(_ text: String) -> ChatName { try! ChatName(validating: text) }

    @Test func keepsJoinOrderThroughRemovalsRenamesAndCompaction() {
        var order = JoinOrder()
        let ids = (0..<200).map { ConnectionID(loopIndex: 0, serial: UInt64($0)) }
        for (index, id) in ids.enumerated() { order.append(id, name: name("n\(index)")) }
        // Remove all but every tenth: enough holes to compact.
        for (index, id) in ids.enumerated() where index % 10 != 0 { order.remove(id) }
        #expect(order.count == 20)
        #expect(order.ids.count == 20)
        #expect(Array(order.ids).count == order.ids.count, "the stored count matches the members iterated")
        #expect(Array(order.ids) == ids.enumerated().filter { $0.offset % 10 == 0 }.map(\.element))
        order.rename(ids[50], to: name("renamed"))
        #expect(order.names[5] == "renamed")
        order.append(ids[1], name: name("back"))
        #expect(order.names.last == "back")
        #expect(order.ids.count == 21)
    }

    @Test func emptyAndAllRemoved() {
        var order = JoinOrder()
        #expect(order.ids.isEmpty)
        let id = ConnectionID(loopIndex: 1, serial: 1)
        order.append(id, name: name("x"))
        order.remove(id)
        order.remove(id)
        #expect(order.ids.isEmpty)
        #expect(order.count == 0)
    }

    @Test func storeClaimsRenamesAndReleasesNames() {
        var store = MemoryConnectionStore()
        let a = ConnectionID(loopIndex: 0, serial: 1), b = ConnectionID(loopIndex: 0, serial: 2)
        store.add(a, feed: .full)
        store.add(b, feed: .none)
        #expect(store.claim(name("Ann"), for: a) == .joined)
        #expect(store.claim(name("ANN"), for: b) == .taken)
        #expect(store.claim(name("Ann"), for: a) == .unchanged)
        #expect(store.claim(name("Anna"), for: a) == .renamed(from: "Ann"))
        #expect(store.claim(name("ann"), for: b) == .joined, "the old name is free after a rename")
        #expect(store.namedDisplayNames == ["Anna", "ann"])
        #expect(store.namedIDs(feed: .none) == [b])
        _ = store.remove(a)
        #expect(store.member(namedKey: ChatName.foldedKey("anna")) == nil)
        #expect(Array(store.namedIDs) == [b])
    }
}
