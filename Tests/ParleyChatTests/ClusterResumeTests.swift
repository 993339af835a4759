import ParleyProtocol
import Testing

@testable import ParleyChat

/// Resume on a cluster node's room value: the history is the database's, read with a `.resume`
/// command after the member's join; live public messages decided meanwhile wait for that member
/// and follow the replay — none before it, none twice, none lost.
@Suite struct ClusterResumeTests {
    private static func id(_ serial: UInt64) -> ConnectionID { ConnectionID(loopIndex: 0, serial: serial) }
    private let alice = id(1)
    private let bob = id(2)
    private let epoch = "00c0ffee00c0ffee"

    private static func message(_ seq: UInt64) -> RoomEvent {
        .publicMessage(from: "alice", text: "m\(seq)", seq: seq, timestampMillis: 1_000 + Int64(seq))
    }

    private static func snapshot(epoch: String, last: UInt64, holding seqs: ClosedRange<UInt64>?) -> HistorySnapshot {
        let messages = (seqs.map(Array.init) ?? []).map {
            HistorySnapshot.Message(seq: $0, from: "alice", text: "m\($0)", timestampMillis: 1_000 + Int64($0))
        }
        return HistorySnapshot(epoch: epoch, lastSeq: last, messages: messages)
    }

    /// Who got a payload in these effects, and what (seq, or the marker's text).
    private static func received(by id: ConnectionID, _ effects: [RoomEffect]) -> [String] {
        effects.compactMap { effect in
            switch effect {
            case .post(let payload, let to) where to == id: label(payload)
            case .broadcast(let payload, let ids) where ids.contains(id): label(payload)
            case .postToEach(let payload, let ids) where ids.contains(id): label(payload)
            case .error(let error, let to) where to == id: "error \(error.code.rawValue)"
            default: nil
            }
        }
    }

    private static func label(_ payload: Payload) -> String {
        let text = payload.text
        if let range = text.range(of: #""seq":"#) {
            return "seq " + text[range.upperBound...].prefix { $0.isNumber }
        }
        return text
    }

    /// A cluster room with alice named, and bob connected asking to resume; bob's join applied.
    private func bobJoined(since: String, epoch: String?) -> (Room, [RoomEffect]) {
        var room = Room(configuration: ChatConfiguration(), decidedByCluster: true, clockMillis: { 2_000 })
        _ = room.join(alice, name: try! ChatName(validating: "alice"), feed: PresenceFeed.none)
        let joined = room.join(
            bob, name: try! ChatName(validating: "bob"), feed: PresenceFeed.none, resume: ResumeRequest.parse(since: since, epoch: epoch))
        return (room, joined)
    }

