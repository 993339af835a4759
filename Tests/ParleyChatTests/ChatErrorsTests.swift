import ParleyChat
import ParleyProtocol
import Testing

/// Every error code, in docs/PROTOCOL.md's check order, to the sender only.
@Suite struct ChatErrorsTests {
    func errorCode(_ text: String) -> String? {
        guard let start = text.range(of: #""code":""#) else { return nil }
        return String(text[start.upperBound...].prefix { $0 != "\"" })
    }

    /// Sends `frame` from a fresh connection (named `alice` when asked) next to a named `bob`,
    /// and returns the error codes the sender got; bob must get nothing.
    func errors(
        for frame: String, named: Bool = true, overRate: Bool = false, configure: (inout ChatConfiguration) -> Void = { _ in }
    ) -> [String] {
        let chat = ChatFixture(configure: configure)
        let bob = chat.join("bob")
        let sender = named ? chat.join("alice") : chat.connect()
        chat.clear(bob, sender)
        chat.send(sender, frame, overRate: overRate)
        chat.scheduler.runAll()
        #expect(chat.connections.take(bob).isEmpty, "an error reaches only its sender")
        return chat.connections.take(sender).compactMap(errorCode)
    }

    @Test func eachCode() {
        #expect(errors(for: "not json") == ["invalid_json"])
        #expect(errors(for: #"{"message":"hi"}"#) == ["unknown_action"])
        #expect(errors(for: #"{"action":"dance"}"#) == ["unknown_action"])
        #expect(errors(for: #"{"action":"sendPublic"}"#) == ["invalid_field"])
        #expect(errors(for: #"{"action":"sendPublic","message":7}"#) == ["invalid_field"])
        #expect(errors(for: #"{"action":"sendPublic","message":""}"#) == ["invalid_field"])
        #expect(errors(for: #"{"action":"sendPrivate","message":"hi"}"#) == ["invalid_field"])
        #expect(errors(for: #"{"action":"setName","name":"   "}"#) == ["invalid_name"])
        #expect(errors(for: #"{"action":"setName","name":"\u0007x"}"#) == ["invalid_name"])
        #expect(
            errors(for: #"{"action":"sendPublic","message":"12345"}"#, configure: { $0.maximumMessageScalars = 4 }) == ["message_too_long"])
        #expect(errors(for: #"{"action":"sendPublic","message":"hi"}"#, named: false) == ["not_named"])
        #expect(errors(for: #"{"action":"sendPrivate","message":"hi","to":"bob"}"#, named: false) == ["not_named"])
        #expect(errors(for: #"{"action":"setName","name":"BOB"}"#) == ["name_taken"])
        #expect(errors(for: #"{"action":"sendPrivate","message":"hi","to":"nobody"}"#) == ["unknown_recipient"])
        #expect(errors(for: #"{"action":"sendPublic","message":"hi"}"#, overRate: true) == ["rate_limited"])
    }

    @Test func earlierChecksWinOverLaterOnes() {
        // invalid_json before rate_limited; message_too_long before not_named; not_named before unknown_recipient.
        #expect(errors(for: "{", overRate: true) == ["invalid_json"])
        #expect(
            errors(for: #"{"action":"sendPublic","message":"12345"}"#, named: false, configure: { $0.maximumMessageScalars = 4 }) == [
                "message_too_long"
            ])
        #expect(errors(for: #"{"action":"sendPrivate","message":"hi","to":"nobody"}"#, named: false) == ["not_named"])
        #expect(errors(for: #"{"action":"setName","name":"bob"}"#, overRate: true) == ["name_taken"])
    }

    @Test func overRateFrameIsNotExecuted() {
        let chat = ChatFixture()
        let alice = chat.join("alice"), bob = chat.join("bob")
        chat.clear(alice, bob)
        chat.send(alice, #"{"action":"sendPublic","message":"hi"}"#, overRate: true)
        #expect(chat.connections.take(bob).isEmpty)
    }

    @Test func errorNamesTheActionOrNull() {
        let chat = ChatFixture()
        let alice = chat.join("alice")
        chat.clear(alice)
        chat.send(alice, #"{"action":"sendPrivate","message":"hi","to":"zed"}"#)
        #expect(
            chat.connections.take(alice) == [
                #"{"error":{"code":"unknown_recipient","message":"nobody is called \"zed\"","action":"sendPrivate"}}"#
            ])
        chat.send(alice, #"{"action":42}"#)
        #expect(chat.connections.take(alice).first?.hasSuffix(#""action":null}}"#) == true)
    }
}
