import ParleyProtocol
import Testing

@testable import ParleyChat

/// A cluster node's room catching up after it was cut off from the database: the history read
/// after the reconnect fills what its members missed, once and in order, and says what it cannot.
@Suite struct RoomCatchUpTests {
    private let alice = ConnectionID(loopIndex: 0, serial: 1)
    private static func name(_ text: String) -> ChatName { try! ChatName(validating: text) }

    private static func clusterRoom(named: String? = nil) -> Room {
        Room(
            name: named.map { try! RoomName(validating: $0, action: nil) }, configuration: ChatConfiguration(),
            decidedByCluster: true, clockMillis: { 7 })
    }

    private static func snapshot(epoch: String = "e1", last: UInt64, _ seqs: ClosedRange<UInt64>? = nil) -> HistorySnapshot {
        HistorySnapshot(
            epoch: epoch, lastSeq: last,
            messages: (seqs.map(Array.init) ?? []).map { .init(seq: $0, from: "bob", text: "m\($0)", timestampMillis: 7) })
    }

    private func member(in room: inout Room) {
        _ = room.join(alice, name: Self.name("alice"), feed: PresenceFeed.none)
    }

    @Test func theFirstCatchUpOnlyLearnsWhereTheRoomStands() {
        var room = Self.clusterRoom()
        member(in: &room)
        #expect(room.caughtUpSeq == nil)
        let first = room.catchUp(with: Self.snapshot(last: 40, 31...40))
        #expect(first.isEmpty)
        #expect(room.caughtUpSeq == 40)
        // The next notification follows on.
        let next = EffectLines.of(room.apply(.publicMessage(from: "bob", text: "m41", seq: 41, timestampMillis: 7)))
        #expect(next.count == 1 && next[0].contains(#""seq":41"#))
    }

    @Test func whatWasMissedIsPostedInOrderAndItsNotificationsAreNotPostedAgain() {
        var room = Self.clusterRoom(named: "team-1")
        member(in: &room)
        _ = room.catchUp(with: Self.snapshot(last: 10))
        _ = room.apply(.roomMessage(room.name!, from: "bob", text: "m11", seq: 11, timestampMillis: 7))
        // Cut off after 11; the others published 12…14 meanwhile.
        let missed = EffectLines.of(room.catchUp(with: Self.snapshot(last: 14, 12...14)))
        #expect(missed.count == 3, "\(missed)")
        for (line, seq) in zip(missed, 12...14) {
            #expect(line.contains(#""text":"m\#(seq)","seq":\#(seq)"#) && line.hasSuffix(#""room":"team-1"}"#), "\(line)")
        }
        // The notifications queued during the read hold 14 again; 15 is new.
        let again = room.apply(.roomMessage(room.name!, from: "bob", text: "m14", seq: 14, timestampMillis: 7))
        #expect(again.isEmpty)
        let new = room.apply(.roomMessage(room.name!, from: "bob", text: "m15", seq: 15, timestampMillis: 7))
        #expect(new.count == 1)
    }

    @Test func moreThanTheHistoryKeepsIsSaidAsExpiredThenWhatIsKeptFollows() {
        var room = Self.clusterRoom()
        member(in: &room)
        _ = room.catchUp(with: Self.snapshot(last: 5))
        // 6…19 were published; the history keeps 15…19.
        let lines = EffectLines.of(room.catchUp(with: Self.snapshot(last: 19, 15...19)))
        #expect(lines.count == 6, "\(lines)")
        #expect(lines[0].contains(#"{"resumeFailed":{"reason":"expired","oldest":15,"epoch":"e1"}}"#), "\(lines[0])")
        #expect(lines[1].contains(#""seq":15"#) && lines[5].contains(#""seq":19"#))
        #expect(room.caughtUpSeq == 19)
    }

    @Test func aHistoryWithNoMessagesKeptStillSaysTheGap() {
        var room = Self.clusterRoom()
        member(in: &room)
        _ = room.catchUp(with: Self.snapshot(last: 5))
        let lines = EffectLines.of(room.catchUp(with: Self.snapshot(last: 9)))
        #expect(lines.count == 1 && lines[0].contains(#""reason":"expired","oldest":10"#), "\(lines)")
        let nothingNew = room.catchUp(with: Self.snapshot(last: 9))
        #expect(nothingNew.isEmpty, "nothing new: nothing said")
    }

    @Test func anotherHistoryIsSaidAsEpochAndCountsFromItsOwnSeq() {
        var room = Self.clusterRoom()
        member(in: &room)
        _ = room.catchUp(with: Self.snapshot(last: 30))
        // A database whose history went back (a failover that lost its tail): seq 28 again.
        let lines = EffectLines.of(room.catchUp(with: Self.snapshot(last: 27, 20...27)))
        #expect(lines.count == 1 && lines[0].contains(#""reason":"epoch","oldest":28,"epoch":"e1""#), "\(lines)")
        let next = room.apply(.publicMessage(from: "bob", text: "m28", seq: 28, timestampMillis: 7))
        #expect(next.count == 1)
        // A new database altogether: its epoch differs.
        let replaced = EffectLines.of(room.catchUp(with: Self.snapshot(epoch: "e2", last: 50, 41...50)))
        #expect(replaced.count == 1 && replaced[0].contains(#""reason":"epoch","oldest":51,"epoch":"e2""#), "\(replaced)")
    }

    @Test func aSingleNodesRoomHasNothingToCatchUp() {
        var room = Room(configuration: ChatConfiguration(), decidedByCluster: false, clockMillis: { 7 })
        let effects = room.catchUp(with: Self.snapshot(last: 9, 1...9))
        #expect(effects.isEmpty)
        #expect(room.caughtUpSeq == nil)
    }
}
