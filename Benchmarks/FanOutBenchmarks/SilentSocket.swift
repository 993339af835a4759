#if canImport(Glibc)
import Glibc
#endif

/// A WebSocket client that is only a blocking socket: it does the opening handshake and then
/// never reads again. The server-side benchmark uses these so that nothing but the gateway runs
/// in this process while a broadcast is measured — NIO clients, even with reading off, still wake
/// their own loop on every readable socket and allocate (that was ~1 malloc per recipient, which
/// the malloc interposer charged to the fan-out). Frames pile up in the kernel's receive buffer,
/// ~120 bytes a broadcast, far below its size for the iterations run.
struct SilentSocket {
    let descriptor: Int32

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    static func connect(port: Int) throws -> SilentSocket {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failed(description: "socket(): errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            _ = Glibc.close(descriptor)
            throw Failed(description: "connect(): errno \(errno)")
        }
        let silent = SilentSocket(descriptor: descriptor)
        try silent.handshake(port: port)
        return silent
    }

    /// Sends the upgrade request and reads up to the end of the 101 response's headers.
    private func handshake(port: Int) throws {
        let request =
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, 0) }) == bytes.count else {
            throw Failed(description: "send(): errno \(errno)")
        }
        // Byte by byte, so that nothing after the headers is consumed.
        var response: [UInt8] = []
        var byte: UInt8 = 0
        while !response.ends(with: [13, 10, 13, 10]) {
            guard recv(descriptor, &byte, 1, 0) == 1 else { throw Failed(description: "handshake: connection closed") }
            response.append(byte)
        }
        guard response.starts(with: Array("HTTP/1.1 101".utf8)) else {
            throw Failed(description: "handshake refused: \(String(decoding: response, as: UTF8.self))")
        }
    }

    func close() {
        _ = Glibc.close(descriptor)
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
