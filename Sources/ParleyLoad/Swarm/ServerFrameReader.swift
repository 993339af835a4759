import NIOCore

/// Server-to-client WebSocket frames cut out of the bytes of one socket read, in place: a data
/// frame's payload is handed over as a pointer into the read's bytes, so a read of ten frames
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
        var failure: Failure?
        read.withUnsafeReadableBytes { bytes in
            do throws(Failure) { try consume(bytes: bytes, data: data, control: control) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// The same, on bytes read straight from a socket (the direct receive path).
    mutating func consume(
        bytes read: UnsafeRawBufferPointer, data: (UnsafeRawBufferPointer) -> Void, control: (Control) -> Void
    ) throws(Failure) {
        guard var earlier = pending.take() else {
            let used = try cut(read, data: data, control: control)
            // Only the tail is copied, so the read's buffer can be reused at once.
            if used < read.count { pending = ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: read[used...])) }
            return
        }
        // Appended in place (`pending` no longer shares it): a large frame arriving in many
        // reads costs its size once, not once per read.
        earlier.writeBytes(read)
        var failure: Failure?
        let used = earlier.withUnsafeReadableBytes { bytes in
            do throws(Failure) { return try cut(bytes, data: data, control: control) } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        earlier.moveReaderIndex(forwardBy: used)
        guard earlier.readableBytes > 0 else { return }
        earlier.discardReadBytes()
        pending = earlier
    }

    /// Handles every complete frame at the start of `bytes`; answers how many bytes they took.
    private mutating func cut(
        _ bytes: UnsafeRawBufferPointer, data: (UnsafeRawBufferPointer) -> Void, control: (Control) -> Void
    ) throws(Failure) -> Int {
        var at = 0
        while let header = try Self.header(in: UnsafeRawBufferPointer(rebasing: bytes[at...]), limit: maximumMessageBytes) {
            let end = at + header.length + header.payloadLength
            guard end <= bytes.count else { break }
            try handle(header, payload: UnsafeRawBufferPointer(rebasing: bytes[(at + header.length)..<end]), data: data, control: control)
            at = end
        }
        return at
    }

    private mutating func handle(
        _ header: Header, payload: UnsafeRawBufferPointer,
        data: (UnsafeRawBufferPointer) -> Void, control: (Control) -> Void
    ) throws(Failure) {
        switch header.opcode {
        case .text, .binary:
            guard message == nil else { throw .protocolError }
            if header.fin {
                data(payload)
            } else {
                message = ByteBuffer(bytes: payload)
            }
        case .continuation:
            guard var assembled = message else { throw .protocolError }
            message = nil
            guard assembled.readableBytes + payload.count <= maximumMessageBytes else { throw .tooBig }
            assembled.writeBytes(payload)
            if header.fin {
                assembled.withUnsafeReadableBytes { data($0) }
            } else {
                message = assembled
            }
        case .close:
            control(.close(code: payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : 1005))
        case .ping:
            control(.ping(ByteBuffer(bytes: payload)))
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

    /// The header at the start of `bytes`, or nil until enough of it has arrived.
    static func header(in bytes: UnsafeRawBufferPointer, limit: Int) throws(Failure) -> Header? {
        guard bytes.count >= 2 else { return nil }
        let first = bytes[0]
        let second = bytes[1]
        // Reserved bits (no extension is negotiated), a masked frame from a server, an unknown opcode.
        guard first & 0x70 == 0, second & 0x80 == 0, let opcode = Opcode(rawValue: first & 0x0F) else {
            throw .protocolError
        }
        let fin = first & 0x80 != 0
        var length = 2
        var payloadLength = Int(second & 0x7F)
        if payloadLength == 126 {
            guard bytes.count >= 4 else { return nil }
            payloadLength = Int(bytes[2]) << 8 | Int(bytes[3])
            length = 4
        } else if payloadLength == 127 {
            guard bytes.count >= 10 else { return nil }
            let extended = bytes[2..<10].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard extended <= UInt64(limit) else { throw .tooBig }
            payloadLength = Int(extended)
            length = 10
        }
        if opcode.rawValue >= 0x8, !fin || payloadLength > 125 { throw .protocolError }
        guard payloadLength <= limit else { throw .tooBig }
        return Header(fin: fin, opcode: opcode, length: length, payloadLength: payloadLength)
    }
}
