import Testing

/// docs/PROTOCOL.md's route and outbound tables over real sockets, byte for byte.
@Suite(.timeLimit(.minutes(1))) struct RouteTableTests {
    let publicHi = #"{"publicMessage":"alice: hi","from":"alice","text":"hi","seq":1,"ts":"#

    @Test func tutorialFlowWithTwoClients() async throws {
        try await withServer { server in
            let alice = try await server.namedClient("alice", feed: "full")
            #expect(try await alice.next(2) == [#"{"members":["alice"]}"#, #"{"systemMessage":"alice has joined the chat"}"#])

            let bob = try await server.namedClient("bob", feed: "full")
            let joined = [#"{"members":["alice","bob"]}"#, #"{"systemMessage":"bob has joined the chat"}"#]
            #expect(try await alice.next(2) == joined)
            #expect(try await bob.next(2) == joined)

            let unnamed = try await server.client()
            try await alice.send(#"{"action":"sendPublic","message":"hi"}"#)
            #expect(try await alice.next().hasPrefix(publicHi), "the sender gets its own public message")
            #expect(try await bob.next().hasPrefix(publicHi))

            try await bob.send(#"{"action":"sendPrivate","message":"psst","to":"alice"}"#)
            #expect(try await alice.next().hasPrefix(#"{"privateMessage":"bob: psst","from":"bob","text":"psst","seq":1,"ts":"#))
            try await bob.expectSilence()
            try await unnamed.expectSilence(for: .milliseconds(50))

            await bob.close()
            #expect(try await alice.next(2) == [#"{"systemMessage":"bob has left the chat"}"#, #"{"members":["alice"]}"#])
        }
    }

    @Test func membersListFollowsJoinOrderWithThreeClients() async throws {
        try await withServer { server in
            let carol = try await server.namedClient("carol", feed: "full")
            _ = try await carol.next(2)
            let alice = try await server.namedClient("alice", feed: "full")
            _ = try await carol.next(2)
            _ = try await alice.next(2)
            let bob = try await server.namedClient("bob", feed: "full")
            let expected = [#"{"members":["carol","alice","bob"]}"#, #"{"systemMessage":"bob has joined the chat"}"#]
            #expect(try await carol.next(2) == expected)
            #expect(try await alice.next(2) == expected)
            #expect(try await bob.next(2) == expected)

            try await carol.send(#"{"action":"sendPrivate","message":"x","to":"BOB"}"#)
            #expect(try await bob.next().contains(#""privateMessage":"carol: x""#))
            try await alice.expectSilence()
            try await carol.expectSilence(for: .milliseconds(50))
        }
    }

    @Test func unnamedConnectionsReceiveNoChatTraffic() async throws {
        try await withServer { server in
            let watcher = try await server.client("/ws")
            let alice = try await server.namedClient("alice")
            try await alice.send(#"{"action":"sendPublic","message":"hi"}"#)
            _ = try await alice.next()
            try await watcher.expectSilence()
        }
    }
}
