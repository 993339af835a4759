import Foundation
import ParleyLoad  // SplitMix64: the generated frames are the same on every run
import Testing

@testable import ParleyProtocol

/// The hand-written frame parser against `JSONSerialization`, the parser it replaced: the same
/// answer — not an object, or the same fields of the same kinds and values — on edge cases and
/// on thousands of generated and mangled frames.
@Suite struct FlatJSONObjectTests {
    /// What `JSONSerialization` makes of the bytes, in `JSONField`s (nil: not one JSON object).
    static func reference(_ bytes: [UInt8]) -> [String: JSONField]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        return object.mapValues { value -> JSONField in
            switch value {
            case let string as String: return .string(string)
            case is NSNull: return .null
            case is [Any]: return .array
            case is [String: Any]: return .object
            case let number as NSNumber:
                return String(cString: number.objCType) == "c" ? .bool : .number(number.doubleValue)
            default: return .null
            }
        }
    }

    static func flat(_ bytes: [UInt8]) -> [String: JSONField]? {
        bytes.withUnsafeBufferPointer { FlatJSONObject.parse($0) }
    }

    static let edgeCases: [String] = [
        "", " ", "{}", " \t\r\n{ \n} \n", #"{"a":1}"#, #"{"a":1,}"#, #"{"a" 1}"#, "{'a':1}", #"{a:1}"#,
        #"{"a":01}"#, #"{"a":-0}"#, #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":1e5}"#, #"{"a":1E+5}"#, #"{"a":2.5e-3}"#,
        #"{"a":1e}"#, #"{"a":-}"#, #"{"a":-01}"#, #"{"a":+1}"#, #"{"a":0x10}"#, #"{"a":123456789012345678901234567890}"#,
        #"{"a":tru}"#, #"{"a":true}"#, #"{"a":false}"#, #"{"a":nul}"#, #"{"a":null}"#, #"{"a":True}"#,
        #"{"a":[1,2,{"b":[]}]}"#, #"{"a":[1,]}"#, #"{"a":[,1]}"#, #"{"a":{"b":1,}}"#, #"{"a":{"b"}}"#, #"{"a":[}"#,
        #"{"a":"\u00e9"}"#, #"{"a":"\u00E9\u4e2D"}"#, #"{"a":"\ud83d\ude00"}"#, #"{"a":"\/\\\"\b\f\n\r\t"}"#,
        #"{"a":"\x"}"#, #"{"a":"\u12"}"#, #"{"a":"\u12g4"}"#, "{\"a\":\"tab\there\"}", "{\"a\":\"nl\nhere\"}",
        #"{"a":"\u0000"}"#, #"{"a":1}{}"#, #"{"a":1} x"#, "[{}]", "[]", "\"text\"", "42", "null", "{\"action\":",
        #"{"a":1,"a":2}"#, #"{"a":"x","a":null}"#, #"{"é":"ü","日本":"語"}"#, #"{"":""}"#, #"{"a":"unterminated}"#,
        #"{"action":"sendPublic","room":"r1","message":"PRB:1:2:3:4:PRB xxxx"}"#, #"{"since":12,"epoch":"e-1"}"#,
        #"{"a":1,,"b":2}"#, #"{,}"#, #"{"a":1 , }"#, #"{"a":[1,2 ,]}"#, #"[1,]"#, #"{"a":1 "b":2}"#, #"{"a":[1 2]}"#,
        #"{"a":{"b":{"c":{"d":[[[]]]}}}}"#,
    ]

    @Test(arguments: edgeCases) func edgeCasesReadAsJSONSerializationReadsThem(_ text: String) {
        let bytes = Array(text.utf8)
        #expect(Self.flat(bytes) == Self.reference(bytes), "\(text)")
    }

    @Test func depthPastTheLimitIsRefusedAndWithinItIsRead() {
        func nested(_ depth: Int) -> [UInt8] {
            Array(("{\"a\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}").utf8)
        }
        #expect(Self.flat(nested(100)) == ["a": .array])
        #expect(Self.flat(nested(FlatJSONObject.maximumDepth + 10)) == nil)
    }

    @Test func invalidUTF8InAStringIsNotAnObject() {
        let bytes: [UInt8] = Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(Self.flat(bytes) == nil)
        #expect(Self.reference(bytes) == nil)
    }

    /// Frames of a small JSON grammar, then mangled (a byte dropped, doubled, replaced with one
    /// of JSON's own): both parsers must agree on every one.
    @Test func generatedAndMangledFramesReadAsJSONSerializationReadsThem() {
        var random = SplitMix64(seed: 0x464C_4154)
        var disagreements: [String] = []
        var objects = 0
        for _ in 0..<6_000 {
            var bytes = Array(Self.object(&random, depth: 0).utf8)
            if random.next() % 2 == 0, !bytes.isEmpty {
                let index = Int(random.next() % UInt64(bytes.count))
                let alphabet = Array(#"{}[]":,."\ 0123456789-+eEtrufalsn"#.utf8)
                switch random.next() % 3 {
                case 0: bytes.remove(at: index)
                case 1: bytes.insert(bytes[index], at: index)
                default: bytes[index] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                }
            }
            let ours = Self.flat(bytes), theirs = Self.reference(bytes)
            if ours != nil { objects += 1 }
            if ours != theirs, disagreements.count < 5 {
                let text = String(decoding: bytes, as: UTF8.self)
                disagreements.append("\(text): ours \(String(describing: ours)), theirs \(String(describing: theirs))")
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements)")
        #expect(objects > 2_000, "enough of them still objects to compare fields: \(objects)")
    }

    static func object(_ random: inout SplitMix64, depth: Int) -> String {
        let count = Int(random.next() % 5)
        let members = (0..<count).map { _ in "\(string(&random)):\(value(&random, depth: depth + 1))" }
        return "{" + members.joined(separator: random.next() % 4 == 0 ? " , " : ",") + "}"
    }

    static func value(_ random: inout SplitMix64, depth: Int) -> String {
        switch random.next() % (depth > 3 ? 6 : 8) {
        case 0: return string(&random)
        case 1: return ["0", "-0", "7", "-12", "3.25", "1e3", "-2.5E-2", "12345678901"][Int(random.next() % 8)]
        case 2: return "true"
        case 3: return "false"
        case 4: return "null"
        case 5: return string(&random)
        case 6: return object(&random, depth: depth)
        default:
            let count = Int(random.next() % 4)
            return "[" + (0..<count).map { _ in value(&random, depth: depth + 1) }.joined(separator: ",") + "]"
        }
    }

    static func string(_ random: inout SplitMix64) -> String {
        let pieces = ["a", "room", "é", "語", #"\n"#, #"\""#, #"\\"#, #"\u00e9"#, #"\ud83d\ude00"#, " ", "PRB:1:2", #"\/"#]
        let count = Int(random.next() % 4)
        return "\"" + (0..<count).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined() + "\""
    }
}
