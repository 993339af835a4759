import Foundation
import ParleyTestSupport
import Testing

@Suite(.timeLimit(.minutes(1))) struct ManagementAPITests {
    let auth = [("Authorization", "Bearer s3cret")]

    /// The id of the server's only connection (the one under test), from the gateway's registry.
    func onlyConnectionID(in server: TestServer) async throws -> String {
        let ids = try await server.gateway.registry.openIDs()
        #expect(ids.count == 1)
        return ids[0]
    }

    /// alice, named and through her readiness probe, and her connection's id.
    func alice(on server: TestServer) async throws -> (client: TestClient, id: String) {
        let client = try await server.namedClient("alice")
        try await client.send(#"{"action":"sendPrivate","message":"ready","to":"alice"}"#)
        _ = try await client.next()
        return (client, try await onlyConnectionID(in: server))
    }

    @Test func offWithoutATokenAnd401WithAWrongOne() async throws {
        try await withServer { server in
            let off = try await RawHTTP.request(port: server.port, path: "/@connections/0000000000000001", headers: auth)
            #expect(off.status == 404)
        }
        try await withServer(gateway: { $0.managementToken = "s3cret" }) { server in
            let none = try await RawHTTP.request(port: server.port, path: "/@connections/0000000000000001")
            #expect(none.status == 401)
            let wrong = try await RawHTTP.request(
                port: server.port, path: "/@connections/0000000000000001", headers: [("Authorization", "Bearer nope")])
            #expect(wrong.status == 401)
        }
    }

    @Test func postGetDeleteAndGone() async throws {
        try await withServer(gateway: {
            $0.managementToken = "s3cret"
            $0.maximumMessageBytes = 1024
        }) { server in
            let (client, id) = try await alice(on: server)

            let posted = try await RawHTTP.request(
                port: server.port, method: "POST", path: "/@connections/\(id)", headers: auth, body: Array("from the API".utf8))
            #expect(posted.status == 200)
            #expect(try await client.next() == "from the API")

            let tooLarge = try await RawHTTP.request(
                port: server.port, method: "POST", path: "/@connections/\(id)", headers: auth, body: Array(repeating: 65, count: 2000))
            #expect(tooLarge.status == 413)

            let described = try await RawHTTP.request(port: server.port, path: "/@connections/\(id)", headers: auth)
            #expect(described.status == 200)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(described.body.utf8)) as? [String: String])
            #expect(json["connectionId"] == id)
            #expect(json["name"] == "alice")
            #expect(json["sourceIp"] == "127.0.0.1")
            #expect(json["connectedAt"] != nil && json["lastActiveAt"] != nil)

            let deleted = try await RawHTTP.request(port: server.port, method: "DELETE", path: "/@connections/\(id)", headers: auth)
            #expect(deleted.status == 204)
            #expect(try await client.closeCode() == 1000)

            try await waitUntil { server.gateway.openConnections == 0 }
            for method in ["GET", "POST", "DELETE"] {
                let gone = try await RawHTTP.request(
                    port: server.port, method: method, path: "/@connections/\(id)", headers: auth, body: Array("x".utf8))
                #expect(gone.status == 410, "\(method) after close")
            }
            let never = try await RawHTTP.request(port: server.port, path: "/@connections/not-an-id", headers: auth)
            #expect(never.status == 410)
        }
    }

    @Test func healthz() async throws {
        try await withServer { server in
            let health = try await RawHTTP.request(port: server.port, path: "/healthz")
            #expect(health.status == 200)
            #expect(health.body == "ok\n")
        }
    }

    @Test func onItsOwnListenerTheAPIIsOffTheChatsPort() async throws {
        try await withServer(gateway: {
            $0.managementToken = "s3cret"
            $0.managementPort = 0
        }) { server in
            let managementPort = try #require(await server.gateway.waitUntilManagementListening()?.port)
            #expect(managementPort != server.port)
            let (client, id) = try await alice(on: server)

            let onChatPort = try await RawHTTP.request(
                port: server.port, method: "POST", path: "/@connections/\(id)", headers: auth, body: Array("no".utf8))
            #expect(onChatPort.status == 404, "not on the public port")
            let onOwnPort = try await RawHTTP.request(
                port: managementPort, method: "POST", path: "/@connections/\(id)", headers: auth, body: Array("from the side door".utf8))
            #expect(onOwnPort.status == 200)
            #expect(try await client.next() == "from the side door")
            let unauthorized = try await RawHTTP.request(port: managementPort, path: "/@connections/\(id)")
            #expect(unauthorized.status == 401, "still behind the token")
            // The chat's port still serves what it serves.
            #expect(try await RawHTTP.request(port: server.port, path: "/healthz").status == 200)
        }
    }
}
