import Foundation
import ParleyTestSupport
import Testing

/// `/metrics` on its own port, read over HTTP after real traffic: every counter the issue names
/// moves by exactly what was done.
@Suite(.timeLimit(.minutes(2))) struct MetricsTests {
    @Test func metricsCountConnectionsMessagesErrorsRefusalsAndFanOut() async throws {
        try await withServer(gateway: { $0.metricsPort = 0 }) { server in
            let metricsPort = try #require(await server.gateway.waitUntilMetricsListening()?.port)
            let alice = try await server.namedClient("alice")
            let bob = try await server.namedClient("bob")
            // A private message to oneself answers once the name took.
            for (client, name) in [(alice, "alice"), (bob, "bob")] {
                try await client.send(#"{"action":"sendPrivate","message":"me","to":"\#(name)"}"#)
                var named = false
                while !named { named = try await client.next().contains("privateMessage") }
            }
            try await alice.send(#"{"action":"sendPublic","message":"hello"}"#)
            for client in [alice, bob] {
                var saw = false
                while !saw { saw = try await client.next().contains("alice: hello") }
            }
            try await bob.send("not json")
            _ = try await bob.next()
            #expect(try await RawHTTP.upgradeStatus(port: server.port, path: "/elsewhere") == 404)

            let text = try await RawHTTP.request(port: metricsPort, path: "/metrics").body
            let values = Self.parse(text)
            #expect(values["parley_connections"] == 2, "\(text)")
            #expect(values["parley_connections_accepted_total"] == 2)
            #expect(values[#"parley_messages_in_total{route="setName"}"#] == 2)
            #expect(values[#"parley_messages_in_total{route="sendPublic"}"#] == 1)
            #expect(values[#"parley_messages_in_total{route="sendPrivate"}"#] == 2)
            #expect(values[#"parley_messages_in_total{route="$default"}"#] == 1)
            #expect(values[#"parley_errors_total{code="invalid_json"}"#] == 1)
            #expect(values[#"parley_upgrade_refusals_total{status="404"}"#] == 1)
            #expect(values["parley_broadcast_fanout_seconds_count"].map { $0 >= 1 } == true, "the public message was timed")
            #expect(values["parley_frames_out_total"].map { $0 >= 3 } == true, "two copies of the message and bob's error")

            await bob.close()
            try await waitUntil {
                let after = Self.parse((try? await RawHTTP.request(port: metricsPort, path: "/metrics").body) ?? "")
                return after["parley_connections"] == 1
            }
        }
    }

    /// `name{labels} value` lines into a dictionary (comments skipped).
    static func parse(_ text: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = value
        }
        return values
    }
}
