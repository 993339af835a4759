import Foundation
import ParleyTestSupport
import Testing

/// A connection flood: the connect rate and the connection cap hold, every refused upgrade is
/// counted, and a member already in the room is answered throughout.
@Suite(.timeLimit(.minutes(2))) struct FloodTests {
    @Test func aFloodIsRefusedWhileExistingMembersAreStillServed() async throws {
        try await withServer(gateway: {
            $0.connectionsPerSecond = 50
            $0.maximumConnections = 40
            $0.metricsPort = 0
        }) { server in
            let metricsPort = try #require(await server.gateway.waitUntilMetricsListening()?.port)
            let watcher = try await server.namedClient("watcher")
            try await watcher.send(#"{"action":"sendPrivate","message":"ready?","to":"watcher"}"#)
            #expect(try await watcher.next().contains("ready?"))

            let attempts = 200
            async let flood: [TestClient?] = withTaskGroup(of: TestClient?.self) { group in
                for _ in 0..<attempts { group.addTask { try? await TestClient.connect(port: server.port) } }
                var clients: [TestClient?] = []
                for await client in group { clients.append(client) }
                return clients
            }
            // Meanwhile the member already inside is answered, promptly.
            var roundTrips: [Duration] = []
            for index in 0..<5 {
                let sent = ContinuousClock.now
                try await watcher.send(#"{"action":"sendPublic","message":"during \#(index)"}"#)
                var back = false
                while !back { back = try await watcher.next(within: .seconds(5)).contains("during \(index)") }
                roundTrips.append(ContinuousClock.now - sent)
            }
            let accepted = await flood.compactMap { $0 }
            #expect(roundTrips.allSatisfy { $0 < .seconds(2) }, "\(roundTrips)")
            #expect(!accepted.isEmpty && accepted.count <= 39, "the cap (40, one taken) and the rate hold: \(accepted.count) accepted")
            #expect(server.gateway.openConnections <= 40)

            let metrics = try await RawHTTP.request(port: metricsPort, path: "/metrics").body
            // Refused with 429/503 at the upgrade, or — past the pending-upgrade cap (64 here),
            // when 200 sockets arrive at once — closed on accept: every one counted.
            let refused = MetricsTests.parse(metrics).filter {
                $0.key.hasPrefix("parley_upgrade_refusals_total") || $0.key.hasPrefix("parley_pending_upgrade_refusals_total")
            }.values.reduce(0, +)
            #expect(Int(refused) == attempts - accepted.count, "every refusal counted (429, 503, or closed on accept)")

            for client in accepted { await client.close() }
            try await waitUntil { server.gateway.openConnections == 1 }
            try await Task.sleep(for: .seconds(1))  // the connect budget refills
            #expect(try await RawHTTP.upgradeStatus(port: server.port, path: "/ws") == 101, "open again once the flood is gone")
        }
    }
}
