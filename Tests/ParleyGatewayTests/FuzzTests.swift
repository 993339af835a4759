import Foundation
import NIOCore
import ParleyLoad  // SplitMix64: a failing run names the seed that reproduces it
import ParleyProtocol
import ParleyTestSupport
import Testing

/// Thousands of random and mutated frames at the route and JSON layer of a live gateway. After
/// each, a probe (a public message with a marker) must come back: the server is alive and kept
/// its order. Everything that arrives in between must be an event of the protocol, at most one
/// error per frame, and `invalid_json` for a frame that is not a JSON object; a frame that is not
/// UTF-8 must close the connection with 1007 (then the test reconnects and goes on).
@Suite(.timeLimit(.minutes(3))) struct FuzzTests {
    static let frames = 3_000

    @Test func randomAndMutatedFramesAreAnsweredPerProtocol() async throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SplitMix64(seed: seed)
        var answered = 0, closed = 0, errors = 0
        try await withServer(gateway: { $0.inboundMessagesPerSecond = 1_000_000 }) { server in
            var client = try await server.namedClient("fuzz")
            for index in 0..<Self.frames {
                let frame = FrameFuzzer.frame(&random)
                try await client.sendFrame(.text, ByteBuffer(bytes: frame))
                let marker = "probe-\(index)-\(seed)"
                try await client.send(#"{"action":"sendPublic","message":"\#(marker)"}"#)
                let outcome = try await readUntil(marker, from: client, frame: frame, seed: seed)
                switch outcome {
                case .probed(let errorCount):
                    answered += 1
                    errors += errorCount
                case .closed(let code):
                    closed += 1
                    let isUTF8 = String(validating: frame, as: UTF8.self) != nil
                    #expect(
                        !isUTF8 && code == 1007,
                        "seed \(seed) frame \(index): closed \(code.map(String.init) ?? "without a code") for \(describe(frame))")
                    // A new name: the closed connection's leave may not have been handled yet.
                    client = try await server.namedClient("fuzz\(closed)")
                }
            }
        }
        print("fuzz: \(Self.frames) frames (seed \(seed)): \(answered) answered (\(errors) errors among them), \(closed) closed with 1007")
        #expect(answered + closed == Self.frames)
        #expect(answered > Self.frames / 2, "most mutations stay UTF-8 and must be answered")
    }

    enum Outcome {
        case probed(errors: Int)
        case closed(UInt16?)
    }

    func readUntil(_ marker: String, from client: TestClient, frame: [UInt8], seed: UInt64) async throws -> Outcome {
        var errorEvents: [String] = []
        while true {
            let event: TestClient.Event
            do {
                event = try await client.nextEvent(within: .seconds(10))
            } catch {
                Issue.record("seed \(seed): no answer to \(describe(frame)) (errors so far \(errorEvents))")
                throw error
            }
            switch event {
            case .text(let text):
                let object = try #require(
                    try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not JSON from the server: \(text)")
                let keys = Set(object.keys)
                if let error = object["error"] as? [String: Any] {
                    let code = error["code"] as? String ?? ""
                    #expect(ErrorCode(rawValue: code) != nil, "seed \(seed): unknown error code in \(text)")
                    errorEvents.append(code)
                    continue
                }
                #expect(
                    !keys.isDisjoint(with: ["members", "systemMessage", "publicMessage", "privateMessage"]),
                    "seed \(seed): not a protocol event: \(text)")
                guard (object["publicMessage"] as? String)?.hasSuffix(marker) == true else { continue }
                #expect(errorEvents.count <= 1, "seed \(seed): \(errorEvents) for one frame \(describe(frame))")
                let isObject = (try? JSONSerialization.jsonObject(with: Data(frame))) is [String: Any]
                if !isObject {
                    #expect(errorEvents == ["invalid_json"], "seed \(seed): \(errorEvents) for \(describe(frame))")
                }
                return .probed(errors: errorEvents.count)
            case .close(let code, _):
                return .closed(code)
            case .binary(let bytes):
                Issue.record("seed \(seed): a binary frame from the chat (\(bytes.count) bytes)")
            case .ended:
                return .closed(nil)
            }
        }
    }

    func describe(_ frame: [UInt8]) -> String {
        let text = String(decoding: frame.prefix(160), as: UTF8.self)
        return "\(frame.count) bytes: \(text.debugDescription)"
    }
}

