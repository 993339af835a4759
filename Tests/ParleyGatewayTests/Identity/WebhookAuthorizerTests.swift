import Foundation
import Logging
import ParleyAuth
import ParleyTestSupport
import Testing

@testable import ParleyGateway

/// `--auth webhook` over a real HTTP server: allow (with user, name, rooms), deny, a webhook
/// too slow to answer and one that is not there. Whatever goes wrong, nobody is let in.
@Suite(.timeLimit(.minutes(2))) struct WebhookAuthorizerTests {
    static let logger = Logger(label: "test.webhook")

    static func upgrade(_ server: TestServer, token: String = "opaque-session-token") async throws -> Int {
        try await RawHTTP.upgradeStatus(port: server.port, path: "/ws?room=x", headers: [("Authorization", "Bearer \(token)")])
    }

    @Test func anAllowedConnectionTakesTheWebhooksIdentity() async throws {
        let webhook = try await TestWebhook.start { request in
            let allowed = (request["token"] as? String) == "good"
            return .init(
                body: allowed
                    ? #"{"allow":true,"user":"u-42","name":"Quinn","rooms":{"join":["lobby"],"publish":[]}}"# : #"{"allow":false}"#)
        }
        let authorizer = WebhookAuthorizer(url: webhook.url, timeout: .seconds(2), cacheTTL: .seconds(30), logger: Self.logger)
        try await withAuthServer(authorizer) { (server: TestServer) async throws in
            let client = try await TestClient.connect(
                port: server.port, path: "/ws?members=delta", headers: [("Authorization", "Bearer good")])
            try await client.send(#"{"action":"setName","name":"Quinn"}"#)
            #expect(try await client.next() == #"{"members":["Quinn"]}"#)
            // The webhook's rooms apply: no publishing anywhere.
            try await client.send(#"{"action":"sendPublic","message":"hello"}"#)
            #expect(try await client.next().contains(#""code":"forbidden""#))
            await client.close()
            // What the webhook was sent: the request as the managed API's authorizer sees it.
            let request = try #require(webhook.requests.first)
            #expect(request["type"] as? String == "connect")
            #expect(request["path"] as? String == "/ws")
            #expect((request["query"] as? [String: String])?["members"] == "delta")
            #expect(request["sourceAddress"] as? String == "127.0.0.1")
            #expect((request["headers"] as? [String: String])?["authorization"] == "Bearer good")
            // A second connection with the same token is answered from the cache.
            let again = try await TestClient.connect(port: server.port, headers: [("Authorization", "Bearer good")])
            await again.close()
            #expect(authorizer.callsMade == 1)
        }
        await authorizer.shutdown()
        await webhook.stop()
    }

    @Test func aDeniedConnectionGets401() async throws {
        let webhook = try await TestWebhook.start { _ in .init(body: #"{"allow":false}"#) }
        let forbidden = try await TestWebhook.start { _ in .init(status: .forbidden, body: "{}") }
        for hook in [webhook, forbidden] {
            let authorizer = WebhookAuthorizer(url: hook.url, logger: Self.logger)
            try await withAuthServer(authorizer) { (server: TestServer) async throws in
                #expect(try await Self.upgrade(server) == 401 as Int)
                #expect(AuthServer.refusals(.denied, on: server) == 1)
            }
            await authorizer.shutdown()
            await hook.stop()
        }
    }

    @Test func aWebhookThatDoesNotAnswerInTimeRefuses() async throws {
        let webhook = try await TestWebhook.start { _ in .init(body: #"{"allow":true,"user":"slow"}"#, delay: .seconds(3)) }
        let authorizer = WebhookAuthorizer(url: webhook.url, timeout: .milliseconds(300), logger: Self.logger)
        try await withAuthServer(authorizer) { (server: TestServer) async throws in
            let started = ContinuousClock.now
            #expect(try await Self.upgrade(server) == 401 as Int)
            #expect(ContinuousClock.now - started < .seconds(2))
            #expect(AuthServer.refusals(.unreachable, on: server) == 1)
        }
        await authorizer.shutdown()
        await webhook.stop()
    }

    @Test func anUnreachableWebhookRefusesAndIsNotCached() async throws {
        let authorizer = WebhookAuthorizer(url: try await TestWebhook.deadURL(), timeout: .seconds(1), logger: Self.logger)
        try await withAuthServer(authorizer) { (server: TestServer) async throws in
            #expect(try await Self.upgrade(server) == 401 as Int)
            #expect(try await Self.upgrade(server) == 401 as Int)
            #expect(AuthServer.refusals(.unreachable, on: server) == 2)
            #expect(authorizer.callsMade == 2)
        }
        await authorizer.shutdown()
    }

    /// An answer that is neither allow nor deny (a 500, a body that is not the JSON) lets nobody in.
    @Test func anAnswerThatIsNeitherAllowNorDenyRefuses() async throws {
        for reply in [
            TestWebhook.Reply(status: .internalServerError, body: "oops"), .init(body: "not json"), .init(body: #"{"allow":true}"#),
        ] {
            let webhook = try await TestWebhook.start { _ in reply }
            let authorizer = WebhookAuthorizer(url: webhook.url, logger: Self.logger)
            try await withAuthServer(authorizer) { (server: TestServer) async throws in
                #expect(try await Self.upgrade(server) == 401 as Int)
                #expect(AuthServer.refusals(.unreachable, on: server) == 1)
            }
            await authorizer.shutdown()
            await webhook.stop()
        }
    }
}
