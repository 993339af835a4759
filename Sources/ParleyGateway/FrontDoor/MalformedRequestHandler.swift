import NIOCore
import NIOHTTP1

/// Answers a request NIO's HTTP parser gave up on — 431 when its headers are too large (over 80 KiB
/// in one field or in all, NIO's limits), 400 otherwise — and closes the socket. Without it such a
/// request got no answer and its socket stayed open: one 200 KB header line, or 20,000 small
/// headers, held a connection for as long as the client liked. Sits right after the request
/// decoder, before the upgrade handler.
final class MalformedRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let refused: @Sendable (Int) -> Void

    /// - Parameter refused: counts each answer by status (`parley_upgrade_refusals_total`).
    init(refused: @escaping @Sendable (Int) -> Void) {
        self.refused = refused
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        let status: HTTPResponseStatus =
            if case .headerOverflow = parserError { .requestHeaderFieldsTooLarge } else { .badRequest }
        refused(Int(status.code))
        let head = HTTPResponseHead(
            version: .http1_1, status: status, headers: HTTPHeaders([("Connection", "close"), ("Content-Length", "0")]))
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
