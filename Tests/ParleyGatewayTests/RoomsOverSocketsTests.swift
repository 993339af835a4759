import Foundation
import ParleyTestSupport
import Testing

@testable import ParleyGateway

/// Rooms over real sockets (docs/PROTOCOL.md, "Rooms"): a member of two rooms hears each room's
/// messages once, in that room's `seq` order, marked with its room; nobody hears a room they are
/// not in; errors leave the connection usable; the default room's wire is the tutorial's.
@Suite(.timeLimit(.minutes(2))) struct RoomsOverSocketsTests {
    /// A public message's room (nil: the default room) and seq, or nil for any other event.
    static func publicMessage(_ text: String) -> (room: String?, seq: Int)? {
        guard text.hasPrefix(#"{"publicMessage""#),
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let seq = object["seq"] as? Int
        else { return nil }
        return (object["room"] as? String, seq)
    }

    static func errorCode(_ text: String) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        return (object?["error"] as? [String: Any])?["code"] as? String
    }

    /// A named client outside the default room that has joined `rooms`; each join is confirmed by
    /// the `delta` feed's member snapshot of that room.
    static func member(_ name: String, of rooms: [String], on server: TestServer) async throws -> TestClient {
        let client = try await TestClient.connect(port: server.port, path: "/ws?members=delta&rooms=none")
        try await client.send(#"{"action":"setName","name":"\#(name)"}"#)
        for room in rooms {
            try await client.send(#"{"action":"join","room":"\#(room)"}"#)
            let snapshot = try await client.next()
            #expect(snapshot.hasPrefix(#"{"members":["#) && snapshot.hasSuffix(#","room":"\#(room)"}"#), "\(snapshot)")
        }
        return client
    }

    @Test func aMemberOfTwoRoomsGetsEachRoomsMessagesOnceInOrderAndOutsidersNone() async throws {
        try await withServer { server in
            let carol = try await Self.member("carol", of: ["A", "B"], on: server)
            let dave = try await Self.member("dave", of: ["A"], on: server)
            let erin = try await Self.member("erin", of: ["B"], on: server)
            let lobby = try await server.namedClient("frank")
            let perRoom = 30
            // Both rooms publish at once, from two connections (two event loops).
            async let fromDave: Void = {
                for index in 1...perRoom { try await dave.send(#"{"action":"sendPublic","room":"A","message":"a\#(index)"}"#) }
            }()
            async let fromErin: Void = {
                for index in 1...perRoom { try await erin.send(#"{"action":"sendPublic","room":"B","message":"b\#(index)"}"#) }
            }()
            try await fromDave
            try await fromErin

            var heard: [String: [Int]] = [:]
            while heard.values.map(\.count).reduce(0, +) < 2 * perRoom {
                let text = try await carol.next()
                guard let message = Self.publicMessage(text) else { continue }
                heard[message.room ?? "(default)", default: []].append(message.seq)
            }
            #expect(heard == ["A": Array(1...perRoom), "B": Array(1...perRoom)], "each room once, in its seq order: \(heard)")
            // dave hears A only (his own included); erin B only; the lobby nothing of either.
            var daveHeard: [String?] = []
            while daveHeard.count < perRoom {
                if let message = Self.publicMessage(try await dave.next()) { daveHeard.append(message.room) }
            }
            #expect(daveHeard.allSatisfy { $0 == "A" })
            try await dave.expectSilence(for: .milliseconds(200))
            try await lobby.expectSilence(for: .milliseconds(200))
            for client in [carol, dave, erin, lobby] { await client.close() }
        }
    }

    @Test func roomErrorsAreAnsweredAndTheConnectionStaysUsable() async throws {
        try await withServer(chat: { $0.maximumRoomsPerConnection = 2 }) { server in
            let alice = try await server.namedClient("alice", feed: "delta")
            _ = try await alice.next()  // the default room's snapshot
            let cases: [(String, String)] = [
                (#"{"action":"sendPublic","room":"elsewhere","message":"hi"}"#, "not_in_room"),
                (#"{"action":"join","room":"no spaces"}"#, "invalid_room"),
                (#"{"action":"join","room":"\#(String(repeating: "x", count: 65))"}"#, "invalid_room"),
                (#"{"action":"leave","room":"elsewhere"}"#, "not_in_room"),
            ]
            for (frame, code) in cases {
                try await alice.send(frame)
                #expect(Self.errorCode(try await alice.next()) == code, "\(frame)")
            }
            try await alice.send(#"{"action":"join","room":"one"}"#)
            _ = try await alice.next()
            try await alice.send(#"{"action":"join","room":"two"}"#)
            #expect(Self.errorCode(try await alice.next()) == "too_many_rooms", "the default room and one are two")
            try await alice.send(#"{"action":"sendPublic","message":"still here"}"#)
            let text = try await alice.next()
            #expect(Self.publicMessage(text)?.seq == 1 && !text.contains(#""room""#), "\(text)")
            await alice.close()
        }
    }

    @Test func theTutorialsWireIsUnchanged() async throws {
        try await withServer { server in
            let alice = try await TestClient.connect(port: server.port, path: "/ws")
            try await alice.send(#"{"action":"setName","name":"alice"}"#)
            #expect(try await alice.next() == #"{"members":["alice"]}"#)
            #expect(try await alice.next() == #"{"systemMessage":"alice has joined the chat"}"#)
            try await alice.send(#"{"action":"sendPublic","message":"hi"}"#)
            let text = try await alice.next()
            #expect(text.hasPrefix(#"{"publicMessage":"alice: hi","from":"alice","text":"hi","seq":1,"ts":"#) && text.hasSuffix("}"))
            #expect(!text.contains("room"))
            await alice.close()
        }
    }

    @Test func aJoinResumesTheRoomFromWhereTheClientStopped() async throws {
        try await withServer { server in
            let dave = try await Self.member("dave", of: ["news"], on: server)
            let carol = try await Self.member("carol", of: [], on: server)
            try await carol.send(#"{"action":"join","room":"news","since":0}"#)
            var first: [String: Any]?
            while first == nil {
                let text = try await carol.next()
                first = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]).flatMap {
                    $0["resumed"] as? [String: Any]
                }
            }
            let epoch = try #require(first?["epoch"] as? String)
            for index in 1...3 { try await dave.send(#"{"action":"sendPublic","room":"news","message":"n\#(index)"}"#) }
            var seqs: [Int] = []
            while seqs.count < 3 { if let message = Self.publicMessage(try await carol.next()) { seqs.append(message.seq) } }
            try await carol.send(#"{"action":"leave","room":"news"}"#)
            for index in 4...6 { try await dave.send(#"{"action":"sendPublic","room":"news","message":"n\#(index)"}"#) }
            // dave's own copies show the room numbered them before carol comes back.
            var daveSeqs: [Int] = []
            while daveSeqs.last != 6 { if let message = Self.publicMessage(try await dave.next()) { daveSeqs.append(message.seq) } }
            try await carol.send(#"{"action":"join","room":"news","since":3,"epoch":"\#(epoch)"}"#)
            var replayed: [Int] = []
            var marker: String?
            while marker == nil {
                let text = try await carol.next()
                if let message = Self.publicMessage(text) {
                    #expect(message.room == "news")
                    replayed.append(message.seq)
                } else if text.hasPrefix(#"{"resumed""#) {
                    marker = text
                }
            }
            #expect(replayed == [4, 5, 6])
            #expect(marker == #"{"resumed":{"from":4,"to":6,"epoch":"\#(epoch)"},"room":"news"}"#)
            await carol.close()
            await dave.close()
        }
    }
}
