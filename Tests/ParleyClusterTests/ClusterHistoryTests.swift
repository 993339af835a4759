import Foundation
import ParleyTestSupport
import Testing

/// The cluster's history in PostgreSQL: a client that comes back on any node resumes where it
/// stopped, under an epoch that survives node and database restarts, with nothing lost or doubled
/// while messages keep coming; the history stays bounded. (Part of the serialized cluster suite.)
extension ClusterTests {
    /// The `resumed` (or `resumeFailed`) marker's fields, reading past nothing else.
    private func marker(_ client: TestClient, _ key: String = "resumed") async throws -> [String: Any] {
        let event = try json(try await client.next())
        return try #require(event[key] as? [String: Any], "expected \(key), got \(event)")
    }

    /// The message's seq (-1: not a message).
    private func seq(_ text: String) -> Int {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["seq"] as? Int ?? -1
    }

    @Test func aClientResumesOnAnotherNodeAndTheEpochOutlivesNodeAndDatabaseRestarts() async throws {
        try await withPostgres { postgres in
            try await withCluster(postgres, nodes: 2, deadNodeAfter: .seconds(10)) { nodes in
                let alice = try await nodes[0].client(named: "alice")
                let bob = try await nodes[1].client(named: "bob", resume: "since=latest")
                let first = try await marker(bob)
                let epoch = try #require(first["epoch"] as? String)
                #expect(epoch.count == 16 && first["to"] as? Int == 0, "\(first)")
                try await nodes.forEach { try await $0.waitForMembers(inAnyOrder: ["alice", "bob"]) }

                for index in 1...10 { try await alice.send(#"{"action":"sendPublic","message":"m\#(index)"}"#) }
                #expect(try await alice.next(10).map(seq) == Array(1...10))
                #expect(try await bob.next(3).map(seq) == [1, 2, 3])
                await bob.close()

                // Back on the other node, holding 3: 4…10 in order, then the marker.
                // A new name each time: the old one is released when its leave is decided, which for
                // a leave sent just before the database stops is only once it is back.
                let back = try await nodes[0].client(named: "bob2", resume: "since=3&epoch=\(epoch)")
                let replay = try await back.next(7)
                #expect(replay.map(seq) == Array(4...10))
                #expect(try json(replay[0])["text"] as? String == "m4")
                let resumed = try await marker(back)
                #expect(resumed["from"] as? Int == 4 && resumed["to"] as? Int == 10 && resumed["epoch"] as? String == epoch)
                await back.close()

                // A node that was not there when they were sent, and after the database restarted:
                // the same epoch, the same messages.
                try await postgres.stopServer()
                try await postgres.startServer()
                for node in nodes { try await node.waitUntilConnected() }
                let late = try await ClusterNode.start(postgres, name: "c", deadNodeAfter: .seconds(10))
                let again = try await late.client(named: "bob3", resume: "since=8&epoch=\(epoch)")
                #expect(try await again.next(2).map(seq) == [9, 10])
                #expect(try await marker(again)["epoch"] as? String == epoch)
                // Another epoch (say, a wiped database): the client is told, not silently misled.
                let stranger = try await late.client(named: "carl", resume: "since=8&epoch=0123456789abcdef")
                let failed = try await marker(stranger, "resumeFailed")
                #expect(failed["reason"] as? String == "epoch" && failed["epoch"] as? String == epoch)
                await late.stop()
            }
        }
    }

    @Test func messagesSentWhileAClientResumesArriveOnceAndInOrderAfterTheReplay() async throws {
        try await withPostgres { postgres in
            try await withCluster(postgres, nodes: 2) { nodes in
                let alice = try await nodes[0].client(named: "alice")
                try await nodes.forEach { try await $0.waitForMembers(["alice"]) }
                for index in 1...20 { try await alice.send(#"{"action":"sendPublic","message":"m\#(index)"}"#) }
                #expect(try await alice.next(20).map(seq) == Array(1...20))
                let epoch = try await postgres.value("SELECT epoch FROM parley_room")

                // alice keeps sending while bob comes back on the other node holding 10.
                let sending = Task {
                    for index in 21...120 {
                        try await alice.send(#"{"action":"sendPublic","message":"m\#(index)"}"#)
                        if index % 10 == 0 { try await Task.sleep(for: .milliseconds(5)) }
                    }
                }
                try await Task.sleep(for: .milliseconds(20))
                let bob = try await nodes[1].client(named: "bob", resume: "since=10&epoch=\(epoch)")
                try await sending.value
                var seqs: [Int] = []
                var markers: [[String: Any]] = []
                while seqs.last != 120 {
                    let event = try json(try await bob.next())
                    if let resumed = event["resumed"] as? [String: Any] {
                        markers.append(resumed)
                    } else {
                        seqs.append(event["seq"] as? Int ?? -1)
                    }
                }
                #expect(seqs == Array(11...120), "bob saw \(seqs)")
                #expect(markers.count == 1)
                let to = markers.first?["to"] as? Int ?? -1
                #expect(to >= 20 && to <= 120, "the replay covered up to \(to)")
                try await bob.expectSilence()
            }
        }
    }

    @Test func theHistoryIsTrimmedToItsSizeAndAnOlderGapSaysWhatIsGone() async throws {
        try await withPostgres { postgres in
            try await withCluster(postgres, nodes: 1, historySize: 5) { nodes in
                let alice = try await nodes[0].client(named: "alice")
                for index in 1...20 { try await alice.send(#"{"action":"sendPublic","message":"m\#(index)"}"#) }
                _ = try await alice.next(20)
                // The heartbeat (every 200 ms here) trims the table.
                let deadline = ContinuousClock.now + .seconds(5)
                var rows = try await postgres.value("SELECT count(*) FROM parley_history")
                while rows != "5" && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                    rows = try await postgres.value("SELECT count(*) FROM parley_history")
                }
                #expect(rows == "5")
                let epoch = try await postgres.value("SELECT epoch FROM parley_room")
                let bob = try await nodes[0].client(named: "bob", resume: "since=2&epoch=\(epoch)")
                let failed = try await marker(bob, "resumeFailed")
                #expect(failed["reason"] as? String == "expired" && failed["oldest"] as? Int == 16, "\(failed)")
            }
        }
    }
}
