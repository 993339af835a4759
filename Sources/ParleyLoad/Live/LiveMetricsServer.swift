import NIOCore
import NIOHTTP1
import NIOPosix

/// `GET /metrics` on its own port while parley-load runs: `LiveFigures` in Prometheus text, for
/// a Grafana watching a long run. Anything else is 404. Plain HTTP/1.1 on NIO; no TLS (bind it to
/// loopback or a private address).
public struct LiveMetricsServer: Sendable {
    let channel: any Channel

    public static func start(host: String, port: Int, figures: LiveFigures, group: any EventLoopGroup) async throws -> LiveMetricsServer {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Responder(figures: figures))
                }
            }
            .bind(host: host, port: port).get()
        return LiveMetricsServer(channel: channel)
    }

    public var port: Int? { channel.localAddress?.port }

    public func stop() async {
        try? await channel.close()
    }

    private final class Responder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let figures: LiveFigures
        private var head: HTTPRequestHead?

        init(figures: LiveFigures) { self.figures = figures }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): self.head = head
            case .body: break
            case .end:
                guard let head else { return }
                self.head = nil
                let found = head.method == .GET && (head.uri == "/metrics" || head.uri.hasPrefix("/metrics?"))
                let body = found ? figures.exposition() : "not found: parley-load serves /metrics\n"
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8")
                headers.add(name: "Content-Length", value: "\(body.utf8.count)")
                if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
                context.write(
                    wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: found ? .ok : .notFound, headers: headers))),
                    promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
                let keepAlive = head.isKeepAlive
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                    if !keepAlive { context.close(promise: nil) }
                }
            }
        }
    }
}
