import Foundation
import ParleyAuth
import ParleyTestSupport
import Testing

@testable import ParleyGateway

/// What a verified identity means once connected (docs/PROTOCOL.md, "Identity"): the name is
/// the token's and never another user's, online or offline; two sockets of one user are one
/// member; rooms outside the claims are `forbidden` and the connection goes on; at the
/// deadline the client is told and closed with 4001 unless it refreshed first.
@Suite(.timeLimit(.minutes(2))) struct IdentityOverSocketsTests {
    static func connect(_ token: String, on server: TestServer, query: String = "members=delta") async throws -> TestClient {
        try await TestClient.connect(port: server.port, path: "/ws?\(query)", headers: [("Authorization", "Bearer \(token)")])
    }

    static func errorCode(_ text: String) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        return (object?["error"] as? [String: Any])?["code"] as? String
    }

    /// Reads until a `members` snapshot and returns its names.
    static func members(_ client: TestClient) async throws -> [String] {
        while true {
            let text = try await client.next()
            if let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                let names = object["members"] as? [String]
            {
                return names
            }
        }
    }

    @Test func aGoodTokenConnectsUnderItsNameAndNoOtherUserCanTakeItOnlineOrOffline() async throws {
        try await withAuthServer(try await AuthServer.jwt()) { server in
            let alice = try await Self.connect(TestTokens.hs256(TestTokens.claims("u-alice", name: "Alice")), on: server)
            try await alice.send(#"{"action":"setName","name":"Alice"}"#)
            #expect(try await Self.members(alice) == ["Alice"])

            // Bob's token names him Bob: Alice's name is taken while she is here…
            let bobToken = TestTokens.hs256(TestTokens.claims("u-bob", name: "Bob"))
            let bob = try await Self.connect(bobToken, on: server)
            try await bob.send(#"{"action":"setName","name":"alice"}"#)
            #expect(Self.errorCode(try await bob.next()) == "name_taken")
            // …a name no token gives him is forbidden…
            try await bob.send(#"{"action":"setName","name":"Mallory"}"#)
            #expect(Self.errorCode(try await bob.next()) == "forbidden")
            await alice.close()
            // …and Alice's stays hers when she is gone.
            try await Task.sleep(for: .milliseconds(200))
            try await bob.send(#"{"action":"setName","name":"Alice"}"#)
            #expect(Self.errorCode(try await bob.next()) == "name_taken")
            // His own name works, and the connection was usable throughout.
            try await bob.send(#"{"action":"setName","name":"Bob"}"#)
            #expect(try await Self.members(bob) == ["Bob"])
            await bob.close()
        }
    }

    /// The name claim is the chat name; without one, the `sub` is.
    @Test func theSubjectIsTheNameWhenTheTokenHasNoNameClaim() async throws {
        try await withAuthServer(try await AuthServer.jwt()) { server in
            let client = try await Self.connect(TestTokens.hs256(TestTokens.claims("carol")), on: server)
            try await client.send(#"{"action":"setName","name":"carol"}"#)
            #expect(try await Self.members(client) == ["carol"])
            await client.close()
        }
    }

    @Test func twoTabsOfOneUserAreOneMember() async throws {
        try await withAuthServer(try await AuthServer.jwt()) { server in
            let token = TestTokens.hs256(TestTokens.claims("u-dana", name: "Dana"))
            let watcher = try await Self.connect(
                TestTokens.hs256(TestTokens.claims("u-erin", name: "Erin")), on: server, query: "members=full")
            try await watcher.send(#"{"action":"setName","name":"Erin"}"#)
            #expect(try await watcher.next(2) == [#"{"members":["Erin"]}"#, #"{"systemMessage":"Erin has joined the chat"}"#])
            let first = try await Self.connect(token, on: server)
            try await first.send(#"{"action":"setName","name":"Dana"}"#)
            #expect(try await Self.members(first) == ["Erin", "Dana"])
            // The full feed's presence, in the tutorial's order.
            #expect(try await watcher.next(2) == [#"{"members":["Erin","Dana"]}"#, #"{"systemMessage":"Dana has joined the chat"}"#])

            // The second tab: the same member list, and nobody is told of a join.
            let second = try await Self.connect(token, on: server)
            try await second.send(#"{"action":"setName","name":"Dana"}"#)
            #expect(try await Self.members(second) == ["Erin", "Dana"])
            try await watcher.expectSilence()

            // Both tabs hear the room and a private message to the name.
            try await watcher.send(#"{"action":"sendPublic","message":"hi all"}"#)
            try await watcher.send(#"{"action":"sendPrivate","to":"Dana","message":"hi you"}"#)
            for tab in [first, second] {
                #expect(try await tab.next().hasPrefix(#"{"publicMessage":"Erin: hi all""#))
                #expect(try await tab.next().hasPrefix(#"{"privateMessage":"Erin: hi you""#))
            }
            // A tab can speak as the member.
            try await second.send(#"{"action":"sendPublic","message":"from the second tab"}"#)
            _ = try await watcher.next()  // Erin's own message
            #expect(try await watcher.next().hasPrefix(#"{"publicMessage":"Dana: from the second tab""#))

            // One tab closing is no leave; the last one is.
            await first.close()
            try await watcher.expectSilence(for: .milliseconds(400))
            try await watcher.send(#"{"action":"sendPrivate","to":"Dana","message":"still there?"}"#)
            _ = try await second.next()  // the public message it sent, echoed to the room
            #expect(try await second.next().hasPrefix(#"{"privateMessage":"Erin: still there?""#))
            await second.close()
            #expect(try await watcher.next(2) == [#"{"systemMessage":"Dana has left the chat"}"#, #"{"members":["Erin"]}"#])
            await watcher.close()
        }
    }

    @Test func aRoomOutsideTheClaimsIsForbiddenAndTheConnectionGoesOn() async throws {
        try await withAuthServer(try await AuthServer.jwt()) { server in
            let rooms: [String: Any] = ["join": ["lobby", "team-*"], "publish": ["team-red"]]
            let client = try await Self.connect(
                TestTokens.hs256(TestTokens.claims("u-fay", name: "Fay", extra: ["rooms": rooms])), on: server)
            try await client.send(#"{"action":"setName","name":"Fay"}"#)
            _ = try await Self.members(client)
            try await client.send(#"{"action":"join","room":"secret"}"#)
            #expect(Self.errorCode(try await client.next()) == "forbidden")
            // Joining is allowed by a pattern; publishing only where the publish list says.
            try await client.send(#"{"action":"join","room":"team-blue"}"#)
            #expect(try await Self.members(client) == ["Fay"])
            try await client.send(#"{"action":"sendPublic","room":"team-blue","message":"may I?"}"#)
            #expect(Self.errorCode(try await client.next()) == "forbidden")
            try await client.send(#"{"action":"sendPublic","message":"in the lobby?"}"#)
            #expect(Self.errorCode(try await client.next()) == "forbidden")
            try await client.send(#"{"action":"join","room":"team-red"}"#)
            #expect(try await Self.members(client) == ["Fay"])
            try await client.send(#"{"action":"sendPublic","room":"team-red","message":"here I may"}"#)
            #expect(try await client.next().hasPrefix(#"{"publicMessage":"Fay: here I may""#))
            await client.close()
        }
    }

    @Test func atItsDeadlineTheConnectionIsToldAndClosedWith4001() async throws {
        try await withAuthServer(try await AuthServer.jwt()) { server in
            let client = try await Self.connect(TestTokens.hs256(TestTokens.claims("u-gus", lifetime: 1.5)), on: server)
            let told = try await client.next(within: .seconds(4))
            #expect(told.hasPrefix(#"{"tokenExpired":{"at":"#))
            #expect(try await client.closeCode(within: .seconds(3)) == 4001)
            #expect(server.gateway.metrics.exposition().contains("parley_token_expiry_closes_total 1"))
        }
    }

    @Test func aRefreshBeforeTheDeadlineKeepsTheConnection() async throws {
        try await withAuthServer(try await AuthServer.jwt()) { server in
            // Three seconds: room for a slow machine between the connect and the refresh's answer.
            let client = try await Self.connect(TestTokens.hs256(TestTokens.claims("u-hal", lifetime: 3)), on: server)
            let connected = ContinuousClock.now
            try await client.send(#"{"action":"setName","name":"u-hal"}"#)
            _ = try await Self.members(client)
            // Another user's token does not take the socket over.
            try await client.send(#"{"action":"refresh","token":"\#(TestTokens.hs256(TestTokens.claims("u-ivy", lifetime: 60)))"}"#)
            #expect(Self.errorCode(try await client.next()) == "forbidden")
            // Counted like every error the server answers with.
            #expect(server.gateway.metrics.exposition().contains(#"parley_errors_total{code="forbidden"} 1"#))
            try await client.send(#"{"action":"refresh","token":"\#(TestTokens.hs256(TestTokens.claims("u-hal", lifetime: 60)))"}"#)
            #expect(try await client.next().hasPrefix(#"{"tokenRefreshed":{"expiresAt":"#))
            // Past the first deadline (exp is whole seconds: at most 3 s away), still open and serving.
            try await Task.sleep(until: connected + .seconds(3.5))
            try await client.send(#"{"action":"sendPublic","message":"still here"}"#)
            #expect(try await client.next().hasPrefix(#"{"publicMessage":"u-hal: still here""#))
            await client.close()
        }
    }

    /// Rate limits keyed by user, not only by address: one user's sockets are counted together.
    @Test func aUserPastItsConnectionLimitGets429WhileOthersConnect() async throws {
        try await withAuthServer(try await AuthServer.jwt(), gateway: { $0.maximumConnectionsPerUser = 2 }) {
            (server: TestServer) async throws in
            let headers = [("Authorization", "Bearer \(TestTokens.hs256(TestTokens.claims("u-kim")))")]
            let first = try await TestClient.connect(port: server.port, headers: headers)
            let second = try await TestClient.connect(port: server.port, headers: headers)
            #expect(try await RawHTTP.upgradeStatus(port: server.port, path: "/ws", headers: headers) == 429)
            let other = try await Self.connect(TestTokens.hs256(TestTokens.claims("u-lee")), on: server)
            await first.close()
            try await Task.sleep(for: .milliseconds(200))
            let third = try await TestClient.connect(port: server.port, headers: headers)
            for client in [second, other, third] { await client.close() }
        }
    }
}
