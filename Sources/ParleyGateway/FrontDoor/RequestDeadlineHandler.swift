import NIOCore
import NIOHTTP1

/// Runs `RequestDeadlines` on a socket that is not a WebSocket yet: arms its timer on accept and
/// between requests, disarms it while a request is answered, and on expiry answers 408 (first
/// request) or just closes (idle keep-alive). Sits right after the request decoder, where it sees
/// each request's head coming in and each response's end going out; leaves the pipeline with
/// the HTTP parser on upgrade (the WebSocket's own idle timeout takes over).
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var deadlines: RequestDeadlines
    private var timer: Scheduled<Void>?
    private let expired: @Sendable (RequestDeadlines.Expiry) -> Void
    private let spreadDraw: Double

    /// - Parameters:
    ///   - spreadDraw: where in the header deadline's spread this socket's falls (0..<1; random
    ///     unless a test pins it).
    ///   - expired: counts each expiry (`parley_request_timeouts_total`).
    init(
        headerTimeout: Duration, idleTimeout: Duration, spreadDraw: Double = .random(in: 0..<1),
        expired: @escaping @Sendable (RequestDeadlines.Expiry) -> Void
    ) {
        self.deadlines = RequestDeadlines(headerTimeout: headerTimeout, idleTimeout: idleTimeout)
        self.spreadDraw = spreadDraw
        self.expired = expired
    }

    func handlerAdded(context: ChannelHandlerContext) {
        apply(deadlines.accepted(draw: spreadDraw), context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { apply(deadlines.receivedHeaders(), context: context) }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { apply(deadlines.sentResponseEnd(), context: context) }
        context.write(data, promise: promise)
    }

    private func apply(_ action: RequestDeadlines.TimerAction, context: ChannelHandlerContext) {
        switch action {
        case .keep:
            return
        case .cancel:
            timer?.cancel()
            timer = nil
        case .arm(let duration):
            timer?.cancel()
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: TimeAmount(duration)) {
                let (handler, context) = loopBound.value
                handler.expire(context: context)
            }
        }
    }

    private func expire(context: ChannelHandlerContext) {
        timer = nil
        guard let expiry = deadlines.expired() else { return }
        expired(expiry)
        switch expiry {
        case .idleClose:
            context.close(promise: nil)
        case .requestTimeout:
            let head = HTTPResponseHead(
                version: .http1_1, status: .requestTimeout,
                headers: HTTPHeaders([("Connection", "close"), ("Content-Length", "0")]))
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
        }
    }
}
