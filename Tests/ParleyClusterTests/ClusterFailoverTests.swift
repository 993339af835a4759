import Foundation
import ParleyTestSupport
import Testing

/// Failover to a standby: PostgreSQL's synchronous streaming replication, the primary killed,
/// the standby promoted (`pg_ctl promote`). Nodes given both hosts follow the primary: what was
/// numbered before survives with its numbers, what was sent meanwhile is numbered after, once.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ClusterFailoverTests {
    @Test func nodesFollowThePrimaryToItsPromotedStandbyLosingNothingAndNumberingNothingTwice() async throws {
        // The standby listed first: a node must pass over it while it is in recovery.
        try await withFailoverPair(synchronous: true, standbyListedFirst: true) { primary, standby, a, b in
            try await failOver(from: primary, to: standby, nodes: a, b)
        }
    }

    private func failOver(from primary: TestPostgres, to standby: TestPostgres, nodes a: ClusterNode, _ b: ClusterNode) async throws {
        let (alice, bob) = try await aliceAndBob(on: a, and: b)
        for index in 1...3 { try await alice.send(#"{"action":"sendPublic","message":"before \#(index)"}"#) }
        let before = try await bob.publicMessages(3, within: .seconds(15))
        _ = try await alice.publicMessages(3, within: .seconds(15))
        #expect(before.map(\.seq) == Array(before[0].seq..<(before[0].seq + 3)), "\(before)")
        // Synchronous: the standby had every commit before the primary acknowledged it.
        #expect(try await primary.value("SELECT string_agg(sync_state, ',') FROM pg_stat_replication") == "sync")
        #expect(try await standby.value("SELECT pg_is_in_recovery()") == "t")

        try await primary.kill()
        try await a.waitUntilDisconnected()
        try await b.waitUntilDisconnected()
        try await alice.send(#"{"action":"sendPublic","message":"during"}"#)
        try await a.waitForOutbox(1)
        try await standby.promote()
        try await a.waitUntilConnected(within: .seconds(20))
        try await b.waitUntilConnected(within: .seconds(20))
        #expect(try await standby.value("SELECT pg_is_in_recovery()") == "f")

        // The held message, then one sent after: both numbered after what the old primary had.
        try await alice.send(#"{"action":"sendPublic","message":"after"}"#)
        let last = before[2].seq
        for client in [bob, alice] {
            let heard = try await client.publicMessages(2, within: .seconds(15))
            #expect(heard.map(\.text) == ["during", "after"], "\(heard)")
            #expect(heard.map(\.seq) == [last + 1, last + 2], "\(heard)")
        }
        try await bob.expectSilence()
        // Who was away resumes on the promoted history without a gap: all of it, once.
        let epoch = try await resumedEpoch(at: b)
        let carol = try await b.client(named: "carol", resume: "since=\(before[0].seq - 1)&epoch=\(epoch)")
        let replayed = try await carol.publicMessages(5, within: .seconds(15))
        #expect(replayed.map(\.text) == ["before 1", "before 2", "before 3", "during", "after"], "\(replayed)")
        #expect(replayed.map(\.seq) == Array(before[0].seq...(last + 2)), "\(replayed)")
        let resumed = try jsonObject(try await carol.next(within: .seconds(10)))["resumed"] as? [String: Any]
        #expect(resumed?["from"] as? Int == before[0].seq && resumed?["to"] as? Int == last + 2, "\(String(describing: resumed))")
        try await carol.expectSilence()
    }

    /// Asynchronous replication, the standby behind by one message when the primary dies: the
    /// promoted database's room is behind what the nodes delivered. They start a new history
    /// numbered past it: everyone is told `resumeFailed: epoch`, the next message takes a seq no
    /// earlier message had, and a member resuming with the old epoch is told the same.
    @Test func aFailoverThatLostTheLastMessageStartsANewHistoryAndNumbersNothingTwice() async throws {
        try await withFailoverPair(synchronous: false, standbyListedFirst: false) { primary, standby, a, b in
            try await loseTheTail(from: primary, to: standby, nodes: a, b)
        }
    }

    private func loseTheTail(from primary: TestPostgres, to standby: TestPostgres, nodes a: ClusterNode, _ b: ClusterNode) async throws {
        let (alice, bob) = try await aliceAndBob(on: a, and: b)
        let oldEpoch = try await resumedEpoch(at: b)
        try await alice.send(#"{"action":"sendPublic","message":"kept"}"#)
        let kept = try await bob.publicMessages(1)[0]
        _ = try await alice.publicMessages(1)
        let deadline = ContinuousClock.now + .seconds(15)
        // Replayed, however late (its tables too: they were made after the base backup).
        while (try? await standby.value("SELECT public_seq FROM parley_room")) != "\(kept.seq)" {
            guard ContinuousClock.now < deadline else { throw TestPostgres.Failed(description: "the standby did not replay") }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await standby.detachFromPrimary()
        try await alice.send(#"{"action":"sendPublic","message":"lost"}"#)
        let lost = try await bob.publicMessages(1)[0]
        _ = try await alice.publicMessages(1)
        #expect(lost.seq == kept.seq + 1)
        #expect(try await standby.value("SELECT public_seq FROM parley_room") == "\(kept.seq)", "the standby never got it")

        try await primary.kill()
        try await a.waitUntilDisconnected()
        try await b.waitUntilDisconnected()
        try await standby.promote()
        try await a.waitUntilConnected(within: .seconds(20))
        try await b.waitUntilConnected(within: .seconds(20))

        var newEpochs = Set<String>()
        for client in [alice, bob] {
            let failed = try await client.event("resumeFailed", within: .seconds(15))
            #expect(failed["reason"] as? String == "epoch", "\(failed)")
            newEpochs.insert(failed["epoch"] as? String ?? "")
        }
        #expect(newEpochs.count == 1 && !newEpochs.contains(oldEpoch) && !newEpochs.contains(""), "\(newEpochs) after \(oldEpoch)")
        try await alice.send(#"{"action":"sendPublic","message":"after"}"#)
        for client in [alice, bob] {
            let heard = try await client.publicMessages(1, within: .seconds(15))
            #expect(heard[0].text == "after" && heard[0].seq > lost.seq, "no seq names two messages: \(heard) after \(lost)")
        }
        let carol = try await b.client(named: "carol", resume: "since=\(kept.seq)&epoch=\(oldEpoch)")
        let failed = try await carol.event("resumeFailed", within: .seconds(15))
        #expect(failed["reason"] as? String == "epoch" && newEpochs.contains(failed["epoch"] as? String ?? ""), "\(failed)")
    }

    /// A primary, its streaming standby and two nodes given both hosts: what each test fails
    /// over. The standby and the nodes are stopped whatever the body does.
    private func withFailoverPair(
        synchronous: Bool,
        standbyListedFirst: Bool,
        _ body: (TestPostgres, TestPostgres, ClusterNode, ClusterNode) async throws -> Void
    ) async throws {
        try await withPostgres(synchronousStandby: synchronous) { primary in
            let standby = try await primary.startStandby()
            let ports = standbyListedFirst ? [standby.port, primary.port] : [primary.port, standby.port]
            let hosts = ports.map { "127.0.0.1:\($0)" }.joined(separator: ",")
            let url = "postgres://postgres@\(hosts)/postgres?target_session_attrs=read-write"
            do {
                let a = try await ClusterNode.start(primary, name: "a", deadNodeAfter: .seconds(10), url: url)
                let b = try await ClusterNode.start(primary, name: "b", deadNodeAfter: .seconds(10), url: url)
                defer {
                    Task {
                        await a.stop()
                        await b.stop()
                    }
                }
                try await body(primary, standby, a, b)
            } catch {
                await standby.stop()
                throw error
            }
            await standby.stop()
        }
    }

    /// The default room's epoch as a node tells a newcomer who asks where the room stands.
    private func resumedEpoch(at node: ClusterNode) async throws -> String {
        let probe = try await node.client(named: "probe", resume: "since=latest")
        defer { Task { await probe.close() } }
        while true {
            let event = try jsonObject(try await probe.next(within: .seconds(10)))
            if let resumed = event["resumed"] as? [String: Any], let epoch = resumed["epoch"] as? String { return epoch }
        }
    }
}
