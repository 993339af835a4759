import NIOCore
import NIOWebSocket
import ParleyTestSupport
import Testing

@testable import ParleyGateway

/// RFC 6455's rules the gateway enforces itself (NIO's decoder leaves them to the application),
/// the echo handler Autobahn's suite runs against, and the browser origin allow-list.
@Suite(.timeLimit(.minutes(2))) struct ConformanceTests {
    @Test func closeFramesAreAnsweredOrRefusedByTheirPayload() {
        #expect(ClientCloseFrame(payload: [UInt8]()) == .answer(1000), "an empty close is a normal close")
        #expect(ClientCloseFrame(payload: [0x0B, 0xB8, 0x68, 0x69]) == .answer(3000), "an application code, with a reason")
        #expect(ClientCloseFrame(payload: [0x03]) == .malformed(.protocolError, "a close frame's payload is a two-byte code and a reason"))
        for code: UInt16 in [0, 999, 1004, 1005, 1006, 1012, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
            #expect(ClientCloseFrame(payload: [UInt8(code >> 8), UInt8(code & 0xFF)]) == .malformed(.protocolError, "close code \(code) may not be sent"))
        }
        for code: UInt16 in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999] {
            #expect(ClientCloseFrame(payload: [UInt8(code >> 8), UInt8(code & 0xFF)]) == .answer(code))
        }
        #expect(ClientCloseFrame(payload: [0x03, 0xE8, 0xCE, 0xBA, 0xE1]) == .malformed(.invalidPayload, "the close reason is not valid UTF-8"))
    }

    @Test func aClientsCloseIsEchoedOrAnsweredWithTheError() async throws {
        try await withServer { server in
            let application = try await server.client()
            try await application.sendFrame(.connectionClose, ByteBuffer(bytes: [0x0F, 0xA0]))  // 4000
            #expect(try await application.closeCode() == 4000)

            let reserved = try await server.client()
            try await reserved.sendFrame(.connectionClose, ByteBuffer(bytes: [0x03, 0xED]))  // 1005: never sent
            #expect(try await reserved.closeCode() == 1002)

            let badReason = try await server.client()
            try await badReason.sendFrame(.connectionClose, ByteBuffer(bytes: [0x03, 0xE8, 0xFF]))
            #expect(try await badReason.closeCode() == 1007)
        }
    }

    @Test func reservedBitsAndUnknownOpcodesAreProtocolErrors() async throws {
        try await withServer { server in
            let rsv = try await server.namedClient("rsv")
            try await rsv.sendFrame(.text, ByteBuffer(string: #"{"action":"sendPublic","message":"x"}"#), rsv1: true)
            #expect(try await rsv.closeCode() == 1002)

            let opcode = try await server.client()
            try await opcode.sendFrame(WebSocketOpcode(encodedWebSocketOpcode: 0x3)!, ByteBuffer(string: "?"))
            #expect(try await opcode.closeCode() == 1002)

            // The server is still serving everyone else.
            let fine = try await server.namedClient("fine")
            try await fine.send(#"{"action":"sendPublic","message":"still here"}"#)
            var saw = false
            for _ in 0..<5 where !saw { saw = try await fine.next().contains("still here") }
            #expect(saw)
        }
    }

    @Test func theEchoHandlerSendsBackTextAsTextAndBinaryAsBinary() async throws {
        try await withServer(gateway: { $0.echoesMessages = true }) { server in
            let client = try await server.client()
            try await client.send("héllo")
            #expect(try await client.nextEvent() == .text("héllo"))
            // Valid UTF-8 sent as binary stays binary (the chat path would have sent text).
            try await client.sendFrame(.binary, ByteBuffer(string: "abc"))
            #expect(try await client.nextEvent() == .binary(Array("abc".utf8)))
            try await client.sendFrame(.text, ByteBuffer(string: "frag"), fin: false)
            try await client.sendFrame(.ping, ByteBuffer(string: "p"))
            try await client.sendFrame(.continuation, ByteBuffer(string: "ments"), fin: true)
            #expect(try await client.nextEvent() == .text("fragments"), "a ping between fragments does not break the message")
            try await client.sendFrame(.text, ByteBuffer(bytes: [0xCE, 0xBA, 0xE1, 0xBD]))
            #expect(try await client.closeCode() == 1007, "echo still validates UTF-8")
        }
    }

    @Test func anAllowListRefusesOtherBrowserOriginsButNotNonBrowsers() async throws {
        try await withServer(gateway: { $0.allowedOrigins = ["https://chat.example.com"] }) { server in
            let port = server.port
            let evil = try await upgradeStatus(port: port, origin: "https://evil.example.net")
            let lookalike = try await upgradeStatus(port: port, origin: "https://chat.example.com.evil.net")
            let allowed = try await upgradeStatus(port: port, origin: "https://CHAT.example.com")
            let none = try await upgradeStatus(port: port, origin: nil)
            #expect(evil == 403 && lookalike == 403)
            #expect(allowed == 101, "origins compare without case")
            #expect(none == 101, "no Origin: not a browser")
        }
    }

    func upgradeStatus(port: Int, origin: String?) async throws -> Int {
        var headers = [
            ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ]
        if let origin { headers.append(("Origin", origin)) }
        return try await RawHTTP.request(port: port, path: "/ws", headers: headers).status
    }
}
