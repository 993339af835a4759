import ParleyChat
import ParleyProtocol
import Testing

/// The route logic without sockets: docs/PROTOCOL.md's route and outbound tables.
@Suite struct ChatRoutesTests {
    @Test func joinSendsMembersThenJoinedToEveryNamedConnection() {
        let chat = ChatFixture()
        let alice = chat.join("alice")
        #expect(chat.connections.take(alice) == [#"{"members":["alice"]}"#, #"{"systemMessage":"alice has joined the chat"}"#])
        let bob = chat.connect()
        chat.send(bob, #"{"action":"setName","name":"bob"}"#)
        #expect(chat.connections.take(alice).isEmpty, "presence waits for the window to close")
        chat.scheduler.runAll()
        let expected = [#"{"members":["alice","bob"]}"#, #"{"systemMessage":"bob has joined the chat"}"#]
        #expect(chat.connections.take(alice) == expected)
        #expect(chat.connections.take(bob) == expected)
    }

    @Test func publicReachesEveryNamedConnectionSenderIncluded() {
        let chat = ChatFixture()
        let alice = chat.join("alice"), bob = chat.join("bob")
        let unnamed = chat.connect()
        chat.clear(alice, bob)
        chat.send(alice, #"{"action":"sendPublic","message":"hi"}"#)
        let expected = [#"{"publicMessage":"alice: hi","from":"alice","text":"hi","seq":1,"ts":1000}"#]
        #expect(chat.connections.take(alice) == expected)
        #expect(chat.connections.take(bob) == expected)
        #expect(chat.connections.take(unnamed).isEmpty)
        chat.send(bob, #"{"action":"sendPublic","message":"yo"}"#)
        #expect(chat.connections.take(alice) == [#"{"publicMessage":"bob: yo","from":"bob","text":"yo","seq":2,"ts":1000}"#])
    }

    @Test func publicIsOneFanOutCall() {
        let chat = ChatFixture { $0.presenceLimit = 10 }
        let ids = (0..<50).map { chat.join("u\($0)", feed: "none") }
        let before = chat.connections.fanOutCount
        chat.send(ids[0], #"{"action":"sendPublic","message":"hi"}"#)
        #expect(chat.connections.fanOutCount == before + 1)
    }

    @Test func privateReachesOnlyTheRecipientCaseInsensitively() {
        let chat = ChatFixture()
        let alice = chat.join("alice"), bob = chat.join("Bob"), carol = chat.join("carol")
        chat.clear(alice, bob, carol)
        chat.send(alice, #"{"action":"sendPrivate","message":"psst","to":" BOB "}"#)
        #expect(chat.connections.take(bob) == [#"{"privateMessage":"alice: psst","from":"alice","text":"psst","seq":1,"ts":1000}"#])
        #expect(chat.connections.take(alice).isEmpty, "no echo to the sender")
        #expect(chat.connections.take(carol).isEmpty)
        chat.send(carol, #"{"action":"sendPrivate","message":"2","to":"bob"}"#)
        #expect(chat.connections.take(bob).first?.contains(#""seq":2"#) == true, "the recipient's own counter")
    }

    @Test func privateToYourselfArrivesOnce() {
        let chat = ChatFixture()
        let alice = chat.join("alice")
        chat.clear(alice)
        chat.send(alice, #"{"action":"sendPrivate","message":"note","to":"alice"}"#)
        #expect(chat.connections.take(alice).count == 1)
    }

    @Test func leaveSendsLeftThenMembers() {
        let chat = ChatFixture()
        let alice = chat.join("alice"), bob = chat.join("bob")
        chat.clear(alice, bob)
        chat.handler.disconnect(bob)
        chat.scheduler.runAll()
        #expect(chat.connections.take(alice) == [#"{"systemMessage":"bob has left the chat"}"#, #"{"members":["alice"]}"#])
    }

    @Test func renameIsAnnouncedAndKeepsJoinOrder() {
        let chat = ChatFixture()
        let alice = chat.join("alice"), bob = chat.join("bob")
        chat.clear(alice, bob)
        chat.send(alice, #"{"action":"setName","name":"Ally"}"#)
        chat.scheduler.runAll()
        #expect(chat.connections.take(bob) == [#"{"members":["Ally","bob"]}"#, #"{"systemMessage":"alice is now known as Ally"}"#])
        #expect(chat.handler.attributes(of: alice) == ["name": "Ally"])
    }

    @Test func unknownMembersFeedIsRefused() {
        let chat = ChatFixture()
        let id = ConnectionID(loopIndex: 0, serial: 999_999)
        let decision = chat.handler.connect(ConnectRequest(connectionID: id, path: "/", query: ["members": "some"], sourceIP: nil))
        #expect(decision == .refuse(status: 400, reason: "members must be one of full, delta, none"))
    }
}
