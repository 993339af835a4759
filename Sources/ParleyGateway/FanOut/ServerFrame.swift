import NIOCore
import ParleyProtocol

/// Server-to-client WebSocket frames, encoded whole (header and payload in one buffer).
///
/// Why not NIO's `WebSocketFrameEncoder` on the fan-out path: given a buffer shared by many
/// channels it cannot prepend the header in place, so it writes a separate header buffer per
/// recipient (an allocation when that buffer is still queued, and two iovecs per frame). Server
/// frames are unmasked, so the complete frame is the same bytes for every recipient: encode once,
/// write the same `ByteBuffer` to each.
enum ServerFrame {
    static func text(_ payload: Payload, allocator: ByteBufferAllocator) -> ByteBuffer {
        payload.bytes.withUnsafeBufferPointer { bytes in
            frame(opcode: 0x1, payload: UnsafeRawBufferPointer(bytes), allocator: allocator)
        }
    }

    static func close(_ code: CloseCode, reason: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        close(code: code.rawValue, reason: reason, allocator: allocator)
    }

    static func close(code: UInt16, reason: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var body: [UInt8] = [UInt8(code >> 8), UInt8(code & 0xFF)]
        // A close frame's payload is at most 125 bytes.
        body.append(contentsOf: reason.utf8.prefix(123))
        return body.withUnsafeBytes { frame(opcode: 0x8, payload: $0, allocator: allocator) }
    }

    static func frame(
        opcode: UInt8, payload: UnsafeRawBufferPointer, allocator: ByteBufferAllocator
    )
        -> ByteBuffer
    {
        var buffer = allocator.buffer(capacity: payload.count + 10)
        buffer.writeInteger(0x80 | opcode)  // FIN + opcode
        switch payload.count {
        case ..<126:
            buffer.writeInteger(UInt8(payload.count))
        case ..<65536:
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(payload.count))
        default:
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(payload.count))
        }
        buffer.writeBytes(payload)
        return buffer
    }
}
