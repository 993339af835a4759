import NIOCore

/// Sits on the socket's side of the frame encoder (inside TLS, if any), so that whole frames from
/// `ServerFrame` skip NIO's `WebSocketFrameEncoder` (see `ServerFrame` for why).
final class PreEncodedFrameWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func write(_ frame: ByteBuffer) {
        context?.write(Self.wrapOutboundOut(frame), promise: nil)
    }

    func flush() {
        context?.flush()
    }
}
