import NIOCore

/// Writes lines one at a time (the session, the heartbeat and the share all send).
actor Outbox {
    let writer: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let allocator: ByteBufferAllocator

    init(writer: NIOAsyncChannelOutboundWriter<ByteBuffer>, allocator: ByteBufferAllocator) {
        self.writer = writer
        self.allocator = allocator
    }

    func send(_ message: AgentMessage) async {
        guard let line = try? message.line(allocator: allocator) else { return }
        try? await writer.write(line)
    }
}
