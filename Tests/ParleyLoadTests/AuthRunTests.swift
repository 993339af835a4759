import Foundation
import ParleyAuth
import ParleyChat
import ParleyGateway
import ParleyProtocol
import ParleyTestSupport
import Testing

@testable import ParleyLoad

/// `auth:` — the block's mistakes named; a run against a gateway behind `--auth jwt` whose
/// tokens last less than the run: every delivery arrives, the clients refresh, nobody is closed.
@Suite(.serialized, .timeLimit(.minutes(2))) struct AuthRunTests {
    static func secretFile() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parley-load-secret-\(UUID().uuidString)").path
        try Data((TestTokens.secret + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A counter's value in a Prometheus exposition (0 when absent).
    static func counter(_ name: String, in exposition: String) -> Int {
        let line = exposition.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Int(Double($0.dropFirst(name.count + 1)) ?? 0) } ?? 0
    }

    @Test func theBlocksMistakesAreNamed() {
        func failure(_ auth: String) -> String? {
            let yaml = """
                name: a
                clients: 10
                auth: \(auth)
                phases: [{ name: p, duration: 1s, publishers: 1, rate: 1/s }]
                """
            do {
                _ = try ScenarioParser(file: "/scenarios/a.yaml").parse(yaml)
                return nil
            } catch let error as ScenarioError {
                return "\(error.key): \(error.message)"
            } catch {
                return "\(error)"
            }
        }
        #expect(failure("{ secret: s.txt, claims: { sub: \"user{i}\" } }") == nil)
        #expect(failure("{ secret: s.txt, key: k.pem }")?.hasPrefix("auth: give one of secret") == true)
        #expect(failure("{ secret: s.txt, claims: { name: x } }")?.hasPrefix("auth.claims.sub: a token needs a sub") == true)
        #expect(failure("{ secret: s.txt, claims: { sub: a, exp: 5 } }")?.hasPrefix("auth.claims: exp and iat") == true)
        #expect(failure("{ secret: s.txt, carrier: cookie }")?.contains("expected bearer, subprotocol, query") == true)
        #expect(failure("{ secret: s.txt, lifetime: 1s }")?.hasPrefix("auth.lifetime: at least 2s") == true)
        #expect(failure("{ secrets: s.txt }")?.hasPrefix("auth.secrets: unknown key") == true)
        #expect(failure("{ claims: { sub: a } }")?.hasPrefix("auth: give secret, key or token") == true)
        #expect(failure("{ headers: { X-Api-Key: k } }") == nil)
    }

    @Test func claimsKeepTheirTypesAndFillInTheClient() throws {
        let scenario = try ScenarioParser(file: "/scenarios/a.yaml").parse(
            """
            name: a
            clients: 10
            auth: { secret: keys/s.txt, claims: { sub: "user{i}", name: "u{index}", level: 3, rooms: { join: ["*"], publish: [lobby] } } }
            phases: [{ name: p, duration: 1s, publishers: 1, rate: 1/s }]
            """)
        let auth = try #require(scenario.auth)
        #expect(auth.signing == .secret(file: "/scenarios/keys/s.txt"), "relative to the scenario's folder")
        let filled = auth.claims.mapValues { $0.filled(index: 7) }
        #expect(filled["sub"] == .string("user7") && filled["name"] == .string("u7") && filled["level"] == .number(3))
        #expect(filled["rooms"] == .object(["join": .list([.string("*")]), "publish": .list([.string("lobby")])]))
    }

    @Test func aRunBehindJWTAuthGetsEveryDeliveryAndRefreshesItsTokens() async throws {
        let secret = try Self.secretFile()
        let authorizer = JWTAuthorizer(keys: try await VerificationKeys.keyFile(secret), settings: JWTSettings(leewaySeconds: 0))
        let gateway = try await HarnessTarget.start(configure: { $0.authorizer = authorizer }) { connections, scheduler in
            ChatHandler(connections: connections, scheduler: scheduler)
        }
        var scenario = chatScenario("auth", clients: 40, publishers: 2, rate: 10, seconds: 4)
        scenario.hello = #"{"action":"setName","name":"user{i}"}"#
        var auth = ScenarioAuth(signing: .secret(file: secret))
        auth.claims = ["sub": .string("user{i}")]
        auth.lifetime = .seconds(2)
        scenario.auth = auth
        let report = try await LoadTest(scenario: scenario, source: "", options: quietOptions()).run(targets: [gateway.url])
        // What the server counted, not the harness: refreshes it accepted, tokens it refused.
        let exposition = gateway.gateway.metrics.exposition()
        try await gateway.stop()
        let run = report.runs[0]
        #expect(run.connect.ready == 40 && run.connect.errors.isEmpty, "\(run.connect.errors)")
        #expect(run.overall.received == run.overall.expected && run.overall.expected > 0)
        // A 2 s token refreshed at 1.2 s, again at 2.4 s and so on, for 40 clients over 4 s.
        let sent = run.connect.tokenRefreshes ?? 0
        #expect(sent >= 80, "\(sent)")
        let accepted = Self.counter("parley_token_refreshes_total", in: exposition)
        // Every refresh the harness sent was accepted, but for any still in flight at the end.
        #expect(accepted <= sent && accepted >= sent - 40, "server accepted \(accepted) of \(sent)")
        #expect(Self.counter(#"parley_auth_refusals_total{reason="expired"}"#, in: exposition) == 0, "nobody was let lapse")
        #expect(Self.counter("parley_token_expiry_closes_total", in: exposition) == 0)
    }

    @Test func aRunWithTheWrongSecretIsRefusedAndSaysSo() async throws {
        let secret = try Self.secretFile()
        let authorizer = JWTAuthorizer(keys: try await VerificationKeys.keyFile(secret), settings: JWTSettings(leewaySeconds: 0))
        let gateway = try await HarnessTarget.start(configure: { $0.authorizer = authorizer }) { connections, scheduler in
            ChatHandler(connections: connections, scheduler: scheduler)
        }
        let wrong = FileManager.default.temporaryDirectory.appendingPathComponent("parley-load-wrong-\(UUID().uuidString)").path
        try Data("another-secret-of-thirty-two-bytes!!".utf8).write(to: URL(fileURLWithPath: wrong))
        var scenario = chatScenario("auth", clients: 10, publishers: 1, rate: 5, seconds: 1)
        scenario.auth = ScenarioAuth(signing: .secret(file: wrong))
        let report = try await LoadTest(scenario: scenario, source: "", options: quietOptions()).run(targets: [gateway.url])
        try await gateway.stop()
        #expect(report.runs[0].connect.errors["http 401"] == 10, "\(report.runs[0].connect.errors)")
    }
}
