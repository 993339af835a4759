import Foundation
import ParleyCluster
import ParleyTestSupport
import Synchronization
import Testing

/// Named rooms across a cluster (docs/ARCHITECTURE.md, "Rooms across the cluster"): a node
/// receives the events of rooms it has members in, and only those; a room's order and resume
/// hold across nodes.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ClusterRoomsTests {
    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    /// A public message's room and seq, or nil for any other event.
    static func publicMessage(_ text: String) -> (room: String?, seq: Int)? {
        let event = json(text)
        guard event["publicMessage"] != nil, let seq = event["seq"] as? Int else { return nil }
        return (event["room"] as? String, seq)
    }

    /// `client` joins `room`, confirmed by the delta feed's snapshot of it; returns the snapshot.
    static func join(_ client: TestClient, _ room: String, extra: String = "") async throws -> [String] {
        try await client.send(#"{"action":"join","room":"\#(room)"\#(extra)}"#)
        while true {
            let event = json(try await client.next())
            if event["room"] as? String == room, let members = event["members"] as? [String] { return members }
        }
    }

    /// Reads `client`'s public messages of `room` until it holds `count` of them.
    static func seqs(_ client: TestClient, in room: String, count: Int) async throws -> [Int] {
        var seqs: [Int] = []
        while seqs.count < count {
            if let message = publicMessage(try await client.next()), message.room == room { seqs.append(message.seq) }
        }
        return seqs
    }

    @Test func aRoomsTrafficReachesOnlyTheNodesWithItsMembers() async throws {
        try await withPostgres { postgres in
            try await withCluster(postgres, nodes: 4) { nodes in
                // What `parley serve` puts on /metrics, heard from node b's bus.
                let observed = Mutex((events: 0, watched: [Int]()))
                nodes[1].bus.observe(
                    BusObserver(
                        roomEvent: { observed.withLock { $0.events += 1 } },
                        watchedRooms: { count in observed.withLock { $0.watched.append(count) } }
                    ))
                let anna = try await nodes[0].client(named: "anna", feed: "delta")
                let ben = try await nodes[1].client(named: "ben", feed: "delta")
                let cleo = try await nodes[2].client(named: "cleo")
                let dan = try await nodes[3].client(named: "dan")
                try await nodes.forEach { try await $0.waitForMembers(inAnyOrder: ["anna", "ben", "cleo", "dan"]) }
                #expect(try await Self.join(anna, "R") == ["anna"])
                #expect(try await Self.join(ben, "R") == ["anna", "ben"], "node b read the room's members when it began to watch it")

                for index in 1...20 { try await anna.send(#"{"action":"sendPublic","room":"R","message":"r\#(index)"}"#) }
                #expect(try await Self.seqs(ben, in: "R", count: 20) == Array(1...20))
                #expect(try await Self.seqs(anna, in: "R", count: 20) == Array(1...20))
                // The default room still spans every node.
                try await cleo.send(#"{"action":"sendPublic","message":"lobby"}"#)
                for client in [anna, ben, cleo, dan] {
                    var message: (room: String?, seq: Int)?
                    while message == nil { message = Self.publicMessage(try await client.next()) }
                    #expect(message?.room == nil && message?.seq == 1)
                }
                let received = nodes.map(\.bus.roomEventsReceived)
                #expect(received[2] == 0 && received[3] == 0, "nodes c and d have no member in R: \(received)")
                #expect(received[0] >= 22 && received[1] >= 21, "a and b hear R's joins and its 20 messages: \(received)")

                // ben leaves: node b stops watching R, and R's traffic stops reaching it.
                try await ben.send(#"{"action":"leave","room":"R"}"#)
                let deadline = ContinuousClock.now + .seconds(5)
                while nodes[1].bus.watchedRoomCount != 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
                #expect(nodes[1].bus.watchedRoomCount == 0)
                try await Task.sleep(for: .milliseconds(200))
                let afterLeaving = nodes[1].bus.roomEventsReceived
                for index in 21...25 { try await anna.send(#"{"action":"sendPublic","room":"R","message":"r\#(index)"}"#) }
                #expect(try await Self.seqs(anna, in: "R", count: 5) == Array(21...25))
                try await Task.sleep(for: .milliseconds(200))
                #expect(nodes[1].bus.roomEventsReceived == afterLeaving, "no traffic of R after the last member here left")
                let heard = observed.withLock { $0 }
                #expect(heard.events == afterLeaving && heard.watched == [1, 0], "\(heard)")
                // What ben still gets is the lobby's presence, never R's messages.
                while let text = try? await ben.next(within: .milliseconds(150)) {
                    #expect(Self.publicMessage(text)?.room != "R", "\(text)")
                }
                for client in [anna, ben, cleo, dan] { await client.close() }
            }
        }
    }

    @Test func aRoomResumesOnAnotherNodeAfterItsNodeStops() async throws {
        try await withPostgres { postgres in
            try await withCluster(postgres, nodes: 3) { nodes in
                let anna = try await nodes[0].client(named: "anna", feed: "delta")
                _ = try await Self.join(anna, "news")
                var ben = try await nodes[1].client(named: "ben", feed: "delta")
                try await ben.send(#"{"action":"join","room":"news","since":0}"#)
                var epoch: String?
                while epoch == nil {
                    let event = Self.json(try await ben.next())
                    if event["room"] as? String == "news", let resumed = event["resumed"] as? [String: Any] {
                        epoch = resumed["epoch"] as? String
                    }
                }
                for index in 1...5 { try await anna.send(#"{"action":"sendPublic","room":"news","message":"n\#(index)"}"#) }
                #expect(try await Self.seqs(ben, in: "news", count: 5) == Array(1...5))

                await nodes[1].stop()
                for index in 6...10 { try await anna.send(#"{"action":"sendPublic","room":"news","message":"n\#(index)"}"#) }
                #expect(try await Self.seqs(anna, in: "news", count: 10) == Array(1...10))

                // Back on node c, where the room was never watched: the join resumes from 5.
                ben = try await nodes[2].client(named: "ben", feed: "delta")
                try await ben.send(#"{"action":"join","room":"news","since":5,"epoch":"\#(epoch!)"}"#)
                var replayed: [Int] = []
                var marker: [String: Any]?
                while marker == nil {
                    let text = try await ben.next()
                    let event = Self.json(text)
                    if let message = Self.publicMessage(text), message.room == "news" {
                        replayed.append(message.seq)
                    } else if event["room"] as? String == "news", let resumed = event["resumed"] as? [String: Any] {
                        marker = resumed
                    }
                }
                #expect(replayed == Array(6...10), "no gap and no duplicate: \(replayed)")
                #expect(marker?["from"] as? Int == 6 && marker?["to"] as? Int == 10 && marker?["epoch"] as? String == epoch)
                try await anna.send(#"{"action":"sendPublic","room":"news","message":"n11"}"#)
                #expect(try await Self.seqs(ben, in: "news", count: 1) == [11])
                await anna.close()
                await ben.close()
            }
        }
    }
}
