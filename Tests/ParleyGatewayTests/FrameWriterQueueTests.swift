import NIOCore
import NIOEmbedded
import Testing

@testable import ParleyGateway

/// The fan-out's side of `PreEncodedFrameWriter`: a writer asks the loop's table for one place on
/// its flush list per flush, however many frames it is given, and its frames leave in order.
@Suite struct FrameWriterQueueTests {
    @Test func aWriterJoinsTheFlushListOncePerFlush() throws {
        let writer = PreEncodedFrameWriter()
        let channel = EmbeddedChannel(handler: writer)
        let allocator = channel.allocator
        let first = writer.queue(allocator.buffer(string: "a"))
        let second = writer.queue(allocator.buffer(string: "b"))
        writer.flush()
        let afterFlush = writer.queue(allocator.buffer(string: "c"))
        // A handler's own write and flush (a reply) also ends the wait for a flush.
        writer.write(allocator.buffer(string: "d"))
        writer.flush()
        let afterReply = writer.queue(allocator.buffer(string: "e"))
        writer.flush()
        #expect(first && !second && afterFlush && afterReply)
        var written: [String] = []
        while let frame = try channel.readOutbound(as: ByteBuffer.self) { written.append(String(buffer: frame)) }
        #expect(written == ["a", "b", "c", "d", "e"])
        _ = try channel.finish()
    }
}