    @Test func theJoinAsksTheClusterHistoryAndLiveMessagesWaitBehindTheReplay() throws {
        var (room, joined) = bobJoined(since: "2", epoch: epoch)
        let asks = joined.compactMap { effect -> RoomCommand? in
            if case .submit(let command) = effect { return command }
            return nil
        }
        #expect(asks == [.resume(bob, ResumeRequest(since: 2, epoch: epoch))])
        // Decided while the history is read: alice gets them, bob's wait.
        let six = room.apply(Self.message(6))
        let seven = room.apply(Self.message(7))
        #expect(Self.received(by: alice, six + seven) == ["seq 6", "seq 7"])
        #expect(Self.received(by: bob, six + seven).isEmpty)
        // The read saw up to 6: 6 comes once (replayed), 7 after the marker.
        let finished = room.finishResume(bob, with: Self.snapshot(epoch: epoch, last: 6, holding: 1...6))
        #expect(
            Self.received(by: bob, finished) == [
                "seq 3", "seq 4", "seq 5", "seq 6", #"{"resumed":{"from":3,"to":6,"epoch":"\#(epoch)"}}"#, "seq 7",
            ])
        // Caught up: the next goes to both as one broadcast.
        let eight = room.apply(Self.message(8))
        #expect(Self.received(by: bob, eight) == ["seq 8"] && Self.received(by: alice, eight) == ["seq 8"])
        guard case .broadcast = eight.first else {
            Issue.record("back to the plain fan-out: \(eight)")
            return
        }
    }

    @Test func aReadAheadOfThisNodesNotificationsIsNotPostedTwice() {
        // The command connection's read saw up to 8 while this node has applied only 5: the
        // notifications of 6–8 arrive after the replay, and are for alice only.
        var (room, _) = bobJoined(since: "2", epoch: epoch)
        _ = room.apply(Self.message(5))
        let finished = room.finishResume(bob, with: Self.snapshot(epoch: epoch, last: 8, holding: 1...8))
        #expect(Self.received(by: bob, finished).count == 7, "3…8 and the marker, 5 once")
        let late = [6, 7, 8].flatMap { room.apply(Self.message(UInt64($0))) }
        #expect(Self.received(by: alice, late) == ["seq 6", "seq 7", "seq 8"])
        #expect(Self.received(by: bob, late).isEmpty)
        let nine = room.apply(Self.message(9))
        #expect(Self.received(by: bob, nine) == ["seq 9"])
        guard case .broadcast = nine.first else {
            Issue.record("back to the plain fan-out: \(nine)")
            return
        }
    }

    @Test func aFirstVisitGetsEveryLiveMessageAfterItsJoin() {
        // since=latest replays nothing: what was held, and what arrives late, is all owed.
        var (room, _) = bobJoined(since: "latest", epoch: nil)
        _ = room.apply(Self.message(5))
        let finished = room.finishResume(bob, with: Self.snapshot(epoch: epoch, last: 6, holding: 1...6))
        #expect(Self.received(by: bob, finished) == [#"{"resumed":{"from":7,"to":6,"epoch":"\#(epoch)"}}"#, "seq 5"])
        #expect(Self.received(by: bob, room.apply(Self.message(6))) == ["seq 6"])
    }

    @Test func aFailedReadOrAnotherEpochSaysSoAndStillDeliversWhatWasHeld() {
        var (room, _) = bobJoined(since: "2", epoch: epoch)
        _ = room.apply(Self.message(6))
        // The read failed (the handler turns a refused `.resume` into this).
        let unavailable = room.finishResume(bob, with: nil)
        #expect(Self.received(by: bob, unavailable) == [#"{"resumeFailed":{"reason":"unavailable","oldest":7,"epoch":""}}"#, "seq 6"])

        var (other, _) = bobJoined(since: "2", epoch: epoch)
        _ = other.apply(Self.message(6))
        let finished = other.finishResume(bob, with: Self.snapshot(epoch: "ffff0000ffff0000", last: 6, holding: 1...6))
        #expect(
            Self.received(by: bob, finished) == [#"{"resumeFailed":{"reason":"epoch","oldest":1,"epoch":"ffff0000ffff0000"}}"#, "seq 6"])
    }

    @Test func aGapOlderThanTheClusterHistoryExpiresAndAFutureSinceIsAnError() {
        var (room, _) = bobJoined(since: "2", epoch: epoch)
        let expired = room.finishResume(bob, with: Self.snapshot(epoch: epoch, last: 9, holding: 5...9))
        #expect(Self.received(by: bob, expired) == [#"{"resumeFailed":{"reason":"expired","oldest":5,"epoch":"\#(epoch)"}}"#])

        var (ahead, _) = bobJoined(since: "40", epoch: epoch)
        let error = ahead.finishResume(bob, with: Self.snapshot(epoch: epoch, last: 9, holding: nil))
        #expect(Self.received(by: bob, error) == ["error invalid_field"])
        // Still a member: the next message reaches bob.
        #expect(Self.received(by: bob, ahead.apply(Self.message(10))) == ["seq 10"])
    }

    @Test func aMemberWhoLeftWhileTheHistoryWasReadGetsNothing() {
        var (room, _) = bobJoined(since: "0", epoch: nil)
        room.detach(bob)
        #expect(room.finishResume(bob, with: Self.snapshot(epoch: epoch, last: 3, holding: 1...3)).isEmpty)
    }
}
