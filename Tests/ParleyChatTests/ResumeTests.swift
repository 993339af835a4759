import ParleyProtocol
import Synchronization
import Testing

@testable import ParleyChat

/// History and resume on the room value: a client that says where it stopped gets what it
/// missed, in order, then a marker — or a marker saying it cannot (another epoch, a gap older
/// than the history) — and bad values get an error while the connection stays usable.
@Suite struct ResumeTests {
    private static func id(_ serial: UInt64) -> ConnectionID { ConnectionID(loopIndex: 0, serial: serial) }
    private let alice = id(1)
    private let bob = id(2)

    /// A clock the test moves.
    private final class Clock: Sendable {
        private let millis = Mutex(Int64(1_000))
        var now: Int64 { millis.withLock { $0 } }
        func advance(_ by: Int64) { millis.withLock { $0 += by } }
    }

    private static func room(size: Int = 500, ttl: Duration = .seconds(600), clock: Clock = Clock()) -> Room {
        var configuration = ChatConfiguration()
        configuration.historySize = size
        configuration.historyTTL = ttl
        return Room(configuration: configuration, decidedByCluster: false, clockMillis: { clock.now })
    }

    /// Alice sends `count` public messages: seqs 1…count.
    private func publish(_ count: Int, in room: inout Room, clock: Clock? = nil) {
        for index in 1...count {
            _ = room.publish(from: alice, text: "m\(index)", timestampMillis: clock?.now ?? 1_000)
            clock?.advance(1_000)
        }
    }

    private func join(_ room: inout Room, since: String?, epoch: String?) -> [String] {
        let resume = ResumeRequest.parse(since: since, epoch: epoch)
        return room.join(bob, name: try! ChatName(validating: "bob"), feed: PresenceFeed.none, resume: resume).compactMap { effect in
            switch effect {
            case .post(let payload, let to) where to == bob: payload.text
            case .error(let error, let to) where to == bob: "error \(error.code.rawValue): \(error.message)"
            default: nil
            }
        }
    }

    private func started() -> Room {
        var room = Self.room()
        _ = room.join(alice, name: try! ChatName(validating: "alice"), feed: PresenceFeed.none)
        return room
    }

    @Test func aResumeReplaysWhatWasMissedInOrderThenSaysSo() throws {
        var room = started()
        publish(5, in: &room)
        let epoch = try #require(room.history?.epoch)
        let lines = join(&room, since: "2", epoch: epoch)
        #expect(lines.count == 4, "\(lines)")
        #expect(lines[0].contains(#""text":"m3","seq":3"#) && lines[1].contains(#""seq":4"#) && lines[2].contains(#""seq":5"#))
        #expect(lines[3] == #"{"resumed":{"from":3,"to":5,"epoch":"\#(epoch)"}}"#)
    }

    @Test func nothingMissedIsSaidTooAndAFirstVisitGetsTheHistoryAndTheEpoch() throws {
        var room = started()
        publish(3, in: &room)
        let epoch = try #require(room.history?.epoch)
        #expect(join(&room, since: "3", epoch: epoch) == [#"{"resumed":{"from":4,"to":3,"epoch":"\#(epoch)"}}"#])
        var fresh = started()
        publish(2, in: &fresh)
        let first = join(&fresh, since: "0", epoch: nil)
        #expect(first.count == 3 && first[0].contains(#""seq":1"#) && first[2].hasPrefix(#"{"resumed":{"from":1,"to":2,"epoch":""#))
        _ = fresh.leave(bob)
        // `latest`: nothing replayed, only where the room stands (what the chat page asks first).
        let latest = join(&fresh, since: "latest", epoch: nil)
        #expect(latest.count == 1 && latest[0].hasPrefix(#"{"resumed":{"from":3,"to":2,"epoch":""#), "\(latest)")
    }

    @Test func anotherEpochOrAGapOlderThanTheHistoryFails() throws {
        var room = Self.room(size: 3)
        _ = room.join(alice, name: try! ChatName(validating: "alice"), feed: PresenceFeed.none)
        publish(6, in: &room)
        let epoch = try #require(room.history?.epoch)
        #expect(join(&room, since: "2", epoch: "0123abcd") == [#"{"resumeFailed":{"reason":"epoch","oldest":4,"epoch":"\#(epoch)"}}"#])
        _ = room.leave(bob)
        // Holding up to 2, the client missed 3, which the history (4, 5, 6) no longer has.
        #expect(join(&room, since: "2", epoch: epoch) == [#"{"resumeFailed":{"reason":"expired","oldest":4,"epoch":"\#(epoch)"}}"#])
    }

    @Test func messagesOlderThanTheTTLAreGone() throws {
        let clock = Clock()
        var room = Self.room(ttl: .seconds(10), clock: clock)
        _ = room.join(alice, name: try! ChatName(validating: "alice"), feed: PresenceFeed.none)
        publish(4, in: &room, clock: clock)  // at 1 s, 2 s, 3 s, 4 s
        clock.advance(8_500)  // now 13.5 s: the first three are past 10 s
        let epoch = try #require(room.history?.epoch)
        #expect(join(&room, since: "1", epoch: epoch).first?.contains(#""reason":"expired","oldest":4"#) == true)
        _ = room.leave(bob)
        // Holding 3, a resume gets 4 only: 1-3 aged out even before anything trimmed them.
        let fromThree = join(&room, since: "3", epoch: epoch)
        #expect(fromThree.count == 2 && fromThree[0].contains(#""seq":4"#), "\(fromThree)")
        publish(1, in: &room, clock: clock)  // the next message trims them for good
        #expect(room.history?.entries.map(\.seq) == [4, 5], "trimmed, not only hidden")
    }

    @Test func historyIsBoundedByCount() {
        var room = Self.room(size: 10)
        _ = room.join(alice, name: try! ChatName(validating: "alice"), feed: PresenceFeed.none)
        publish(25, in: &room)
        #expect(room.history?.entries.count == 10 && room.history?.entries.first?.seq == 16)
    }

    @Test func badValuesAreErrorsAndTheConnectionStaysUsable() throws {
        var room = started()
        publish(2, in: &room)
        for (since, epoch, words) in [
            ("abc", nil, "since must be a whole number"), ("-1", nil, "since must be a whole number"),
            (nil, "00ff", "epoch needs since"), ("1", "ZZ", "epoch must be the hexadecimal epoch"),
            ("latest", "00ff", "since=latest takes no epoch"),
        ] as [(String?, String?, String)] {
            let lines = join(&room, since: since, epoch: epoch)
            #expect(lines.count == 1 && lines[0].hasPrefix("error invalid_field: ") && lines[0].contains(words), "\(lines)")
            let sent = room.publish(from: bob, text: "still here", timestampMillis: 1_000) ?? []
            #expect(sent.contains { if case .broadcast = $0 { true } else { false } }, "bob can still chat")
            _ = room.leave(bob)
        }
        let epoch = try #require(room.history?.epoch)
        let ahead = join(&room, since: "99", epoch: epoch)
        #expect(ahead.count == 1 && ahead[0].contains("since 99 is ahead of the room's last seq"), "\(ahead)")
    }

    @Test func clientsThatDoNotAskGetNothingNew() {
        var room = started()
        publish(2, in: &room)
        #expect(join(&room, since: nil, epoch: nil).isEmpty)
    }
}
