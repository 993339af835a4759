import ParleyChat
import ParleyProtocol
import Testing

@Suite struct PresenceTests {
    @Test func burstOfJoinsInOneWindowIsOneMembersEvent() {
        let chat = ChatFixture()
        let watcher = chat.join("watcher")
        chat.clear(watcher)
        for index in 0..<50 {
            let id = chat.connect(feed: "none")
            chat.send(id, #"{"action":"setName","name":"n\#(index)"}"#)
        }
        chat.scheduler.runAll()
        let received = chat.connections.take(watcher)
        #expect(received.filter { $0.hasPrefix(#"{"members""#) }.count == 1)
        #expect(received.first?.hasPrefix(#"{"members":["watcher","n0","#) == true)
        #expect(received.filter { $0.hasPrefix(#"{"systemMessage""#) }.count == 50)
        #expect(received.count == 51)
    }

    @Test func mixedWindowOrderLeavesMembersJoins() {
        let chat = ChatFixture()
        let watcher = chat.join("w"), gone = chat.join("gone")
        chat.clear(watcher, gone)
        let newcomer = chat.connect()
        chat.send(newcomer, #"{"action":"setName","name":"new"}"#)
        chat.handler.disconnect(gone)
        chat.scheduler.runAll()
        #expect(
            chat.connections.take(watcher) == [
                #"{"systemMessage":"gone has left the chat"}"#,
                #"{"members":["w","new"]}"#,
                #"{"systemMessage":"new has joined the chat"}"#,
            ])
        // The newcomer hears only changes from its own join on: the leave came after it, so it counts.
        #expect(
            chat.connections.take(newcomer) == [
                #"{"systemMessage":"gone has left the chat"}"#,
                #"{"members":["w","new"]}"#,
                #"{"systemMessage":"new has joined the chat"}"#,
            ])
    }

    @Test func newcomerDoesNotHearChangesBeforeItsJoin() {
        let chat = ChatFixture()
        let watcher = chat.join("w"), gone = chat.join("gone")
        chat.clear(watcher, gone)
        chat.handler.disconnect(gone)
        let newcomer = chat.connect()
        chat.send(newcomer, #"{"action":"setName","name":"new"}"#)
        chat.scheduler.runAll()
        #expect(chat.connections.take(newcomer) == [#"{"members":["w","new"]}"#, #"{"systemMessage":"new has joined the chat"}"#])
        #expect(chat.connections.take(watcher).count == 3)
    }

    @Test func deltaFeedGetsSnapshotThenDeltasOnly() {
        let chat = ChatFixture()
        _ = chat.join("alice")
        let delta = chat.connect(feed: "delta")
        chat.send(delta, #"{"action":"setName","name":"dee"}"#)
        #expect(chat.connections.take(delta) == [#"{"members":["alice","dee"]}"#], "snapshot at once")
        chat.scheduler.runAll()
        #expect(chat.connections.take(delta).isEmpty, "its own join is in the snapshot")
        let bob = chat.join("bob")
        chat.send(bob, #"{"action":"setName","name":"rob"}"#)
        chat.handler.disconnect(bob)
        chat.scheduler.runAll()
        #expect(chat.connections.take(delta) == [#"{"joined":"bob"}"#, #"{"renamed":{"from":"bob","to":"rob"}}"#, #"{"left":"rob"}"#])
    }

    @Test func noneFeedGetsNoPresenceButMessages() {
        let chat = ChatFixture()
        let quiet = chat.join("quiet", feed: "none")
        #expect(chat.connections.take(quiet).isEmpty)
        let bob = chat.join("bob")
        chat.handler.disconnect(bob)
        chat.scheduler.runAll()
        #expect(chat.connections.take(quiet).isEmpty)
        let alice = chat.join("alice")
        chat.send(alice, #"{"action":"sendPublic","message":"hi"}"#)
        #expect(chat.connections.take(quiet).count == 1)
    }

    @Test func aboveLimitFullClientsGetACountNotPerJoinTexts() {
        let chat = ChatFixture {
            $0.presenceLimit = 3
            $0.membersOnlineInterval = .zero
        }
        let watcher = chat.join("w")
        let delta = chat.join("d", feed: "delta")
        _ = chat.join("a", feed: "none")
        chat.clear(watcher, delta)
        _ = chat.join("b", feed: "none")  // 4 named: above the limit
        #expect(chat.connections.take(watcher) == [#"{"systemMessage":"4 members online"}"#])
        #expect(chat.connections.take(delta) == [#"{"joined":"b"}"#], "delta keeps its deltas")
    }

    @Test func membersOnlineNoticeIsRateLimited() {
        let chat = ChatFixture {
            $0.presenceLimit = 1
            $0.membersOnlineInterval = .seconds(3600)
        }
        let watcher = chat.join("w")
        _ = chat.join("a", feed: "none")
        #expect(chat.connections.take(watcher).filter { $0.contains("members online") }.count == 1)
        _ = chat.join("b", feed: "none")
        _ = chat.join("c", feed: "none")
        #expect(chat.connections.take(watcher).isEmpty, "at most one notice per interval")
    }
}
