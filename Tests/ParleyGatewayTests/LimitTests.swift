import NIOCore
import NIOWebSocket
import ParleyGateway
import ParleyTestSupport
import Testing

/// The gateway's limits, each breached for real.
@Suite(.timeLimit(.minutes(2))) struct LimitTests {
    @Test func frameOver32KiBClosesWith1009() async throws {
        try await withServer { server in
            let client = try await server.namedClient("big")
            try await client.send(String(repeating: "x", count: 40 * 1024))
            #expect(try await client.closeCode() == 1009)
        }
    }

    @Test func fragmentedMessageOver128KiBClosesWith1009() async throws {
        try await withServer { server in
            let client = try await server.namedClient("frag")
            let chunk = ByteBuffer(string: String(repeating: "y", count: 30 * 1024))
            try await client.sendFrame(.text, chunk, fin: false)
            for _ in 0..<4 { try await client.sendFrame(.continuation, chunk, fin: false) }
            #expect(try await client.closeCode() == 1009)
        }
    }

    @Test func fragmentedMessageWithinLimitIsReassembled() async throws {
        try await withServer { server in
            let client = try await server.namedClient("frag")
            try await client.sendFrame(.text, ByteBuffer(string: #"{"action":"sendPub"#), fin: false)
            try await client.sendFrame(.continuation, ByteBuffer(string: #"lic","message":"joined up"}"#), fin: true)
            #expect(try await client.next().contains("frag: joined up"))
        }
    }

    @Test func invalidUTF8ClosesWith1007() async throws {
        try await withServer { server in
            let client = try await server.client()
            try await client.sendFrame(.text, ByteBuffer(bytes: [0x7B, 0xFF, 0xFE, 0x7D]))
            #expect(try await client.closeCode() == 1007)
        }
    }

    @Test func idleConnectionClosesWith1001() async throws {
        // A 2 s timeout against pings every 200 ms: a margin of ten, so that a loaded machine
        // (the suite runs in parallel; a stall of over a second was seen with a margin of five)
        // does not make the busy client look idle.
        try await withServer(gateway: { $0.idleTimeout = .seconds(2) }) { server in
            let idle = try await server.client()
            let busy = try await server.namedClient("busy")
            for _ in 0..<13 {
                try await Task.sleep(for: .milliseconds(200))
                try await busy.send(#"{"action":"sendPrivate","message":"ping","to":"busy"}"#)
                _ = try await busy.next()
            }
            #expect(try await idle.closeCode(within: .seconds(4)) == 1001)
            try await busy.send(#"{"action":"sendPrivate","message":"ping","to":"busy"}"#)
            #expect(try await busy.next().contains("ping"), "activity keeps a connection open")
        }
    }

    @Test func lifetimeClosesWith1001EvenWhenActive() async throws {
        // 1.5 s: long enough for the round trip below on a loaded machine, short for a test.
        try await withServer(gateway: { $0.maximumLifetime = .milliseconds(1_500) }) { server in
            let client = try await server.namedClient("short")
            try await client.send(#"{"action":"sendPrivate","message":"a","to":"short"}"#)
            _ = try await client.next()
            #expect(try await client.closeCode(within: .seconds(4)) == 1001)
        }
    }

    @Test func connectRateRefusesWith429() async throws {
        try await withServer(gateway: { $0.connectionsPerSecond = 3 }) { server in
            // At once, so that a slow machine cannot spread them over the bucket's refills.
            let started = ContinuousClock.now
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<12 { group.addTask { try await RawHTTP.upgradeStatus(port: server.port, path: "/ws") } }
                var statuses: [Int] = []
                for try await status in group { statuses.append(status) }
                return statuses
            }
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            let accepted = statuses.filter { $0 == 101 }.count
            #expect(accepted >= 3 && Double(accepted) <= 3 + 3 * seconds + 1, "\(statuses) in \(seconds) s")
            #expect(statuses.allSatisfy { $0 == 101 || $0 == 429 })
            #expect(statuses.contains(429))
        }
    }

    @Test func maximumConnectionsRefusesWith503AndFreesOnClose() async throws {
        try await withServer(gateway: { $0.maximumConnections = 2 }) { server in
            let first = try await server.client()
            _ = try await server.client()
            #expect(try await RawHTTP.upgradeStatus(port: server.port, path: "/ws") == 503)
            await first.close()
            try await waitUntil { server.gateway.openConnections < 2 }
            #expect(try await RawHTTP.upgradeStatus(port: server.port, path: "/ws") == 101)
        }
    }

    @Test func badPresenceFeedIs400AndWrongPathIs404() async throws {
        try await withServer { server in
            let unknownFeed = try await RawHTTP.upgradeStatus(port: server.port, path: "/ws?members=most")
            let wrongPath = try await RawHTTP.upgradeStatus(port: server.port, path: "/chat")
            let rootWithDelta = try await RawHTTP.upgradeStatus(port: server.port, path: "/?members=delta")
            #expect(unknownFeed == 400)
            #expect(wrongPath == 404)
            #expect(rootWithDelta == 101)
        }
    }

    @Test func slowConsumerIsClosedWhileEveryReaderGetsEverything() async throws {
        try await withServer(gateway: {
            $0.outboundBudgetBytes = 32 * 1024
            $0.socketSendBufferBytes = 16 * 1024  // so the kernel does not absorb the backlog
            $0.inboundMessagesPerSecond = 10_000
        }) { server in
            // A tiny receive buffer too, then no more reading at all.
            _ = try await server.stalledClient("slow")
            var readers: [TestClient] = []
            for index in 0..<100 {
                let reader = try await server.namedClient("r\(index)")
                // A note to itself proves the name took before anything is published.
                try await reader.send(#"{"action":"sendPrivate","message":"named","to":"r\#(index)"}"#)
                _ = try await reader.next()
                readers.append(reader)
            }
            let text = String(repeating: "z", count: 2000)
            // 20 rounds of 5 messages: 200 KB for the slow client, far past its budget; each
            // reader reads a round before the next, so its own backlog stays small.
            for round in 0..<20 {
                for index in 0..<5 {
                    try await readers[0].send(#"{"action":"sendPublic","message":"\#(round * 5 + index) \#(text)"}"#)
                }
                for reader in readers {
                    for index in 0..<5 {
                        let message = try await reader.next()
                        #expect(message.contains(#""text":"\#(round * 5 + index) "#))
                    }
                }
            }
            try await waitUntil { server.gateway.slowConsumerCloses == 1 }
            try await waitUntil { server.gateway.openConnections == 100 }
        }
    }
}

/// Polls `condition` until it holds (or fails the test after `timeout`).
func waitUntil(timeout: Duration = .seconds(10), _ condition: () async -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !(await condition()) {
        if ContinuousClock.now > deadline {
            Issue.record("condition not met within \(timeout)")
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}
