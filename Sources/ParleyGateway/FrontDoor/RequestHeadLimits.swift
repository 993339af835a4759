/// The size of a connection's first request head, counted as its bytes arrive and before NIO's
/// parser reads them: its bytes and its header lines, against `--max-header-bytes` and
/// `--max-headers`. NIO's own limit is 80 KiB, fixed; a WebSocket upgrade needs a few hundred
/// bytes, so the default here is far lower (docs/PROTOCOL.md, "Limits").
struct RequestHeadLimits: Equatable {
    enum Verdict: Equatable {
        /// The head has not ended yet, and is within the limits.
        case more
        /// The head ended within the limits (the rest of the bytes are body or a next request).
        case complete
        case tooLarge
    }

    let maximumBytes: Int
    let maximumFields: Int
    private(set) var bytes = 0
    private(set) var lines = 0
    /// The last bytes seen, to find the blank line that ends the head across reads.
    private var tail: UInt32 = 0

    init(maximumBytes: Int, maximumFields: Int) {
        self.maximumBytes = maximumBytes
        self.maximumFields = maximumFields
    }

    /// Counts `chunk` up to the end of the head.
    mutating func consume<Bytes: Sequence<UInt8>>(_ chunk: Bytes) -> Verdict {
        for byte in chunk {
            bytes += 1
            tail = tail << 8 | UInt32(byte)
            if byte == UInt8(ascii: "\n") {
                // "\r\n\r\n", or a bare "\n\n" (the parser takes both).
                if tail == 0x0D0A_0D0A || tail & 0xFFFF == 0x0A0A { return .complete }
                lines += 1
                // The request line is not a header field.
                if lines - 1 > maximumFields { return .tooLarge }
            }
            if bytes > maximumBytes { return .tooLarge }
        }
        return .more
    }
}
