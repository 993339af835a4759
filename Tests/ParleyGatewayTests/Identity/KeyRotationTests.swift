import Crypto
import Foundation
import Logging
import ParleyAuth
import ParleyTestSupport
import Testing

@testable import ParleyGateway

/// `--jwks FILE` rotates with no restart: a key added to the file is trusted within a second,
/// a key removed stops being trusted (`unknown_key`), and SIGHUP reloads at once.
@Suite(.timeLimit(.minutes(2))) struct KeyRotationTests {
    static func connects(_ token: String, to server: TestServer) async throws -> Bool {
        try await RawHTTP.upgradeStatus(port: server.port, path: "/ws", headers: [("Authorization", "Bearer \(token)")]) == 101
    }

    /// Polls until `condition` holds (the watcher looks once per interval).
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<50 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test func aKeyAddedThenTheOldOneRemovedTakesEffectWithoutARestart() async throws {
        let old = P256.Signing.PrivateKey()
        let new = P256.Signing.PrivateKey()
        let path = try AuthServer.file(TestTokens.jwks([TestTokens.jwk(old.publicKey, kid: "2026-11")]), named: "jwks.json")
        let authorizer = JWTAuthorizer(keys: try await VerificationKeys.jwksFile(path), settings: JWTSettings(leewaySeconds: 0))
        let reloader = KeyReloader(path: path, authorizer: authorizer, interval: .milliseconds(50), logger: Logger(label: "test"))
        let (hangups, _) = AsyncStream<Void>.makeStream()
        let watching = Task { await reloader.run(hangups: hangups) }
        defer { watching.cancel() }
        let byOld = TestTokens.es256(TestTokens.claims("ann"), key: old, kid: "2026-11")
        let byNew = TestTokens.es256(TestTokens.claims("ann"), key: new, kid: "2026-12")
        try await withAuthServer(authorizer) { (server: TestServer) async throws in
            #expect(try await Self.connects(byOld, to: server))
            #expect(try await !Self.connects(byNew, to: server))
            #expect(AuthServer.refusals(.unknownKey, on: server) == 1)

            try TestTokens.jwks([TestTokens.jwk(old.publicKey, kid: "2026-11"), TestTokens.jwk(new.publicKey, kid: "2026-12")])
                .write(to: URL(fileURLWithPath: path))
            #expect(try await Self.eventually { try await Self.connects(byNew, to: server) })
            #expect(try await Self.connects(byOld, to: server))

            try TestTokens.jwks([TestTokens.jwk(new.publicKey, kid: "2026-12")]).write(to: URL(fileURLWithPath: path))
            #expect(try await Self.eventually { try await !Self.connects(byOld, to: server) })
            #expect(try await Self.connects(byNew, to: server))
        }
    }

    @Test func sighupReloadsAtOnceAndABrokenFileKeepsTheKeysInUse() async throws {
        let first = P256.Signing.PrivateKey()
        let second = P256.Signing.PrivateKey()
        let path = try AuthServer.file(TestTokens.jwks([TestTokens.jwk(first.publicKey, kid: "a")]), named: "jwks.json")
        let authorizer = JWTAuthorizer(keys: try await VerificationKeys.jwksFile(path), settings: JWTSettings(leewaySeconds: 0))
        // A watcher that would not look at the file for an hour: only the hangup reloads.
        let reloader = KeyReloader(path: path, authorizer: authorizer, interval: .seconds(3600), logger: Logger(label: "test"))
        let (hangups, hangup) = AsyncStream<Void>.makeStream()
        let watching = Task { await reloader.run(hangups: hangups) }
        defer { watching.cancel() }

        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: path))
        hangup.yield()
        try await Task.sleep(for: .milliseconds(200))
        #expect(authorizer.currentKeyIDs == ["a"])

        try TestTokens.jwks([TestTokens.jwk(second.publicKey, kid: "b")]).write(to: URL(fileURLWithPath: path))
        hangup.yield()
        #expect(try await Self.eventually { authorizer.currentKeyIDs == ["b"] })
        try await withAuthServer(authorizer) { (server: TestServer) async throws in
            #expect(try await Self.connects(TestTokens.es256(TestTokens.claims("bo"), key: second, kid: "b"), to: server))
            #expect(try await !Self.connects(TestTokens.es256(TestTokens.claims("bo"), key: first, kid: "a"), to: server))
        }
    }
}
