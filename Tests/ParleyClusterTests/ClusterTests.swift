import Foundation
import ParleyTestSupport
import Testing

/// Several gateway nodes over one real PostgreSQL (started by each test, removed after), with
/// real WebSocket clients on loopback.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ClusterTests {
    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func publicAndPrivateMessagesCrossNodes() async throws {
        try await withPostgres { postgres in
            try await withCluster(postgres, nodes: 3) { nodes in
                let alice = try await nodes[0].client(named: "alice")
                try await nodes.forEach { try await $0.waitForMembers(["alice"]) }
                let bob = try await nodes[1].client(named: "bob")
                try await nodes.forEach { try await $0.waitForMembers(["alice", "bob"]) }
                let carol = try await nodes[2].client(named: "carol")
                try await nodes.forEach { try await $0.waitForMembers(["alice", "bob", "carol"]) }

                try await alice.send(#"{"action":"sendPublic","message":"hello, cluster"}"#)
                for client in [alice, bob, carol] {
                    let event = try json(try await client.next())
                    #expect(event["publicMessage"] as? String == "alice: hello, cluster")
                    #expect(event["seq"] as? Int == 1)
                }

                try await bob.send(#"{"action":"sendPrivate","message":"psst","to":"ALICE"}"#)
                let secret = try json(try await alice.next())
                #expect(secret["privateMessage"] as? String == "bob: psst")
                #expect(secret["seq"] as? Int == 1)
                try await carol.expectSilence()
                try await bob.expectSilence(for: .milliseconds(50))

                // Text too big for a NOTIFY payload travels through the payload table, intact.
                let big = String(repeating: "ü\u{1}\"", count: 1_300)
                let frame = String(
                    decoding: try JSONSerialization.data(withJSONObject: ["action": "sendPublic", "message": big]), as: UTF8.self)
                try await carol.send(frame)
                for client in [alice, bob, carol] {
                    let event = try json(try await client.next())
                    #expect(event["text"] as? String == big)
                    #expect(event["seq"] as? Int == 2)
                }
                try await carol.send(
                    String(
                        decoding: try JSONSerialization.data(withJSONObject: ["action": "sendPrivate", "message": big, "to": "bob"]),
                        as: UTF8.self))
                #expect(try json(try await bob.next())["text"] as? String == big)

                // A private message to somebody nobody knows is refused by the sender's node.
                try await alice.send(#"{"action":"sendPrivate","message":"?","to":"zed"}"#)
                let error = try json(try await alice.next())["error"] as? [String: Any]
                #expect(error?["code"] as? String == "unknown_recipient")
            }
        }
    }

    @Test func membersListsAreTheSameOnEveryNode() async throws {
        try await withPostgres { postgres in
            try await withCluster(postgres, nodes: 3) { nodes in
                // An observer with the tutorial's full feed on each node.
                var observers: [TestClient] = []
                for (index, node) in nodes.enumerated() {
                    observers.append(try await node.client(named: "watcher\(index)", feed: "full"))
                }
                // Six members join at once, two per node.
                var joiners: [TestClient] = []
                for index in 0..<6 {
                    joiners.append(try await nodes[index % 3].client(named: "m\(index)"))
                }
                let expectedCount = 9
                var finalLists: [[String]] = []
                for observer in observers {
                    var last: [String] = []
                    while last.count != expectedCount {
                        let event = try json(try await observer.next())
                        if let members = event["members"] as? [String] { last = members }
                    }
                    finalLists.append(last)
                }
                #expect(Set(finalLists.map { $0.joined(separator: ",") }).count == 1, "\(finalLists)")
                for node in nodes { #expect(node.handler.memberNames == finalLists[0]) }
                _ = joiners
            }
        }
    }

    @Test func aNameIsTakenOnceAcrossNodesEvenWhenClaimedAtTheSameMoment() async throws {
        try await withPostgres { postgres in
            try await withCluster(postgres, nodes: 2) { nodes in
                for round in 0..<5 {
                    let name = "eve\(round)"
                    async let first = nodes[0].client(named: name)
                    async let second = nodes[1].client(named: name.uppercased())
                    let clients = try await [first, second]
                    // Both ask themselves for a reply: the winner's arrives, the loser gets name_taken.
                    var outcomes: [String] = []
                    for (client, asked) in zip(clients, [name, name.uppercased()]) {
                        try await client.send(#"{"action":"sendPrivate","message":"me?","to":"\#(asked)"}"#)
                        let event = try json(try await client.next())
                        if let error = event["error"] as? [String: Any] {
                            outcomes.append(error["code"] as? String ?? "?")
                        } else {
                            outcomes.append(event["privateMessage"] != nil ? "joined" : "?")
                        }
                    }
                    #expect(outcomes.sorted() == ["joined", "name_taken"], "round \(round): \(outcomes)")
                }
                try await nodes[0].waitForMembers(nodes[1].handler.memberNames)
                #expect(nodes[0].handler.memberNames.count == 5)
            }
        }
    }

    @Test func aKilledNodesMembersLeaveWithinTheBound() async throws {
        try await withPostgres { postgres in
            try await withCluster(postgres, nodes: 1, deadNodeAfter: .seconds(2)) { nodes in
                let observer = try await nodes[0].client(named: "watcher", feed: "full")
                let victim = try await ParleyProcess.start(postgresURL: postgres.url, nodeID: "victim", deadNodeAfterSeconds: 2)
                defer { victim.kill() }
                let frank = try await TestClient.connect(port: victim.port, path: "/ws?members=none")
                try await frank.send(#"{"action":"setName","name":"frank"}"#)
                try await nodes[0].waitForMembers(["watcher", "frank"])
                victim.kill()
                let killed = ContinuousClock.now
                var left = false
                while !left {
                    let event = try json(try await observer.next(within: .seconds(8)))
                    left = event["systemMessage"] as? String == "frank has left the chat"
                }
                let elapsed = ContinuousClock.now - killed
                // The bound: silence for 2 s, noticed at the next 200 ms heartbeat, plus slack.
                #expect(elapsed < .seconds(4), "leave took \(elapsed)")
                #expect(nodes[0].handler.memberNames == ["watcher"])
            }
        }
    }

    @Test func afterPostgresRestartsMessagesFlowAgainWithoutDuplicates() async throws {
        try await withPostgres { postgres in
            // A generous dead-node bound: this test is about the restart, and on a loaded machine
            // one node may reconnect seconds after the other, which a 2 s bound would call death.
            try await withCluster(postgres, nodes: 2, deadNodeAfter: .seconds(10)) { nodes in
                let alice = try await nodes[0].client(named: "alice")
                let amy = try await nodes[0].client(named: "amy")
                let bob = try await nodes[1].client(named: "bob")
                // amy's and bob's claims race from two nodes: either may join first, but every
                // node sees the same order.
                try await nodes.forEach { try await $0.waitForMembers(inAnyOrder: ["alice", "amy", "bob"]) }
                #expect(nodes[0].handler.memberNames == nodes[1].handler.memberNames)
                try await alice.send(#"{"action":"sendPublic","message":"before"}"#)
                var amySeqs: [Int] = []
                for client in [amy, alice, bob] {
                    let event = try json(try await client.next())
                    #expect(event["text"] as? String == "before")
                    if client === amy { amySeqs.append(event["seq"] as? Int ?? -1) }
                }

                try await postgres.stopServer()
                try await nodes.forEach { try await $0.waitUntilDisconnected() }
                // Meanwhile the node keeps its members and holds their public messages: nobody,
                // not even the sender's neighbours, hears one before the cluster numbered it.
                for index in 1...3 {
                    try await alice.send(#"{"action":"sendPublic","message":"held \#(index)"}"#)
                }
                try await amy.expectSilence()
                try await bob.expectSilence()
                try await nodes[0].waitForOutbox(3)

                try await postgres.startServer()
                for node in nodes { try await node.waitUntilConnected() }
                // Then everyone has them once, in the order sent, with the cluster's next numbers.
                for client in [amy, bob, alice] {
                    var held: [(String, Int)] = []
                    while held.count < 3 {
                        let event = try json(try await client.next(within: .seconds(10)))
                        guard let text = event["text"] as? String else { continue }
                        held.append((text, event["seq"] as? Int ?? -1))
                    }
                    #expect(held.map(\.0) == ["held 1", "held 2", "held 3"], "\(held)")
                    if client === amy { amySeqs += held.map(\.1) }
                }
                #expect(nodes[0].bus.outboxCount == 0)
                // The same members everywhere (their order is the table's after a resynchronization).
                try await nodes.forEach { try await $0.waitForMembers(inAnyOrder: ["alice", "amy", "bob"]) }

                for index in 1...5 {
                    try await alice.send(#"{"action":"sendPublic","message":"after \#(index)"}"#)
                }
                var seqs: [Int] = []
                for _ in 1...5 {
                    let event = try json(try await bob.next())
                    #expect((event["text"] as? String)?.hasPrefix("after ") == true)
                    seqs.append(event["seq"] as? Int ?? -1)
                }
                #expect(seqs == Array(seqs[0]..<(seqs[0] + 5)), "\(seqs)")
                // A seq names one message: at a client on the node that was cut off, every seq
                // across the outage is new and larger than the last.
                for _ in 1...5 { amySeqs.append(try json(try await amy.next())["seq"] as? Int ?? -1) }
                #expect(amySeqs == Array(amySeqs[0]..<(amySeqs[0] + 9)), "seqs at amy across the outage: \(amySeqs)")
                try await bob.send(#"{"action":"sendPrivate","message":"welcome back","to":"alice"}"#)
                var aliceSaw: [String] = []
                while aliceSaw.count < 6 { aliceSaw.append(try await alice.next()) }
                #expect(aliceSaw.filter { $0.contains("welcome back") }.count == 1)
                try await alice.expectSilence()
                try await bob.expectSilence()
            }
        }
    }
}

extension Array {
    func forEach(_ body: (Element) async throws -> Void) async throws {
        for element in self { try await body(element) }
    }
}
