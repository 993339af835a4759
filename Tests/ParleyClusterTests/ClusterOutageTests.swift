import Foundation
import Logging
import ParleyChat
import ParleyProtocol
import ParleyTestSupport
import PostgresNIO
import Testing

@testable import ParleyCluster

/// The database away, or one node cut from it: nothing a member sent is delivered to some and
/// never to others — it reaches everyone once, in order, after the heal, or its sender is told.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ClusterOutageTests {
    /// Node a on a fresh database, node b reaching it through a proxy that can cut it off; both
    /// stopped after `body`. The dead-node bound is longer than any cut here: these tests are
    /// about what b holds and catches up, not the reaping of a silent node.
    private func withNodeBehindProxy(
        settings configure: (inout ClusterSettings) -> Void = { _ in },
        _ body: (ClusterNode, ClusterNode, CuttableProxy) async throws -> Void
    ) async throws {
        try await withPostgres { postgres in
            let proxy = try await CuttableProxy(toPort: postgres.port)
            let a = try await ClusterNode.start(postgres, name: "a", deadNodeAfter: .seconds(20))
            let b = try await ClusterNode.start(postgres, name: "b", deadNodeAfter: .seconds(20), through: proxy, settings: configure)
            do {
                try await body(a, b, proxy)
            } catch {
                for node in [a, b] { await node.stop() }
                await proxy.stop()
                throw error
            }
            for node in [a, b] { await node.stop() }
            await proxy.stop()
        }
    }

    @Test func aMessageHeldLongerThanTheOutboxTTLIsRefusedToItsSenderAndNobodyEverGetsIt() async throws {
        try await withPostgres { postgres in
            let a = try await ClusterNode.start(postgres, name: "a", deadNodeAfter: .seconds(10)) { $0.outboxTTL = .seconds(1) }
            let b = try await ClusterNode.start(postgres, name: "b", deadNodeAfter: .seconds(10))
            defer {
                Task {
                    await a.stop()
                    await b.stop()
                }
            }
            let (alice, bob) = try await aliceAndBob(on: a, and: b)
            try await alice.send(#"{"action":"sendPublic","message":"before"}"#)
            let before = try await bob.publicMessages(1)[0].seq
            _ = try await alice.publicMessages(1)

            try await postgres.stopServer()
            try await a.waitUntilDisconnected()
            try await alice.send(#"{"action":"sendPublic","message":"lost in the outage"}"#)
            // The grace (2 s) for a connection, then the TTL (1 s) in the outbox: the sender is told.
            let error = try jsonObject(try await alice.next(within: .seconds(8)))
            let detail = try #require(error["error"] as? [String: Any], "\(error)")
            #expect(detail["code"] as? String == "unavailable" && detail["action"] as? String == "sendPublic", "\(error)")
            #expect((detail["message"] as? String)?.contains("nobody received it") == true, "\(error)")
            #expect(a.bus.outboxCount == 0)

            try await postgres.startServer()
            try await a.waitUntilConnected()
            try await b.waitUntilConnected()
            try await alice.send(#"{"action":"sendPublic","message":"after"}"#)
            for client in [alice, bob] {
                let heard = try await client.publicMessages(1)
                #expect(heard[0].text == "after" && heard[0].seq == before + 1, "the refused message took no seq: \(heard)")
            }
            try await bob.expectSilence()
        }
    }

    @Test func aNodeCutFromTheDatabaseCatchesItsMembersUpAndItsHeldMessagesFollowInOrder() async throws {
        try await withNodeBehindProxy { a, b, proxy in
            let alice = try await a.client(named: "alice")
            let bob = try await b.client(named: "bob")
            let bea = try await b.client(named: "bea")
            for node in [a, b] { try await node.waitForMembers(inAnyOrder: ["alice", "bob", "bea"]) }
            try await alice.send(#"{"action":"sendPublic","message":"before"}"#)
            let first = try await bea.publicMessages(1)[0].seq
            _ = try await bob.publicMessages(1)
            _ = try await alice.publicMessages(1)

            proxy.cut()
            try await b.waitUntilDisconnected()
            #expect(a.bus.isConnected)
            // a's side of the room goes on; b's members hear none of it while cut off.
            for index in 1...3 { try await alice.send(#"{"action":"sendPublic","message":"meanwhile \#(index)"}"#) }
            #expect(try await alice.publicMessages(3).map(\.text) == ["meanwhile 1", "meanwhile 2", "meanwhile 3"])
            try await bob.send(#"{"action":"sendPublic","message":"from the cut node"}"#)
            try await bea.expectSilence(for: .milliseconds(500))
            try await b.waitForOutbox(1)

            proxy.heal()
            try await b.waitUntilConnected()
            // Everyone, on both nodes, has every message once, in one order, numbered on from
            // before the cut: what a published meanwhile, then what b held.
            let expected = ["meanwhile 1", "meanwhile 2", "meanwhile 3", "from the cut node"]
            let atBea = try await bea.publicMessages(4)
            #expect(atBea.map(\.text) == expected, "\(atBea)")
            #expect(atBea.map(\.seq) == Array((first + 1)...(first + 4)), "\(atBea)")
            let atBob = try await bob.publicMessages(4)
            #expect(atBob.map(\.text) == expected && atBob.map(\.seq) == atBea.map(\.seq), "\(atBob)")
            let atAlice = try await alice.publicMessages(1)
            #expect(atAlice[0].text == "from the cut node" && atAlice[0].seq == first + 4)
            for client in [alice, bob, bea] { try await client.expectSilence() }
            #expect(b.handler.memberNames == a.handler.memberNames)
        }
    }

    /// A partition that drops packets closes nothing: without a deadline the node would wait on
    /// its connection for as long as TCP retries, minutes, while everything it sends goes nowhere.
    @Test func aNodeWhoseDatabaseFallsSilentNoticesWithinItsTimeoutAndSendsItsMessageOnce() async throws {
        try await withNodeBehindProxy(settings: { $0.databaseTimeout = .seconds(1) }) { a, b, proxy in
            let (alice, bob) = try await aliceAndBob(on: a, and: b)
            try await alice.send(#"{"action":"sendPublic","message":"before"}"#)
            let first = try await bob.publicMessages(1)[0].seq
            _ = try await alice.publicMessages(1)

            proxy.cutSilently()
            // Sent into the silence: written to a connection whose bytes go nowhere.
            try await bob.send(#"{"action":"sendPublic","message":"into the silence"}"#)
            let cutAt = ContinuousClock.now
            try await b.waitUntilDisconnected(within: .seconds(6))
            let noticed = ContinuousClock.now - cutAt
            #expect(noticed < .seconds(3), "a heartbeat interval (200 ms) and the timeout (1 s), not TCP's minutes: \(noticed)")
            try await alice.expectSilence(for: .milliseconds(300))

            proxy.heal()
            try await b.waitUntilConnected()
            // Sent again on the new connection with its key: numbered once, heard once by all.
            for client in [alice, bob] {
                let heard = try await client.publicMessages(1)
                #expect(heard[0].text == "into the silence" && heard[0].seq == first + 1, "\(heard)")
            }
            for client in [alice, bob] { try await client.expectSilence() }
        }
    }

    /// A session whose setup goes unanswered (here: its statements wait on a lock nobody lets
    /// go, as they would on a database gone silent) ends within the database timeout and the
    /// node tries again, instead of waiting as long as the database takes; once the lock is let
    /// go, the node is back.
    @Test func aSessionWhoseSetupGoesUnansweredEndsWithinTheTimeoutAndTriesAgain() async throws {
        try await withPostgres { postgres in
            let b = try await ClusterNode.start(postgres, name: "b", deadNodeAfter: .seconds(20)) { $0.databaseTimeout = .seconds(1) }
            let logger = Logger(label: "lock")
            let locker = try await PostgresConnection.connect(
                configuration: try PostgresURL(postgres.url).configuration, id: 1, logger: logger)
            do {
                try await locker.run("BEGIN", logger: logger)
                // Every beat and every registration writes this node's row.
                try await locker.run("LOCK TABLE parley_nodes IN ACCESS EXCLUSIVE MODE", logger: logger)
                var waiting = Set<String>()
                let sampleUntil = ContinuousClock.now + .seconds(6)
                while ContinuousClock.now < sampleUntil {
                    let pids = try await postgres.value(
                        "SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                    waiting.formUnion(pids.split(separator: ",").map(String.init))
                    try await Task.sleep(for: .milliseconds(100))
                }
                // The heartbeat's session, then a new session's setup every ~1.1–1.4 s (timeout
                // plus backoff); a setup without a deadline would have waited on one backend.
                #expect(waiting.count >= 3, "backends that waited on the lock in 6 s: \(waiting.sorted())")
                try await locker.run("COMMIT", logger: logger)
                try await b.waitUntilConnected()
                #expect(try await postgres.value("SELECT count(*) FROM parley_nodes WHERE name = 'b'") == "1")
            } catch {
                try? await locker.close()
                await b.stop()
                throw error
            }
            try? await locker.close()
            await b.stop()
        }
    }

    @Test func aPublishSentAgainWithItsKeyNumbersNothingTheSecondTime() async throws {
        try await withPostgres { postgres in
            let logger = Logger(label: "retry")
            let url = try PostgresURL(postgres.url)
            let connection = try await PostgresConnection.connect(configuration: url.configuration, id: 1, logger: logger)
            defer { Task { try? await connection.close() } }
            try await ClusterSchema.migrate(connection, logger: logger)
            let key = PublishKey(node: "a", key: 7)
            let statement = RoomSQL.publicMessage(from: "alice", text: "once", timestampMillis: 1, key: key)
            try await connection.run(statement, logger: logger)
            // The answer lost with a connection: the runner sends the same statement again.
            try await connection.run(RoomSQL.publicMessage(from: "alice", text: "once", timestampMillis: 1, key: key), logger: logger)
            #expect(try await postgres.value("SELECT public_seq FROM parley_room") == "1")
            #expect(try await postgres.value("SELECT count(*) FROM parley_history") == "1")
            // An older key is a retry too; the next one is new. Named rooms keep the same mark.
            let older = RoomSQL.publicMessage(from: "alice", text: "old", timestampMillis: 1, key: PublishKey(node: "a", key: 6))
            try await connection.run(older, logger: logger)
            try await connection.run(
                RoomSQL.publicMessage(from: "alice", text: "next", timestampMillis: 1, key: PublishKey(node: "a", key: 8)), logger: logger)
            #expect(try await postgres.value("SELECT string_agg(body, ',' ORDER BY seq) FROM parley_history") == "once,next")
            let room = try RoomName(validating: "team-1", action: nil)
            try await connection.run("INSERT INTO parley_rooms (name) VALUES ('team-1')", logger: logger)
            for _ in 1...2 {
                try await connection.run(
                    NamedRoomSQL.publicMessage(
                        room: room, from: "alice", text: "in a room", timestampMillis: 1, key: PublishKey(node: "a", key: 9),
                        keepHistory: true), logger: logger)
            }
            #expect(try await postgres.value("SELECT public_seq FROM parley_rooms WHERE name = 'team-1'") == "1")
            // Another node's keys are its own.
            try await connection.run(
                RoomSQL.publicMessage(from: "bob", text: "b1", timestampMillis: 1, key: PublishKey(node: "b", key: 1)), logger: logger)
            #expect(try await postgres.value("SELECT public_seq FROM parley_room") == "3")
            #expect(
                try await postgres.value("SELECT string_agg(node || '=' || through, ',' ORDER BY node) FROM parley_published") == "a=9,b=1")
        }
    }
}
