import NIOCore

/// Runs `RequestHeadLimits` in front of NIO's HTTP parser on a new connection: bytes pass through
/// as they come; a head past a limit is answered 431 and the socket closed without the parser
/// ever holding it; once the first head is complete the handler leaves the pipeline (later
/// requests on a kept-alive connection meet the parser's own 80 KiB limit).
final class RequestHeadLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var limits: RequestHeadLimits
    private var refused = false
    private let counted: @Sendable (Int) -> Void

    /// - Parameter counted: counts each refusal by status (`parley_upgrade_refusals_total`).
    init(maximumBytes: Int, maximumFields: Int, counted: @escaping @Sendable (Int) -> Void) {
        self.limits = RequestHeadLimits(maximumBytes: maximumBytes, maximumFields: maximumFields)
        self.counted = counted
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        let buffer = unwrapInboundIn(data)
        switch limits.consume(buffer.readableBytesView) {
        case .more:
            context.fireChannelRead(data)
        case .complete:
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
        case .tooLarge:
            refused = true
            counted(431)
            let answer = "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer))).whenComplete { _ in context.close(promise: nil) }
        }
    }
}
