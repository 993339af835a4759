import NIOCore
import ParleyTestSupport
import Testing

@testable import ParleyGateway

/// Per-address limits: one source address cannot take every connection slot or the whole
/// connect rate, while other addresses are served; `X-Forwarded-For` counts only from trusted
/// proxies. (Loopback gives many source addresses: 127.0.0.0/8.)
@Suite(.timeLimit(.minutes(1))) struct AddressLimitTests {
    // MARK: values

    @Test func eachAddressHasItsOwnCapAndRate() {
        let start = NIODeadline.now()
        var limits = AddressLimits(maximumConnections: 2, connectionsPerSecond: 3, unlimited: ["127.0.0.9"])
        #expect(limits.admit("10.0.0.1", now: start) == .admitted)
        #expect(limits.admit("10.0.0.1", now: start) == .admitted)
        guard case .refused(429, let reason) = limits.admit("10.0.0.1", now: start) else {
            Issue.record("the third open connection from one address passed")
            return
        }
        #expect(reason.contains("at most 2"))
        #expect(limits.admit("10.0.0.2", now: start) == .admitted, "another address is not affected")
        limits.release("10.0.0.1")
        // One slot free again, but the address spent its burst of 3 (2 admitted + 1 refused try
        // took no token): the third token is still there.
        #expect(limits.admit("10.0.0.1", now: start) == .admitted)
        limits.release("10.0.0.1")
        guard case .refused(429, let rateReason) = limits.admit("10.0.0.1", now: start) else {
            Issue.record("the rate did not hold")
            return
        }
        #expect(rateReason.contains("3/s"))
        #expect(limits.admit("10.0.0.1", now: start + .seconds(1)) == .admitted, "the bucket refills")
        for _ in 0..<100 { #expect(limits.admit("127.0.0.9", now: start) == .admitted) }
        #expect(limits.admit(nil, now: start) == .admitted, "an unknown address meets the gateway-wide limits only")
    }

    @Test func anAddressWithNothingOpenIsForgottenOnceItsBucketHasRefilled() {
        // The defaults: 50/s. Released at once, an address still owes its token and is kept;
        // released a second later, it is forgotten.
        let start = NIODeadline.now()
        var limits = AddressLimits(maximumConnections: 1_000, connectionsPerSecond: 50, unlimited: [])
        #expect(limits.admit("10.0.0.1", now: start) == .admitted)
        limits.release("10.0.0.1", now: start)
        #expect(limits.trackedAddresses == 1)
        #expect(limits.admit("10.0.0.2", now: start) == .admitted)
        limits.release("10.0.0.2", now: start + .seconds(1))
        #expect(limits.trackedAddresses == 1, "10.0.0.2 forgotten at release")
    }

    @Test func addressesThatConnectedOnceDoNotPileUp() {
        // 3,000 addresses each connect once and leave at once (kept: their buckets owe a token);
        // a second later 2,000 others arrive: the table sweeps out the refilled ones.
        let start = NIODeadline.now()
        var limits = AddressLimits(maximumConnections: 1_000, connectionsPerSecond: 50, unlimited: [])
        for index in 0..<3_000 {
            let address = "10.1.\(index / 256).\(index % 256)"
            #expect(limits.admit(address, now: start) == .admitted)
            limits.release(address, now: start)
        }
        let later = start + .seconds(1)
        for index in 0..<2_000 {
            let address = "10.2.\(index / 256).\(index % 256)"
            #expect(limits.admit(address, now: later) == .admitted)
            limits.release(address, now: later)
        }
        #expect(
            limits.trackedAddresses == 2_000, "only the 2,000 still owing a token are kept, of 5,000 that left: \(limits.trackedAddresses)")
    }

    @Test func forwardedForCountsOnlyFromTrustedProxies() {
        let proxies: Set<String> = ["127.0.0.6", "10.9.9.9"]
        #expect(ClientAddress.resolve(peer: "127.0.0.7", forwardedFor: ["1.2.3.4"], trustedProxies: proxies) == "127.0.0.7")
        #expect(ClientAddress.resolve(peer: "127.0.0.6", forwardedFor: ["1.2.3.4"], trustedProxies: proxies) == "1.2.3.4")
        // Each proxy appends what it heard from: the rightmost untrusted hop is the client; what
        // the client itself wrote in front is not believed.
        #expect(
            ClientAddress.resolve(peer: "127.0.0.6", forwardedFor: ["6.6.6.6, 1.2.3.4, 10.9.9.9"], trustedProxies: proxies) == "1.2.3.4")
        #expect(ClientAddress.resolve(peer: "127.0.0.6", forwardedFor: ["6.6.6.6", "1.2.3.4"], trustedProxies: proxies) == "1.2.3.4")
        #expect(ClientAddress.resolve(peer: "127.0.0.6", forwardedFor: [], trustedProxies: proxies) == "127.0.0.6")
        #expect(ClientAddress.resolve(peer: nil, forwardedFor: ["1.2.3.4"], trustedProxies: proxies) == nil)
    }

    // MARK: over real sockets

    @Test func oneAddressMeetsItsCapWhileOthersAreServed() async throws {
        try await withServer(gateway: {
            $0.maximumConnectionsPerAddress = 3
            $0.connectionsPerSecondPerAddress = 1_000
        }) { server in
            var held: [TestClient] = []
            for _ in 0..<3 { held.append(try await TestClient.connect(port: server.port, source: "127.0.0.2")) }
            await #expect(throws: (any Error).self, "a fourth from 127.0.0.2") {
                _ = try await TestClient.connect(port: server.port, source: "127.0.0.2")
            }
            let other = try await TestClient.connect(port: server.port, source: "127.0.0.3")
            try await other.send(#"{"action":"setName","name":"other"}"#)
            try await other.send(#"{"action":"sendPublic","message":"served"}"#)
            var served = false
            while !served { served = try await other.next(within: .seconds(5)).contains("served") }
            #expect(server.gateway.metrics.exposition().contains(#"parley_upgrade_refusals_total{status="429"} 1"#))
            // A slot freed is a slot again.
            await held.removeFirst().close()
            try await waitUntil { server.gateway.openConnections == 3 }
            held.append(try await TestClient.connect(port: server.port, source: "127.0.0.2"))
            for client in held { await client.close() }
            await other.close()
        }
    }

    /// Upgrade statuses of requests sent at once (a rate is only testable faster than itself: one
    /// after the other, on a loaded machine, each waits long enough for the bucket to refill).
    private func statusesAtOnce(port: Int, _ requests: [(source: String, forwardedFor: String?)]) async throws -> [Int] {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for request in requests {
                group.addTask {
                    try await RawHTTP.upgradeStatus(
                        port: port, path: "/ws", headers: request.forwardedFor.map { [("X-Forwarded-For", $0)] } ?? [],
                        source: request.source)
                }
            }
            var statuses: [Int] = []
            for try await status in group { statuses.append(status) }
            return statuses.sorted()
        }
    }

    @Test func oneAddressMeetsItsRateWhileOthersAreServed() async throws {
        // 1/s, bursting 1: of four at once from one address, one gets in.
        try await withServer(gateway: { $0.connectionsPerSecondPerAddress = 1 }) { server in
            let burst = try await statusesAtOnce(port: server.port, Array(repeating: ("127.0.0.4", nil), count: 4))
            #expect(burst == [101, 429, 429, 429])
            #expect(try await RawHTTP.upgradeStatus(port: server.port, path: "/ws", source: "127.0.0.5") == 101)
        }
    }

    @Test func aTrustedProxysClientsAreCountedApartAndAStrangersHeaderIsIgnored() async throws {
        try await withServer(gateway: {
            $0.connectionsPerSecondPerAddress = 1
            $0.trustedProxies = ["127.0.0.6"]
        }) { server in
            // Through the trusted proxy, 10.0.0.1 meets its own rate and 10.0.0.2 is apart.
            let proxied = try await statusesAtOnce(
                port: server.port, [("127.0.0.6", "10.0.0.1"), ("127.0.0.6", "10.0.0.1"), ("127.0.0.6", "10.0.0.1")])
            #expect(proxied == [101, 429, 429])
            #expect(
                try await RawHTTP.upgradeStatus(
                    port: server.port, path: "/ws", headers: [("X-Forwarded-For", "10.0.0.2")], source: "127.0.0.6") == 101)
            // Not a trusted proxy: each request names a new address, and all count as 127.0.0.7.
            let stranger = try await statusesAtOnce(
                port: server.port, [("127.0.0.7", "10.0.1.1"), ("127.0.0.7", "10.0.1.2"), ("127.0.0.7", "10.0.1.3")])
            #expect(stranger == [101, 429, 429])
        }
    }
}
