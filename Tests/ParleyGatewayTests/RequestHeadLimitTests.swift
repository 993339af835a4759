import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ParleyTestSupport
import Testing

@testable import ParleyGateway

/// `--max-header-bytes` and `--max-headers`: a first request head past either is answered 431 and
/// closed before NIO's parser holds it (whose own limit, 80 KiB, is fixed).
@Suite(.timeLimit(.minutes(1))) struct RequestHeadLimitTests {
    @Test func theHeadIsCountedAcrossReadsUntilItsBlankLine() {
        var limits = RequestHeadLimits(maximumBytes: 100, maximumFields: 2)
        #expect(limits.consume(Array("GET / HTTP/1.1\r\nHost: x\r".utf8)) == .more)
        #expect(limits.consume(Array("\nA: b\r\n".utf8)) == .more)
        #expect(limits.consume(Array("\r\nbody".utf8)) == .complete)
        var bare = RequestHeadLimits(maximumBytes: 100, maximumFields: 2)
        #expect(bare.consume(Array("GET / HTTP/1.1\nHost: x\n\n".utf8)) == .complete, "bare newlines end a head too")
    }

    @Test func tooManyBytesOrFieldsIsTooLarge() {
        var bytes = RequestHeadLimits(maximumBytes: 40, maximumFields: 100)
        #expect(bytes.consume(Array("GET / HTTP/1.1\r\nX: \(String(repeating: "a", count: 30))".utf8)) == .tooLarge)
        var fields = RequestHeadLimits(maximumBytes: 10_000, maximumFields: 2)
        #expect(fields.consume(Array("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n".utf8)) == .more)
        #expect(fields.consume(Array("C: 3\r\n".utf8)) == .tooLarge)
        var exactly = RequestHeadLimits(maximumBytes: 10_000, maximumFields: 2)
        #expect(exactly.consume(Array("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n".utf8)) == .complete, "two fields are allowed")
    }

    private func send(_ request: String, port: Int) async throws -> (answer: String, closed: Bool) {
        let received = NIOLockedValueBox<[UInt8]>([])
        let channel = try await ClientBootstrap(group: TestClient.group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collect(received)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        try? await channel.writeAndFlush(ByteBuffer(string: request)).get()
        let closed = await closedByServer(channel, within: .seconds(3))
        try? await channel.close()
        return (String(decoding: received.withLockedValue { $0 }, as: UTF8.self), closed)
    }

    private final class Collect: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<[UInt8]>
        init(_ received: NIOLockedValueBox<[UInt8]>) { self.received = received }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = Self.unwrapInboundIn(data)
            received.withLockedValue { $0 += buffer.readableBytesView }
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    @Test func overTheFlagsButUnderNIOsLimitIsRefused() async throws {
        try await withServer(gateway: {
            $0.maximumRequestHeadBytes = 8 * 1024
            $0.maximumRequestHeaderFields = 50
        }) { server in
            // 20 KB: under NIO's 80 KiB, over the 8 KiB flag.
            let long = try await send(
                "GET /ws HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 20_000))\r\n\r\n", port: server.port)
            #expect(long.answer.hasPrefix("HTTP/1.1 431"), "\(long.answer.prefix(40))")
            #expect(long.closed)
            var many = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
            for index in 0..<60 { many += "X-\(index): b\r\n" }
            let fields = try await send(many + "\r\n", port: server.port)
            #expect(fields.answer.hasPrefix("HTTP/1.1 431"), "\(fields.answer.prefix(40))")
            #expect(fields.closed)
            // Within the limits: served, and a member chats.
            let ok = try await RawHTTP.request(
                port: server.port, path: "/healthz", headers: [("X-Fine", String(repeating: "b", count: 2_000))])
            #expect(ok.status == 200)
            let alice = try await server.namedClient("alice")
            try await alice.send(#"{"action":"sendPublic","message":"fine"}"#)
            #expect(try await alice.next().contains("fine"))
            #expect(server.gateway.metrics.exposition().contains(#"parley_upgrade_refusals_total{status="431"} 2"#))
        }
    }
}
