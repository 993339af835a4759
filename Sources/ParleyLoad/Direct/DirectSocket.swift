import Glibc
import NIOCore
import NIOWebSocket

/// One ready client's socket in a `ReceiveLoop`: its descriptor, its frame reader, and the two
/// things a client must ever say back on its own — pong and close — written straight to the
/// socket, masked as RFC 6455 asks of clients. A control frame is at most 131 bytes on a socket
/// that otherwise sends nothing, so it leaves in one write; one that cannot (a full send buffer)
/// is dropped, and the server's ping timeout or close handshake decides.
final class DirectSocket {
    let descriptor: Int32
    let client: LoadClient
    var reader: ServerFrameReader

    init(descriptor: Int32, client: LoadClient, reader: ServerFrameReader) {
        self.descriptor = descriptor
        self.client = client
        self.reader = reader
    }

    func sendPong(_ payload: ByteBuffer) {
        send(opcode: .pong, payload: payload.getSlice(at: payload.readerIndex, length: min(payload.readableBytes, 125)) ?? ByteBuffer())
    }

    func sendClose(code: UInt16) {
        var payload = ByteBuffer()
        payload.writeInteger(code)
        send(opcode: .connectionClose, payload: payload)
    }

    /// A control frame (payload ≤ 125 bytes), masked with NIOWebSocket's own masking.
    private func send(opcode: WebSocketOpcode, payload: ByteBuffer) {
        let key = WebSocketMaskingKey.random()
        var frame = ByteBuffer()
        frame.writeInteger(0x80 | UInt8(webSocketOpcode: opcode))
        frame.writeInteger(0x80 | UInt8(payload.readableBytes))
        frame.writeBytes(key)
        var masked = payload
        masked.webSocketMask(key)
        frame.writeBuffer(&masked)
        _ = frame.withUnsafeReadableBytes { write(descriptor, $0.baseAddress, $0.count) }
    }
}
