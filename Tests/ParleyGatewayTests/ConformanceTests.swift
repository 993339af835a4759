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
            #expect(
                ClientCloseFrame(payload: [UInt8(code >> 8), UInt8(code & 0xFF)])
                    == .malformed(.protocolError, "close code \(code) may not be sent"))
        }
        for code: UInt16 in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999] {
            #expect(ClientCloseFrame(payload: [UInt8(code >> 8), UInt8(code & 0xFF)]) == .answer(code))
        }
        #expect(
            ClientCloseFrame(payload: [0x03, 0xE8, 0xCE, 0xBA, 0xE1]) == .malformed(.invalidPayload, "the close reason is not valid UTF-8"))
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

/// The fragment-by-fragment UTF-8 check agrees with the standard library on every input, however
/// the bytes are cut, and fails no later than the first bad byte.
@Suite struct UTF8StreamValidatorTests {
    @Test func agreesWithTheStandardLibraryHoweverTheBytesAreCut() {
        var random = SystemRandomNumberGenerator()
        let interesting: [UInt8] = [
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1,
            0xF3, 0xF4, 0xF5, 0xFF,
        ]
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...8, using: &random)
            let bytes = (0..<count).map { _ in interesting.randomElement(using: &random)! }
            let cut = Int.random(in: 0...count, using: &random)
            var validator = UTF8StreamValidator()
            validator.consume(bytes[..<cut])
            validator.consume(bytes[cut...])
            #expect(validator.isComplete == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes.map { String($0, radix: 16) })")
        }
        for text in ["", "plain", "héllo", "κόσμε", "💬 chat", "\u{10FFFF}", "\u{FEFF}x"] {
            var validator = UTF8StreamValidator()
            for byte in text.utf8 { validator.consume(CollectionOfOne(byte)) }
            #expect(validator.isComplete, "\(text)")
        }
    }

    @Test func failsAtTheFirstImpossibleByte() {
        var validator = UTF8StreamValidator()
        let greek = validator.consume([0xCE, 0xBA, 0xE1, 0xBD, 0xB9])
        let tooHigh = validator.consume([0xF4, 0x90])
        #expect(greek && !tooHigh, "above U+10FFFF is known at its second byte")
        var surrogate = UTF8StreamValidator()
        let surrogateAccepted = surrogate.consume([0xED, 0xA0])
        #expect(!surrogateAccepted, "a surrogate is known at its second byte")
        var cut = UTF8StreamValidator()
        let half = cut.consume([0xE2, 0x82])
        #expect(half && !cut.isComplete, "half a scalar may still be completed")
    }
}
