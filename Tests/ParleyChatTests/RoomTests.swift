import ParleyProtocol
import Testing

@testable import ParleyChat

/// One room as a state machine, without a handler, a lock or a socket: feed it decided changes,
/// assert the effects it returns (and that it performs none itself).
@Suite struct RoomTests {
    private static func id(_ serial: UInt64) -> ConnectionID { ConnectionID(loopIndex: 0, serial: serial) }
    private let alice = id(1)
    private let bob = id(2)
    private static func name(_ text: String) -> ChatName { try! ChatName(validating: text) }

    private static func room(cluster: Bool, named: String? = nil) -> Room {
        Room(
            name: named.map { try! RoomName(validating: $0, action: nil) }, configuration: ChatConfiguration(),
            decidedByCluster: cluster, clockMillis: { 7 })
    }

    @Test func singleNodeNumbersPublicMessagesAtOnce() {
        var room = Self.room(cluster: false)
        #expect(EffectLines.of(room.join(alice, name: Self.name("alice"), feed: PresenceFeed.none)) == ["schedule flushPresence"])
        let first = EffectLines.of(room.publish(from: alice, text: "hi", timestampMillis: 7)!)
        #expect(first.count == 1 && first[0].hasPrefix("broadcast [\(alice.rawValue)]") && first[0].contains(#""seq":1"#))
        let second = EffectLines.of(room.publish(from: alice, text: "again", timestampMillis: 7)!)
        #expect(second.count == 1 && second[0].contains(#""seq":2"#))
        #expect(room.publicSeq == 2)
        #expect(!(first + second).contains { $0.hasPrefix("submit") })
    }

    @Test func aNonMemberCannotPublish() {
        var room = Self.room(cluster: false)
        #expect(room.publish(from: bob, text: "hi", timestampMillis: 7) == nil)
    }

    @Test func aClusterRoomSubmitsAndPostsOnlyTheDecision() {
        var room = Self.room(cluster: true)
        _ = room.join(alice, name: Self.name("alice"), feed: PresenceFeed.none)
        let submitted = EffectLines.of(room.publish(from: alice, text: "hi", timestampMillis: 7)!)
        #expect(submitted.count == 1 && submitted[0].hasPrefix("submit publicMessage"))
        let posted = EffectLines.of(room.apply(.publicMessage(from: "alice", text: "hi", seq: 41, timestampMillis: 7)))
        #expect(posted.count == 1 && posted[0].contains(#""seq":41"#))
    }

    @Test func aNamedRoomsEventsCarryItsNameTheDefaultRoomsDoNot() {
        var team = Self.room(cluster: false, named: "team-1")
        _ = team.join(alice, name: Self.name("alice"), feed: PresenceFeed.none)
        let inTeam = EffectLines.of(team.publish(from: alice, text: "hi", timestampMillis: 7)!)
        #expect(inTeam.count == 1 && inTeam[0].hasSuffix(#","ts":7,"room":"team-1"}"#), "\(inTeam)")
        var lobby = Self.room(cluster: false)
        _ = lobby.join(alice, name: Self.name("alice"), feed: PresenceFeed.none)
        let inLobby = EffectLines.of(lobby.publish(from: alice, text: "hi", timestampMillis: 7)!)
        #expect(inLobby.count == 1 && inLobby[0].hasSuffix(#""ts":7}"#) && !inLobby[0].contains("room"), "\(inLobby)")
    }

    @Test func presenceIsOneWindowThenAMembersListInTheRoom() {
        var room = Self.room(cluster: false, named: "r")
        #expect(EffectLines.of(room.join(alice, name: Self.name("alice"), feed: .full)) == ["schedule flushPresence"])
        #expect(room.join(bob, name: Self.name("bob"), feed: .full).isEmpty)
        let flushed = EffectLines.of(room.fire(.flushPresence, now: .now))
        #expect(flushed.first == "each [\(alice.rawValue)]: {\"members\":[\"alice\",\"bob\"],\"room\":\"r\"}")
        #expect(flushed.count == 5)
        #expect(room.fire(.flushPresence, now: .now).isEmpty)
    }

    @Test func aLeaveEmptiesTheRoomAndItsHistoryDecidesWhetherItIsKept() {
        var room = Self.room(cluster: false, named: "r")
        _ = room.join(alice, name: Self.name("alice"), feed: PresenceFeed.none)
        #expect(!room.holdsHistory(nowMillis: 7))
        _ = room.publish(from: alice, text: "kept", timestampMillis: 7)
        _ = room.leave(alice)
        #expect(room.isEmpty)
        #expect(room.holdsHistory(nowMillis: 7))
        #expect(!room.holdsHistory(nowMillis: 7 + 601_000), "past the 600 s TTL nothing is resumable")
    }
}
