import Glibc
import NIOCore

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
        send(opcode: 0xA, payload: Array(payload.readableBytesView.prefix(125)))
    }

    func sendClose(code: UInt16) {
        send(opcode: 0x8, payload: [UInt8(code >> 8), UInt8(code & 0xFF)])
    }

    private func send(opcode: UInt8, payload: [UInt8]) {
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        var frame: [UInt8] = [0x80 | opcode, 0x80 | UInt8(payload.count)] + mask
        for (offset, byte) in payload.enumerated() { frame.append(byte ^ mask[offset & 3]) }
        _ = frame.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }
}
