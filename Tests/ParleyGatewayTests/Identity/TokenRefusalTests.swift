import Foundation
import ParleyAuth
import ParleyTestSupport
import Testing
import _CryptoExtras

@testable import ParleyGateway

/// `--auth jwt` at the upgrade (docs/PROTOCOL.md, "Identity"): every bad token is an HTTP 401
/// with no socket and no detail, counted by its reason; each test names the reason, so taking
/// its check out of the code fails it even where a later check would still refuse the token.
@Suite(.timeLimit(.minutes(2))) struct TokenRefusalTests {
    /// Asks to upgrade with `token` as a bearer token and expects 401, counted as `reason`.
    func expectRefused(
        _ token: String?, because reason: AuthRefusal, authorizer: JWTAuthorizer? = nil,
        stillServing good: String = TestTokens.hs256(TestTokens.claims("after")),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let chosen: JWTAuthorizer
        if let authorizer { chosen = authorizer } else { chosen = try await AuthServer.jwt() }
        try await withAuthServer(chosen) { server in
            let headers = token.map { [("Authorization", "Bearer \($0)")] } ?? []
            let response = try await RawHTTP.request(
                port: server.port, path: "/ws",
                headers: [
                    ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13"),
                    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                ] + headers)
            #expect(response.status == 401, sourceLocation: sourceLocation)
            // Nothing an attacker can use: not the reason, not the claims.
            #expect(response.body == "unauthorized\n", sourceLocation: sourceLocation)
            #expect(
                response.headers.contains { $0.0.lowercased() == "www-authenticate" && $0.1 == "Bearer" }, sourceLocation: sourceLocation)
            #expect(AuthServer.refusals(reason, on: server) == 1, "counted as \(reason)", sourceLocation: sourceLocation)
            #expect(await server.gateway.registry.count() == 0, sourceLocation: sourceLocation)
            // And the server goes on serving: a good token still connects.
            let client = try await TestClient.connect(port: server.port, headers: [("Authorization", "Bearer \(good)")])
            await client.close()
        }
    }

    @Test func noTokenIsRefused() async throws {
        try await expectRefused(nil, because: .missing)
    }

    @Test func aTokenThatIsNotThreePartsIsRefused() async throws {
        try await expectRefused("not-a-token", because: .malformed)
        try await expectRefused("a.b", because: .malformed)
    }

    @Test func aTokenSignedWithAnotherSecretIsRefused() async throws {
        let forged = TestTokens.hs256(TestTokens.claims("mallory"), secret: "another-secret-of-thirty-two-bytes!!")
        try await expectRefused(forged, because: .signature)
    }

    @Test func aTokenWhoseClaimsWereChangedIsRefused() async throws {
        let genuine = TestTokens.hs256(TestTokens.claims("bob")).split(separator: ".")
        let claims = TestTokens.signingInput(header: ["alg": "HS256", "typ": "JWT"], claims: TestTokens.claims("admin"))
            .split(separator: ".")[1]
        try await expectRefused("\(genuine[0]).\(claims).\(genuine[2])", because: .signature)
    }

    @Test func anExpiredTokenIsRefused() async throws {
        try await expectRefused(TestTokens.hs256(TestTokens.claims("late", lifetime: -60)), because: .expired)
    }

    @Test func aTokenNotValidYetIsRefused() async throws {
        let early = TestTokens.claims("early", extra: ["nbf": Int(Date().timeIntervalSince1970) + 600])
        try await expectRefused(TestTokens.hs256(early), because: .notYetValid)
    }

    @Test func aTokenFromAnotherIssuerIsRefused() async throws {
        let authorizer = try await AuthServer.jwt(settings: JWTSettings(issuer: "https://id.parley.test", leewaySeconds: 0))
        let token = TestTokens.hs256(TestTokens.claims("eve", extra: ["iss": "https://elsewhere.test"]))
        let good = TestTokens.hs256(TestTokens.claims("alice", extra: ["iss": "https://id.parley.test"]))
        try await expectRefused(token, because: .issuer, authorizer: authorizer, stillServing: good)
    }

    @Test func aTokenForAnotherAudienceIsRefused() async throws {
        let authorizer = try await AuthServer.jwt(settings: JWTSettings(audience: "parley", leewaySeconds: 0))
        let token = TestTokens.hs256(TestTokens.claims("eve", extra: ["aud": ["another-app"]]))
        let good = TestTokens.hs256(TestTokens.claims("alice", extra: ["aud": ["another-app", "parley"]]))
        try await expectRefused(token, because: .audience, authorizer: authorizer, stillServing: good)
    }

    @Test func algNoneIsRefused() async throws {
        try await expectRefused(TestTokens.unsigned(TestTokens.claims("nobody")), because: .algorithm)
    }

    /// The classic confusion: the server verifies RS256 with a public key; the attacker signs
    /// HS256 with that public key's PEM as the secret and hopes the token's `alg` is obeyed.
    @Test func anHS256TokenSignedWithTheServersRSAPublicKeyIsRefused() async throws {
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let pem = rsa.publicKey.pemRepresentation
        let authorizer = try await AuthServer.jwt(keyFile: try AuthServer.file(Data(pem.utf8)))
        let confused = TestTokens.hs256(TestTokens.claims("mallory"), secret: pem)
        // The same server lets a genuine RS256 token in.
        let genuine = TestTokens.rs256(TestTokens.claims("alice"), key: rsa)
        try await expectRefused(confused, because: .algorithm, authorizer: authorizer, stillServing: genuine)
    }

    @Test func aTokenOver8KiBIsRefusedBeforeItIsRead() async throws {
        let padded = TestTokens.claims("big", extra: ["padding": String(repeating: "x", count: 9 * 1024)])
        try await expectRefused(TestTokens.hs256(padded), because: .oversized)
    }

    @Test func aTokenWithoutSubjectIsRefused() async throws {
        var claims = TestTokens.claims("x")
        claims.removeValue(forKey: "sub")
        try await expectRefused(TestTokens.hs256(claims), because: .claims)
    }

    @Test func aTokenWithoutExpiryIsRefused() async throws {
        var claims = TestTokens.claims("forever")
        claims.removeValue(forKey: "exp")
        try await expectRefused(TestTokens.hs256(claims), because: .claims)
    }

    /// The three places a token is read from; a browser's is the subprotocol, answered with
    /// `parley` (offered beside it) so the browser accepts the socket.
    @Test func aGoodTokenConnectsFromEachCarrier() async throws {
        let authorizer = try await AuthServer.jwt()
        try await withAuthServer(authorizer) { server in
            let token = TestTokens.hs256(TestTokens.claims("carrier"))
            for headers in [[("Authorization", "Bearer \(token)")], [("Sec-WebSocket-Protocol", "parley, bearer.\(token)")]] {
                let client = try await TestClient.connect(port: server.port, headers: headers)
                await client.close()
            }
            let client = try await TestClient.connect(port: server.port, path: "/ws?token=\(token)")
            await client.close()
            let response = try await RawHTTP.request(
                port: server.port, path: "/ws",
                headers: [
                    ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13"),
                    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Protocol", "parley, bearer.\(token)"),
                ])
            #expect(response.status == 101)
            #expect(response.headers.contains { $0.0.lowercased() == "sec-websocket-protocol" && $0.1 == "parley" })
            #expect(AuthRefusal.allCases.allSatisfy { AuthServer.refusals($0, on: server) == 0 })
        }
    }
}
