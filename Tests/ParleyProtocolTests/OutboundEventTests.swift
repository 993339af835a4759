import Testing

@testable import ParleyProtocol

@Suite struct OutboundEventTests {
    @Test func tutorialKeysComeFirstWithExactBytes() {
        #expect(OutboundEvent.members(["alice", "bob"]).encode().text == #"{"members":["alice","bob"]}"#)
        #expect(OutboundEvent.members([]).encode().text == #"{"members":[]}"#)
        #expect(
            OutboundEvent.systemMessage("alice has joined the chat").encode().text
                == #"{"systemMessage":"alice has joined the chat"}"#)
        #expect(
            OutboundEvent.publicMessage(from: "alice", text: "hi", seq: 3, timestampMillis: 1700).encode().text
                == #"{"publicMessage":"alice: hi","from":"alice","text":"hi","seq":3,"ts":1700}"#)
        #expect(
            OutboundEvent.privateMessage(from: "bob", text: "psst", seq: 1, timestampMillis: 5).encode().text
                == #"{"privateMessage":"bob: psst","from":"bob","text":"psst","seq":1,"ts":5}"#)
    }

    @Test func deltaEvents() {
        #expect(OutboundEvent.joined("bob").encode().text == #"{"joined":"bob"}"#)
        #expect(OutboundEvent.left("bob").encode().text == #"{"left":"bob"}"#)
        #expect(OutboundEvent.renamed(from: "bob", to: "rob").encode().text == #"{"renamed":{"from":"bob","to":"rob"}}"#)
    }

    @Test func errorsCarryCodeMessageAndActionOrNull() {
        let withAction = ProtocolError(.notNamed, "set a name", action: "sendPublic")
        #expect(
            OutboundEvent.error(withAction).encode().text
                == #"{"error":{"code":"not_named","message":"set a name","action":"sendPublic"}}"#)
        let without = ProtocolError(.invalidJSON, "bad", action: nil)
        #expect(
            OutboundEvent.error(without).encode().text
                == #"{"error":{"code":"invalid_json","message":"bad","action":null}}"#)
    }

    @Test func stringsAreEscapedAndUnicodeKept() throws {
        let text = "a\"b\\c\nd\te\u{1}f — ünï 🎉"
        let encoded = OutboundEvent.systemMessage(text).encode()
        #expect(encoded.text == #"{"systemMessage":"a\"b\\c\nd\te\u0001f — ünï 🎉"}"#)
        // And it is JSON that decodes back to the same text.
        let frame = try #require(InboundFrame.parse(encoded.bytes))
        #expect(frame.fields["systemMessage"] == .string(text))
    }

    @Test func systemTexts() {
        #expect(SystemText.joined("a") == "a has joined the chat")
        #expect(SystemText.left("a") == "a has left the chat")
        #expect(SystemText.renamed(from: "a", to: "b") == "a is now known as b")
        #expect(SystemText.membersOnline(1001) == "1001 members online")
    }
}
