import NIOCore

/// Server-to-client WebSocket frames cut out of the bytes of one socket read, in place: a data
/// frame's payload is handed over as a pointer into the read's buffer, so a read of ten frames
/// costs no copy and no allocation. Only a frame split across reads is copied (into `pending`),
/// and only a fragmented message is assembled (into `message`). Replaces NIO's
/// `WebSocketFrameDecoder` on the load clients' receive path, where its per-frame
/// `WebSocketFrame` and pipeline hop were a measured fifth of the harness's CPU per frame
/// (docs/LOAD.md, "What the harness costs").
struct ServerFrameReader {
    enum Opcode: UInt8 {
        case continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA
    }

    /// What one frame asks of the client, besides its data.
    enum Control {
        case close(code: UInt16)
        case ping(ByteBuffer)
    }

    enum Failure: Error, Equatable {
        /// A masked frame, a reserved opcode, a fragmented control frame, or a continuation
        /// with nothing to continue: close 1002.
        case protocolError
        /// A frame or message larger than the limit: close 1009.
        case tooBig
    }

    let maximumMessageBytes: Int
    private var pending: ByteBuffer?
    private var message: ByteBuffer?

    init(maximumMessageBytes: Int = 1 << 24, pending: ByteBuffer? = nil) {
        self.maximumMessageBytes = maximumMessageBytes
        self.pending = pending
    }

    /// No fragmented message is being assembled: a good moment to hand the socket over.
    var isBetweenMessages: Bool { message == nil }

    /// The unfinished frame's bytes read so far (nil: none), for another reader to go on with.
    /// A fragmented message in progress is not carried: hand off when `isBetweenMessages`.
    mutating func takePending() -> ByteBuffer? {
        pending.take()
    }

    /// Cuts every complete frame out of `read`: `data` gets each complete message's payload
    /// (valid only during the call), `control` each close and ping. Keeps the tail of a frame
    /// that has not fully arrived for the next read.
    mutating func consume(
        _ read: ByteBuffer, data: (UnsafeRawBufferPointer) -> Void, control: (Control) -> Void
    ) throws(Failure) {
        var buffer: ByteBuffer
        let owned: Bool
        if var earlier = pending.take() {
            // Appended in place (`pending` no longer shares it): a large frame arriving in many
            // reads costs its size once, not once per read.
            var read = read
            earlier.writeBuffer(&read)
            buffer = earlier
            owned = true
        } else {
            buffer = read
            owned = false
        }
        while let header = try Self.header(in: buffer, limit: maximumMessageBytes) {
            guard buffer.readableBytes >= header.length + header.payloadLength else { break }
            let payloadStart = buffer.readerIndex + header.length
            try handle(header, payloadAt: payloadStart, in: buffer, data: data, control: control)
            buffer.moveReaderIndex(forwardBy: header.length + header.payloadLength)
        }
        guard buffer.readableBytes > 0 else { return }
        if owned {
            buffer.discardReadBytes()
            pending = buffer
        } else {
            // Copied, so the pooled read buffer goes back to the pool.
            var tail = ByteBufferAllocator().buffer(capacity: buffer.readableBytes)
            tail.writeBuffer(&buffer)
            pending = tail
        }
    }

    private mutating func handle(
        _ header: Header, payloadAt start: Int, in buffer: ByteBuffer,
        data: (UnsafeRawBufferPointer) -> Void, control: (Control) -> Void
    ) throws(Failure) {
        switch header.opcode {
        case .text, .binary:
            guard message == nil else { throw .protocolError }
            if header.fin {
                buffer.withUnsafeReadableBytes { bytes in
                    let offset = start - buffer.readerIndex
                    data(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + header.payloadLength]))
                }
            } else {
                var first = ByteBufferAllocator().buffer(capacity: header.payloadLength)
                if let slice = buffer.getSlice(at: start, length: header.payloadLength) { first.writeImmutableBuffer(slice) }
                message = first
            }
        case .continuation:
            guard var assembled = message else { throw .protocolError }
            message = nil
            guard assembled.readableBytes + header.payloadLength <= maximumMessageBytes else { throw .tooBig }
            if let slice = buffer.getSlice(at: start, length: header.payloadLength) { assembled.writeImmutableBuffer(slice) }
            if header.fin {
                assembled.withUnsafeReadableBytes { data($0) }
            } else {
                message = assembled
            }
        case .close:
            let code = header.payloadLength >= 2 ? buffer.getInteger(at: start, as: UInt16.self) ?? 1005 : 1005
            control(.close(code: code))
        case .ping:
            control(.ping(buffer.getSlice(at: start, length: header.payloadLength) ?? ByteBuffer()))
        case .pong:
            break
        }
    }

    struct Header {
        let fin: Bool
        let opcode: Opcode
        /// Bytes before the payload.
        let length: Int
        let payloadLength: Int
    }

    /// The header at the buffer's reader index, or nil until enough of it has arrived.
    static func header(in buffer: ByteBuffer, limit: Int) throws(Failure) -> Header? {
        let at = buffer.readerIndex
        guard let first = buffer.getInteger(at: at, as: UInt8.self),
            let second = buffer.getInteger(at: at + 1, as: UInt8.self)
        else { return nil }
        // Reserved bits (no extension is negotiated), a masked frame from a server, an unknown opcode.
        guard first & 0x70 == 0, second & 0x80 == 0, let opcode = Opcode(rawValue: first & 0x0F) else {
            throw .protocolError
        }
        let fin = first & 0x80 != 0
        var length = 2
        var payloadLength = Int(second & 0x7F)
        if payloadLength == 126 {
            guard let extended = buffer.getInteger(at: at + 2, as: UInt16.self) else { return nil }
            payloadLength = Int(extended)
            length = 4
        } else if payloadLength == 127 {
            guard let extended = buffer.getInteger(at: at + 2, as: UInt64.self) else { return nil }
            guard extended <= UInt64(limit) else { throw .tooBig }
            payloadLength = Int(extended)
            length = 10
        }
        if opcode.rawValue >= 0x8, !fin || payloadLength > 125 { throw .protocolError }
        guard payloadLength <= limit else { throw .tooBig }
        return Header(fin: fin, opcode: opcode, length: length, payloadLength: payloadLength)
    }
}
