/// Reads one JSON object's top-level fields straight off a frame's bytes: strings and numbers
/// with their values, the other kinds by name only (`JSONField`), nested objects and arrays
/// checked and skipped. Anything that is not exactly one JSON object (RFC 8259) is nil — but a
/// comma before a closing brace or bracket, which `JSONSerialization` accepted, is accepted still:
/// what clients could send before keeps working.
///
/// Hand-written because it is on every inbound frame's path: with many small rooms, where each
/// message is spread over few deliveries, `JSONSerialization` and the classification of its
/// `Any` values were 5.5 % of the server's CPU (perf, 1,000 rooms × 10 at 50,000 deliveries/s,
/// 2026-12-02; docs/PERFORMANCE.md, "Many rooms"). `FlatJSONObjectTests` hold it to
/// `JSONSerialization`'s answers over generated and edge-case inputs.
struct FlatJSONObject {
    /// Containers deeper than this are refused (as `JSONSerialization` refuses past 512).
    static let maximumDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private var at = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> [String: JSONField]? {
        var reader = FlatJSONObject(bytes)
        reader.skipWhitespace()
        guard let fields = reader.topLevelObject() else { return nil }
        reader.skipWhitespace()
        return reader.at == bytes.count ? fields : nil
    }

    private var current: UInt8? { at < bytes.count ? bytes[at] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { at += 1 }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard current == byte else { return false }
        at += 1
        return true
    }

    private mutating func topLevelObject() -> [String: JSONField]? {
        guard consume(UInt8(ascii: "{")) else { return nil }
        var fields: [String: JSONField] = [:]
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return fields }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\""), let key = string() else { return nil }
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { return nil }
            skipWhitespace()
            guard let value = field() else { return nil }
            fields[key] = value  // a repeated key: the last one, as JSONSerialization keeps
            skipWhitespace()
            if consume(UInt8(ascii: ",")) {
                skipWhitespace()
                if consume(UInt8(ascii: "}")) { return fields }
                continue
            }
            return consume(UInt8(ascii: "}")) ? fields : nil
        }
    }

    /// One value at the top level: what `JSONField` keeps of it.
    private mutating func field() -> JSONField? {
        switch current {
        case UInt8(ascii: "\""): return string().map { .string($0) }
        case UInt8(ascii: "{"): return skipContainer(depth: 1) ? .object : nil
        case UInt8(ascii: "["): return skipContainer(depth: 1) ? .array : nil
        case UInt8(ascii: "t"): return literal("true") ? .bool : nil
        case UInt8(ascii: "f"): return literal("false") ? .bool : nil
        case UInt8(ascii: "n"): return literal("null") ? .null : nil
        default: return number().map { .number($0) }
        }
    }

    /// Any value below the top level, checked and not kept.
    private mutating func skipValue(depth: Int) -> Bool {
        switch current {
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["): return skipContainer(depth: depth + 1)
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return number() != nil
        }
    }

    /// An object or array whose opening byte is current, through its closing one.
    private mutating func skipContainer(depth: Int) -> Bool {
        guard depth <= Self.maximumDepth, let open = current else { return false }
        let isObject = open == UInt8(ascii: "{")
        let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
        at += 1
        skipWhitespace()
        if consume(close) { return true }
        while true {
            skipWhitespace()
            if isObject {
                guard current == UInt8(ascii: "\""), string() != nil else { return false }
                skipWhitespace()
                guard consume(UInt8(ascii: ":")) else { return false }
                skipWhitespace()
            }
            guard skipValue(depth: depth) else { return false }
            skipWhitespace()
            if consume(UInt8(ascii: ",")) {
                skipWhitespace()
                if consume(close) { return true }
                continue
            }
            return consume(close)
        }
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard bytes.count - at >= count else { return false }
        for index in 0..<count where bytes[at + index] != word.utf8Start[index] { return false }
        at += count
        return true
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, read as a Double.
    private mutating func number() -> Double? {
        let start = at
        _ = consume(UInt8(ascii: "-"))
        guard let first = current, isDigit(first) else { return nil }
        at += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if consume(UInt8(ascii: ".")) {
            guard let digit = current, isDigit(digit) else { return nil }
            skipDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            at += 1
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            guard let digit = current, isDigit(digit) else { return nil }
            skipDigits()
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while let byte = current, isDigit(byte) { at += 1 }
    }

    /// A string whose opening quote is current, through its closing one; nil when it is not
    /// valid JSON (a control character, a bad escape, a lone surrogate) or not valid UTF-8.
    private mutating func string() -> String? {
        at += 1
        let start = at
        // The common case: no escape, the bytes are the string.
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { return nil }
            at += 1
        }
        guard let stop = current else { return nil }
        if stop == UInt8(ascii: "\"") {
            at += 1
            return String(validating: UnsafeBufferPointer(rebasing: bytes[start..<at - 1]), as: UTF8.self)
        }
        var unescaped = Array(UnsafeBufferPointer(rebasing: bytes[start..<at]))
        while let byte = current {
            at += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(validating: unescaped, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard appendEscape(to: &unescaped) else { return nil }
            case ..<0x20:
                return nil
            default:
                unescaped.append(byte)
            }
        }
        return nil
    }

    /// The escape after a backslash, appended as UTF-8.
    private mutating func appendEscape(to out: inout [UInt8]) -> Bool {
        guard let kind = current else { return false }
        at += 1
        switch kind {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(kind)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            guard let unit = hex4() else { return false }
            var scalarValue = UInt32(unit)
            if (0xD800...0xDBFF).contains(unit) {
                // A high surrogate: its low half must follow as another \u escape.
                guard consume(UInt8(ascii: "\\")), consume(UInt8(ascii: "u")), let low = hex4(), (0xDC00...0xDFFF).contains(low)
                else { return false }
                scalarValue = 0x10000 + (UInt32(unit - 0xD800) << 10) + UInt32(low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(unit) {
                return false
            }
            guard let scalar = Unicode.Scalar(scalarValue) else { return false }
            UTF8.encode(scalar) { out.append($0) }
        default:
            return false
        }
        return true
    }

    private mutating func hex4() -> UInt16? {
        guard bytes.count - at >= 4 else { return nil }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[at]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt16(digit)
            at += 1
        }
        return value
    }
}
