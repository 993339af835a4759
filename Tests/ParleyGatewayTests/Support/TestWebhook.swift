import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import ParleyTestSupport
import Synchronization

/// A real HTTP server on loopback standing in for an operator's auth webhook: each POST's JSON
/// body is kept, and `answer` says what to reply (status, body, and a delay before replying).
final class TestWebhook: Sendable {
    struct Reply: Sendable {
        var status: HTTPResponseStatus = .ok
        var body: String
        var delay: Duration = .zero
    }

    let channel: any Channel
    private let received = Mutex<[Data]>([])

    var port: Int { channel.localAddress!.port! }
    var url: String { "http://127.0.0.1:\(port)/authorize" }
    var requests: [[String: Any]] {
        received.withLock { $0 }.map { (try? JSONSerialization.jsonObject(with: $0)) as? [String: Any] ?? [:] }
    }

    private init(channel: any Channel) { self.channel = channel }

    static func start(_ answer: @escaping @Sendable ([String: Any]) -> Reply) async throws -> TestWebhook {
        let box = Mutex<TestWebhook?>(nil)
        let channel = try await ServerBootstrap(group: TestClient.group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(
                        Handler { body in
                            let data = Data(body)
                            box.withLock { $0 }?.received.withLock { $0.append(data) }
                            return answer((try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
                        })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let webhook = TestWebhook(channel: channel)
        box.withLock { $0 = webhook }
        return webhook
    }

    func stop() async {
        try? await channel.close()
    }

    /// A loopback port nothing listens on (bound, then closed).
    static func deadURL() async throws -> String {
        let channel = try await ServerBootstrap(group: TestClient.group).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return "http://127.0.0.1:\(port)/authorize"
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let answer: @Sendable ([UInt8]) -> Reply
        var body: [UInt8] = []

        init(_ answer: @escaping @Sendable ([UInt8]) -> Reply) { self.answer = answer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head: body = []
            case .body(var chunk): body += chunk.readBytes(length: chunk.readableBytes) ?? []
            case .end:
                let reply = answer(body)
                let loop = context.eventLoop
                let bound = NIOLoopBound(context, eventLoop: loop)
                loop.scheduleTask(
                    in: .nanoseconds(
                        Int64(reply.delay.components.seconds * 1_000_000_000 + reply.delay.components.attoseconds / 1_000_000_000))
                ) {
                    let context = bound.value
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: "application/json")
                    headers.add(name: "Content-Length", value: "\(reply.body.utf8.count)")
                    context.write(
                        NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: reply.status, headers: headers))),
                        promise: nil)
                    context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: reply.body)))), promise: nil)
                    context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
                }
            }
        }
    }
}
