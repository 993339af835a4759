import Crypto
import Foundation
import ParleyProtocol
import ParleyTestSupport
import Testing

@testable import ParleyAuth

/// The authorizers' rules as values, without sockets: where a token is read, room patterns,
/// the claims' checks with the clock's leeway, key files' mistakes, the webhook's answers and
/// the per-token cache.
@Suite struct AuthorizerRulesTests {
    @Test func aTokenIsReadFromAuthorizationThenTheSubprotocolThenTheQuery() {
        let all: [(name: String, value: String)] = [("authorization", "Bearer  aaa "), ("sec-websocket-protocol", "parley, bearer.bbb")]
        #expect(PresentedToken.find(headers: all, query: ["token": "ccc"]) == PresentedToken(value: "aaa", carrier: .authorization))
        #expect(
            PresentedToken.find(headers: [all[1]], query: ["token": "ccc"])
                == PresentedToken(value: "bbb", carrier: .subprotocol, answeredSubprotocol: "parley"))
        // Without `parley` offered, the answer must still name an offered protocol: the token's entry.
        #expect(
            PresentedToken.find(headers: [("sec-websocket-protocol", "bearer.bbb")], query: [:])?.answeredSubprotocol == "bearer.bbb")
        #expect(PresentedToken.find(headers: [("authorization", "Basic eHh4")], query: ["token": "ccc"])?.carrier == .query)
        #expect(PresentedToken.find(headers: [], query: [:]) == nil)
    }

    @Test func roomPatternsAreExactOrPrefixesAndAMissingListAllowsAll() {
        let rooms = RoomPermissions(join: ["lobby", "team-*"], publish: [])
        #expect(rooms.mayJoin("lobby") && rooms.mayJoin("team-red") && rooms.mayJoin("team-"))
        #expect(!rooms.mayJoin("lobby2") && !rooms.mayJoin("tea") && !rooms.mayPublish("lobby"))
        #expect(RoomPermissions(join: ["*"], publish: nil).mayJoin("anything") && RoomPermissions.unrestricted.mayPublish("x"))
    }

    func authorizer(leeway: Double, now: Date = Date()) async throws -> JWTAuthorizer {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parley-auth-\(UUID().uuidString)").path
        try Data(TestTokens.secret.utf8).write(to: URL(fileURLWithPath: path))
        return JWTAuthorizer(keys: try await VerificationKeys.keyFile(path), settings: JWTSettings(leewaySeconds: leeway), now: { now })
    }

    @Test func theLeewayForgivesASlightlyLateClockAndEndsTheConnectionLater() async throws {
        let now = Date()
        let expired = TestTokens.hs256(TestTokens.claims("u", lifetime: -3))
        #expect(try await authorizer(leeway: 0, now: now).verify(expired) == .refused(.expired))
        guard case .allowed(let identity) = try await authorizer(leeway: 5, now: now).verify(expired) else {
            Issue.record("3 s late with 5 s of leeway should be let in")
            return
        }
        // Its deadline is its exp plus the leeway: 2 s from now, not at once.
        let exp = Int64(now.timeIntervalSince1970 - 3) * 1000
        #expect(identity.expiresAtMillis == exp + 5000)
        let early = TestTokens.hs256(TestTokens.claims("u", extra: ["nbf": Int(now.timeIntervalSince1970) + 3]))
        #expect(try await authorizer(leeway: 5, now: now).verify(early) != .refused(.notYetValid))
        #expect(try await authorizer(leeway: 0, now: now).verify(early) == .refused(.notYetValid))
    }

    @Test func aNameClaimMustBeAValidChatName() async throws {
        let authorizer = try await authorizer(leeway: 0)
        #expect(await authorizer.verify(TestTokens.hs256(TestTokens.claims("u", name: "   "))) == .refused(.claims))
        #expect(await authorizer.verify(TestTokens.hs256(TestTokens.claims(String(repeating: "x", count: 40)))) == .refused(.claims))
        #expect(await authorizer.verify(TestTokens.hs256(TestTokens.claims("u", extra: ["rooms": "all"]))) == .refused(.claims))
    }

    @Test func keyFilesThatCannotBeUsedAreNamedWithTheirProblem() async throws {
        func problem(_ contents: String) async throws -> String? {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("parley-key-\(UUID().uuidString)").path
            try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
            do {
                _ = try await VerificationKeys.keyFile(path)
                return nil
            } catch {
                return error.problem
            }
        }
        #expect(try await problem("short\n")?.contains("5-byte HS256 secret; at least 32") == true)
        #expect(try await problem(P256.Signing.PrivateKey().pemRepresentation)?.contains("private key") == true)
        #expect(try await problem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")?.contains("neither") == true)
        #expect(try await problem(P256.Signing.PrivateKey().publicKey.pemRepresentation) == nil)
        #expect(try await problem(TestTokens.secret + "\n") == nil)
    }

    @Test func aJWKSWithoutKidsOrWithDuplicatesIsRefused() async throws {
        func problem(_ keys: [[String: Any]]) async throws -> String? {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("parley-jwks-\(UUID().uuidString)").path
            try TestTokens.jwks(keys).write(to: URL(fileURLWithPath: path))
            do {
                _ = try await VerificationKeys.jwksFile(path)
                return nil
            } catch {
                return error.problem
            }
        }
        var noKid = TestTokens.jwk(P256.Signing.PrivateKey().publicKey, kid: "x")
        noKid.removeValue(forKey: "kid")
        #expect(try await problem([noKid])?.contains("has no \"kid\"") == true)
        let key = TestTokens.jwk(P256.Signing.PrivateKey().publicKey, kid: "a")
        #expect(try await problem([key, key])?.contains("appears twice") == true)
        #expect(try await problem([])?.contains("holds no keys") == true)
        #expect(try await problem([key]) == nil)
    }

    @Test func theWebhooksAnswerIsAllowDenyOrNeither() {
        let allowed = WebhookAnswer.judge(status: 200, body: Array(#"{"allow":true,"user":"u1","name":"Ann","expiresAt":1767225600}"#.utf8))
        #expect(allowed == .allowed(ConnectionIdentity(user: "u1", name: "Ann", expiresAtMillis: 1_767_225_600_000)))
        #expect(WebhookAnswer.judge(status: 200, body: Array(#"{"allow":false}"#.utf8)) == .refused(.denied))
        #expect(WebhookAnswer.judge(status: 403, body: []) == .refused(.denied))
        #expect(WebhookAnswer.judge(status: 502, body: []) == .refused(.unreachable))
        #expect(WebhookAnswer.judge(status: 200, body: Array(#"{"allow":true}"#.utf8)) == .refused(.unreachable), "allowed, but who?")
    }

    @Test func theCacheKeepsAnswersForTheirTTLAndNeverUnreachable() {
        var cache = DecisionCache(ttl: .seconds(30), capacity: 2)
        let now = ContinuousClock.now
        let a = DecisionCache.key("a"), b = DecisionCache.key("b"), c = DecisionCache.key("c")
        cache.store(.refused(.denied), for: a, now: now)
        cache.store(.refused(.unreachable), for: b, now: now)
        #expect(cache.lookup(a, now: now + .seconds(29)) == .refused(.denied))
        #expect(cache.lookup(a, now: now + .seconds(31)) == nil)
        #expect(cache.lookup(b, now: now) == nil)
        cache.store(.refused(.denied), for: b, now: now)
        cache.store(.refused(.denied), for: c, now: now)
        #expect(cache.lookup(a, now: now) == nil, "past its capacity the oldest goes first")
    }
}

extension Error {
    fileprivate var problem: String { (self as? KeyFileError)?.problem ?? "\(self)" }
}