/// Frames from a small grammar of the protocol's own shapes, then mutated byte-wise.
enum FrameFuzzer {
    static func action(_ random: inout SplitMix64) -> Any? {
        let actions: [Any?] = ["setName", "sendPublic", "sendPrivate", "$default", "$connect", "SENDPUBLIC", "", 42, NSNull(), ["a"], nil]
        return actions[Int(random.next() % UInt64(actions.count))]
    }
    static let tokens = ["null", "{", "}", "[", "]", "\"", ",", ":", "1e999", "-0", "\\u0000", "\\ud800", "true", "\\", "\u{0}", "é", "💬"]

    static func frame(_ random: inout SplitMix64) -> [UInt8] {
        switch random.next() % 10 {
        case 0:
            // Deep nesting: a recursive parser must not fall over.
            let depth = Int(random.next() % 12_000) + 1
            return Array(String(repeating: "[", count: depth).utf8)
                + (random.next() % 2 == 0 ? Array(String(repeating: "]", count: depth).utf8) : [])
        case 1:
            return (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        case 2, 3:
            // Well-typed frames with odd strings: these reach the chat's own checks.
            let action = ["setName", "sendPublic", "sendPrivate"][Int(random.next() % 3)]
            let object = ["action": action, "name": randomString(&random), "message": randomString(&random), "to": randomString(&random)]
            return Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data())
        default:
            var bytes = structured(&random)
            for _ in 0..<Int(random.next() % 4) { mutate(&bytes, &random) }
            return bytes
        }
    }

    static func structured(_ random: inout SplitMix64) -> [UInt8] {
        var object: [String: Any] = [:]
        if let action = action(&random) { object["action"] = action }
        for key in ["name", "message", "to", "extra"] where random.next() % 3 != 0 {
            object[key] = value(&random, depth: 0)
        }
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
        return Array(data)
    }

    static func value(_ random: inout SplitMix64, depth: Int) -> Any {
        switch random.next() % (depth > 2 ? 5 : 7) {
        case 0: return randomString(&random)
        case 1: return Double(Int64(bitPattern: random.next())) / 7
        case 2: return NSNull()
        case 3: return random.next() % 2 == 0
        case 4: return String(repeating: "x", count: Int(random.next() % 6_000))
        case 5: return [value(&random, depth: depth + 1), value(&random, depth: depth + 1)]
        default: return ["k": value(&random, depth: depth + 1)]
        }
    }

    static func randomString(_ random: inout SplitMix64) -> String {
        let pieces = ["alice", "bob", " ", "\n", "\t", "\u{7}", "é", "💬", "\u{202E}", "<b>", "\"", "\\", "\u{FEFF}", "ｆｕｌｌ", "a"]
        return (0..<Int(random.next() % 12)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
    }

    static func mutate(_ bytes: inout [UInt8], _ random: inout SplitMix64) {
        guard !bytes.isEmpty else { return }
        let at = Int(random.next() % UInt64(bytes.count))
        switch random.next() % 5 {
        case 0:
            // Mostly printable, so the frame usually stays UTF-8 and reaches the JSON layer.
            bytes[at] = random.next() % 8 == 0 ? UInt8(truncatingIfNeeded: random.next()) : UInt8(32 + random.next() % 95)
        case 1:
            bytes.removeSubrange(at..<min(bytes.count, at + Int(random.next() % 8) + 1))
        case 2:
            let end = min(bytes.count, at + Int(random.next() % 16) + 1)
            bytes.insert(contentsOf: bytes[at..<end], at: at)
        case 3:
            bytes.insert(contentsOf: Array(tokens[Int(random.next() % UInt64(tokens.count))].utf8), at: at)
        default:
            bytes = Array(bytes[..<at])
        }
    }
}
