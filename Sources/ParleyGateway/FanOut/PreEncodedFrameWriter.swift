import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Sits on the socket's side of the frame encoder (inside TLS, if any), so that whole frames from
/// `ServerFrame` skip NIO's `WebSocketFrameEncoder` (see `ServerFrame` for why).
///
/// On a plaintext socket it also writes directly (docs/ARCHITECTURE.md, "The direct write path"):
/// frames written are held here until the flush, which hands them to the kernel with one
/// `send`/`sendmsg` on the socket's descriptor when NIO has nothing of this connection's
/// buffered; whatever the kernel does not take (and everything while NIO still holds bytes, so
/// that order is kept) goes through the pipeline as before, where NIO's writability — the
/// outbound budget — sees it. Per delivery that skips the pipeline's write and flush, NIO's
/// pending-write bookkeeping and its flush path; the kernel's cost is the same one send. On the
/// io_uring path (`flush(into:tag:)`), the loop's table gathers every writer's send of a flush
/// into one submission and hands each its result (`finishFlush`).
///
/// Two callers, each for its own frames: the connection's handler writes and flushes at once
/// (replies, pongs, the close), and the loop's table queues the fan-out's frames (`queue`) and
/// flushes them when its `LoopFlushPolicy` says. Either flush sends everything held.
final class PreEncodedFrameWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    /// The channel, kept: `context.channel` retains and releases on every read of it.
    private var channel: (any Channel)?
    /// The socket's descriptor when the direct path is on for this connection.
    private var descriptor: CInt?
    private let writesDirectly: Bool
    /// Frames written since the last flush, direct and io_uring paths only.
    private var held = HeldFrames()
    /// Set whenever bytes go to NIO (ours, or another handler's passing through here on their way
    /// to the socket); cleared once NIO reports none buffered. While clear, NIO holds nothing of
    /// this connection's and its (costly) buffered-bytes option need not be read.
    private var nioMayHoldBytes = false
    /// Frames were queued (or written) since the last flush: the loop's table has this writer on
    /// its list already.
    private var awaitsFlush = false

    init(writesDirectly: Bool = false) {
        self.writesDirectly = writesDirectly
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        channel = context.channel
        descriptor = writesDirectly ? SocketDescriptor.of(context.channel) : nil
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        flushThroughPipeline()
        self.context = nil
        channel = nil
        descriptor = nil
    }

    /// Another handler's write on its way to the socket (a close frame NIOWebSocket answers with,
    /// say): frames held here were written before it and go first; NIO will hold it, so frames
    /// after it must queue behind it.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        passHeldToPipeline(context)
        nioMayHoldBytes = true
        context.write(data, promise: promise)
    }

    /// A fan-out frame, flushed later by the loop's table. True when this writer held nothing
    /// since its last flush: the table must add it to the flush list.
    func queue(_ frame: ByteBuffer) -> Bool {
        write(frame)
        defer { awaitsFlush = true }
        return !awaitsFlush
    }

    func write(_ frame: ByteBuffer) {
        guard descriptor != nil else {
            context?.write(Self.wrapOutboundOut(frame), promise: nil)
            return
        }
        held.append(frame)
    }

    func flush() {
        awaitsFlush = false
        guard readyToSendDirectly(), let descriptor, let context else { return }
        if let first = held.first {
            let sent = first.withUnsafeReadableBytes { raw in
                Glibc.send(descriptor, raw.baseAddress, raw.count, CInt(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            return handleSent(sent, context)
        }
        handleSent(sendAll(held.more, on: descriptor), context)
    }

    /// The io_uring path's first half: the held frames join the loop's submission, and stay held
    /// until `finishFlush` hears what the kernel took. Anything that cannot go directly goes
    /// through the pipeline now, as in `flush`.
    func flush(into ring: SendRing, tag: Int) {
        awaitsFlush = false
        guard readyToSendDirectly(), let descriptor else { return }
        if let first = held.first {
            ring.add(descriptor, tag: tag, frame: first)
        } else {
            ring.add(descriptor, tag: tag, frames: held.more)
        }
    }

    /// The io_uring path's second half: `result` is the bytes the kernel took, or -errno.
    func finishFlush(result: Int) {
        guard let context else { return }
        guard result != -Int(EIO) else {
            // The ring failed with this send in flight: what reached the socket is unknown, so
            // nothing after it can be trusted to line up. The client sees a close, not a gap.
            held.removeAll()
            context.close(promise: nil)
            return
        }
        handleSent(result, context)
    }

    /// True when the held frames may go to the descriptor now. Otherwise they went through the
    /// pipeline (or there were none, or there is no direct path), and the flush is done.
    private func readyToSendDirectly() -> Bool {
        guard descriptor != nil, let context, !held.isEmpty else {
            context?.flush()
            return false
        }
        // The descriptor is NIO's only while the channel is open: once closed it may be reused.
        // Both are true here only on the channel's loop, where this runs.
        guard channel?.isActive == true, nioHoldsNothing() else {
            flushThroughPipeline()
            return false
        }
        return true
    }

    /// After a send of the held frames: `sent` bytes went (0 or less: none). What the kernel did
    /// not take — its buffer is full, or the socket failed — goes, in order, to NIO, which waits
    /// for writability, counts it against the budget, or meets the error and closes.
    private func handleSent(_ sent: Int, _ context: ChannelHandlerContext) {
        let unsent = held.takeUnsent(after: sent)
        guard !unsent.isEmpty else { return }
        nioMayHoldBytes = true
        for frame in unsent { context.write(Self.wrapOutboundOut(frame), promise: nil) }
        context.flush()
    }

    private func flushThroughPipeline() {
        if let context { passHeldToPipeline(context) }
        held.removeAll()
        context?.flush()
    }

    /// Frames held here, in order, into NIO's queue (not flushed).
    private func passHeldToPipeline(_ context: ChannelHandlerContext) {
        guard !held.isEmpty else { return }
        nioMayHoldBytes = true
        held.drain { context.write(Self.wrapOutboundOut($0), promise: nil) }
    }

    private func nioHoldsNothing() -> Bool {
        guard nioMayHoldBytes else { return true }
        guard (try? channel?.syncOptions?.getOption(.bufferedWritableBytes)) == 0 else { return false }
        nioMayHoldBytes = false
        return true
    }

    /// Bytes the kernel took with one `sendmsg` of several frames (at most
    /// `HeldFrames.mostPerSend`; the rest go to NIO as unsent); -1 on EAGAIN or an error.
    private func sendAll(_ frames: [ByteBuffer], on descriptor: CInt) -> Int {
        let count = min(frames.count, HeldFrames.mostPerSend)
        return withUnsafeTemporaryAllocation(of: iovec.self, capacity: count) { vectors in
            // Each frame's storage outlives the call: the hold keeps them, unchanged, until it returns.
            for index in 0..<count { vectors[index] = frames[index].readableIOVec }
            var message = msghdr()
            message.msg_iov = vectors.baseAddress
            message.msg_iovlen = count
            return sendmsg(descriptor, &message, CInt(MSG_NOSIGNAL | MSG_DONTWAIT))
        }
    }
}
