import NIOCore
import NIOPosix
import ParleyTestSupport
import Synchronization
import Testing

/// Requests the HTTP parser gives up on are answered and closed, never held (a 200 KB header
/// line, or 20,000 small headers, got no answer and kept their socket before).
@Suite(.timeLimit(.minutes(1))) struct MalformedRequestTests {
    /// Everything the server sends until it closes the socket (or `within` passes).
    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = Mutex<[UInt8]>([])
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = Self.unwrapInboundIn(data)
            received.withLock { $0 += buffer.readableBytesView }
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    private func answer(to request: [UInt8], port: Int) async throws -> (response: String, closed: Bool) {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: TestClient.group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        // The server may answer and close before it has read everything: a failed write is fine.
        try? await channel.writeAndFlush(ByteBuffer(bytes: request)).get()
        let closed = await closedByServer(channel, within: .seconds(3))
        try? await channel.close()
        return (String(decoding: collector.received.withLock { $0 }, as: UTF8.self), closed)
    }

    @Test func oversizedHeadersGet431AndAClose() async throws {
        try await withServer { server in
            let long = Array("GET /ws HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 200_000))\r\n\r\n".utf8)
            let (response, closed) = try await answer(to: long, port: server.port)
            #expect(response.hasPrefix("HTTP/1.1 431"), "\(response.prefix(40))")
            #expect(closed)

            var many = "GET / HTTP/1.1\r\nHost: x\r\n"
            for index in 0..<20_000 { many += "X-\(index): b\r\n" }
            let (manyResponse, manyClosed) = try await answer(to: Array((many + "\r\n").utf8), port: server.port)
            #expect(manyResponse.hasPrefix("HTTP/1.1 431"), "\(manyResponse.prefix(40))")
            #expect(manyClosed)

            let (garbage, garbageClosed) = try await answer(to: Array("NOT HTTP\u{0}\u{1}\r\n\r\n".utf8), port: server.port)
            #expect(garbage.hasPrefix("HTTP/1.1 400"), "\(garbage.prefix(40))")
            #expect(garbageClosed)

            // The server carries on: a member chats as before.
            let alice = try await server.namedClient("alice")
            try await alice.send(#"{"action":"sendPublic","message":"still here"}"#)
            #expect(try await alice.next().contains("still here"))
            #expect(server.gateway.metrics.exposition().contains(#"parley_upgrade_refusals_total{status="431"} 2"#))
        }
    }
}
