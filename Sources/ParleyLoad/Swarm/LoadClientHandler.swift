import NIOCore
import NIOWebSocket

/// Reads frames for one `LoadClient` straight from the socket's bytes (`ServerFrameReader`,
/// `ClientFrames`) until the client is ready — or for its whole life when it stays on NIO's
/// receive path (TLS, reconnecting clients, churn, publishers: `LoadRun.receivesDirectly`).
/// The clock is read once per socket read: every frame of one read arrived at the same time,
/// and a clock read per frame was a measurable share of the harness's cost.
final class LoadClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let client: LoadClient
    private var reader = ServerFrameReader()

    init(client: LoadClient) {
        self.client = client
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = NIODeadline.now().uptimeNanoseconds
        do {
            try reader.consume(
                Self.unwrapInboundIn(data),
                data: { bytes in ClientFrames.receive(bytes, client: client, recorder: client.recorder, at: now) },
                control: { control in answer(control, context: context) })
        } catch {
            // The server broke the protocol: say so as a client must (RFC 6455 §7.4.1) and go.
            fail(context: context, code: error == .tooBig ? 1009 : 1002)
            return
        }
        handOffIfReady(channel: context.channel)
    }

    /// A member bound for the direct receive path leaves NIO here: once ready, between reads,
    /// so that every byte NIO read has been seen and only a frame's unfinished tail is carried
    /// over. NIO's descriptor is closed (after it leaves NIO's epoll set); the socket lives on
    /// in the duplicate the receive loop owns.
    func handOffIfReady(channel: any Channel) {
        guard let direct = client.direct, !direct.handedOff, client.readyAt != nil, client.leftAt == nil, reader.isBetweenMessages
        else { return }
        client.direct!.handedOff = true
        let tail = reader.takePending()
        channel.close(promise: nil)
        direct.loop.adopt(descriptor: direct.descriptor, client: client, tail: tail)
    }

    private func answer(_ control: ServerFrameReader.Control, context: ChannelHandlerContext) {
        switch control {
        case .close(let code):
            // Answer the server's close; the socket closes after.
            fail(context: context, code: code == 1005 ? 1000 : code)
        case .ping(let payload):
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: payload)
            context.writeAndFlush(NIOAny(pong), promise: nil)
        }
    }

    private func fail(context: ChannelHandlerContext, code: UInt16) {
        var reply = context.channel.allocator.buffer(capacity: 2)
        reply.writeInteger(code)
        let close = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: reply)
        context.writeAndFlush(NIOAny(close), promise: nil)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Handed off: the socket goes on in the receive loop. Otherwise NIO's close ends it,
        // and the receive loop's descriptor must go too.
        if client.direct?.handedOff == true { return context.fireChannelInactive() }
        client.closeDirectDescriptor()
        client.onClosed?(client, client.leftAt != nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
