import Foundation
import NIOCore
import NIOPosix
import ParleyTestSupport

/// Plain HTTP over a socket, for what a WebSocket client cannot show: the status of a refused
/// upgrade and the management API's answers.
enum RawHTTP {
    struct Response {
        let status: Int
        let headers: [(String, String)]
        let body: String
    }

    static func request(
        port: Int, method: String = "GET", path: String, headers: [(String, String)] = [], body: [UInt8] = [],
        source: String? = nil
    ) async throws -> Response {
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "Content-Length: \(body.count)\r\n\r\n"
        var bootstrap = ClientBootstrap(group: TestClient.group)
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        let channel =
            try await bootstrap
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var bytes = ByteBuffer(string: request)
            bytes.writeBytes(body)
            try await outbound.write(bytes)
            var received = ByteBuffer()
            for try await var chunk in inbound {
                received.writeBuffer(&chunk)
                // Stop at a complete response: a 101 keeps the socket open, so EOF may never come.
                if let parsed = parse(String(buffer: received)), parsed.complete { break }
            }
            return parseResponse(String(buffer: received))
        }
    }

    /// The status a WebSocket upgrade request to `path` is answered with.
    static func upgradeStatus(
        port: Int, path: String, headers extra: [(String, String)] = [], source: String? = nil
    ) async throws -> Int {
        try await request(
            port: port, path: path,
            headers: [
                ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13"),
                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ] + extra,
            source: source
        ).status
    }

    private static func parse(_ text: String) -> (response: Response, complete: Bool)? {
        guard text.contains("\r\n\r\n") else { return nil }
        let response: Response = parseResponse(text)
        let length = response.headers.first { $0.0 == "content-length" }.flatMap { Int($0.1) } ?? 0
        return (response, response.status == 101 || response.body.utf8.count >= length)
    }

    private static func parseResponse(_ text: String) -> Response {
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        let body = parts.dropFirst().joined(separator: "\r\n\r\n")
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.isEmpty ? "" : lines.removeFirst()
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]).lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return Response(status: status, headers: headers, body: body)
    }
}

/// Whether the server closed `channel` within `bound`. Polls rather than awaiting the close
/// future, so a socket the server leaves open fails the test instead of hanging it.
func closedByServer(_ channel: any Channel, within bound: Duration) async -> Bool {
    let deadline = ContinuousClock.now + bound
    while ContinuousClock.now < deadline {
        if !channel.isActive { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return !channel.isActive
}
