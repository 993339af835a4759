import ParleyChat
import ParleyProtocol
import Testing

@testable import ParleyCluster

/// The outbox as a value: the order it keeps, the keys it gives, what it refuses and when.
@Suite struct OutboxTests {
    private let sender = ConnectionID(loopIndex: 0, serial: 1)
    private let start = ContinuousClock.now

    private func message(_ text: String) -> RoomCommand {
        .publicMessage(sender: sender, from: try! ChatName(validating: "alice"), text: text, timestampMillis: 7)
    }

    private func text(_ entry: Outbox.Entry?) -> String? {
        guard case .publicMessage(_, _, let text, _) = entry?.command else { return nil }
        return text
    }

    @Test func messagesLeaveInOrderWithKeysCountingOnFromWhatTheDatabaseNumbered() {
        var outbox = Outbox(capacity: 10, ttl: .seconds(30), publishedThrough: 41)
        for text in ["a", "b", "c"] {
            let taken = outbox.accept(message(text), now: start)
            #expect(taken)
        }
        var sent: [(String, UInt64)] = []
        while let head = outbox.head {
            sent.append((text(head)!, head.key))
            outbox.removeHead()
        }
        #expect(sent.map(\.0) == ["a", "b", "c"])
        #expect(sent.map(\.1) == [42, 43, 44], "a restarted node goes on past its mark, never reusing a key")
        let taken = outbox.accept(message("d"), now: start)
        #expect(taken && outbox.head?.key == 45)
    }

    @Test func pastItsCapacityAMessageIsRefusedAndNothingIsTaken() {
        var outbox = Outbox(capacity: 2, ttl: .seconds(30), publishedThrough: 0)
        let a = outbox.accept(message("a"), now: start)
        let b = outbox.accept(message("b"), now: start)
        let c = outbox.accept(message("c"), now: start)
        #expect(a && b && !c)
        #expect(outbox.count == 2)
        outbox.removeHead()
        let d = outbox.accept(message("d"), now: start)
        #expect(d && outbox.count == 2)
    }

    @Test func onlyUnsentMessagesOlderThanTheTTLExpireAndTheRestKeepTheirOrder() {
        var outbox = Outbox(capacity: 10, ttl: .seconds(30), publishedThrough: 0)
        _ = outbox.accept(message("sent"), now: start)
        outbox.markHeadSent()
        _ = outbox.accept(message("old"), now: start + .seconds(1))
        _ = outbox.accept(message("young"), now: start + .seconds(20))
        let early = outbox.expire(now: start + .seconds(30))
        #expect(early.isEmpty, "nothing has waited longer than 30 s")
        let expired = outbox.expire(now: start + .seconds(40))
        #expect(expired.map { text($0) } == ["old"])
        // The one that was sent may have been numbered: it stays until it is settled.
        #expect(text(outbox.head) == "sent" && outbox.head?.sent == true && outbox.count == 2)
        outbox.removeHead()
        #expect(text(outbox.head) == "young")
    }

    @Test func aShutdownTakesEverythingInOrder() {
        var outbox = Outbox(capacity: 10, ttl: .seconds(30), publishedThrough: 0)
        for text in ["a", "b"] { _ = outbox.accept(message(text), now: start) }
        outbox.markHeadSent()
        let left = outbox.removeAll()
        #expect(left.map { text($0) } == ["a", "b"] && left.map(\.sent) == [true, false])
        #expect(outbox.isEmpty && outbox.head == nil)
    }
}
