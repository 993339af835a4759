#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The load harness's probe token, `PRB:<run>:<publisher>:<seq>:<scheduled_ns>:PRB`: ASCII only,
/// so it survives being wrapped as `"alice: …"` inside JSON, and found by a byte scan without
/// decoding the frame — so the harness can measure any server that relays text.
public struct ProbeToken: Sendable, Hashable {
    public var run: UInt32
    public var publisher: UInt32
    /// The message's number within the run (unique across publishers).
    public var seq: UInt64
    /// When the message was due, on the harness's monotonic clock (ns).
    public var scheduledNanos: UInt64

    public init(run: UInt32, publisher: UInt32, seq: UInt64, scheduledNanos: UInt64) {
        self.run = run
        self.publisher = publisher
        self.seq = seq
        self.scheduledNanos = scheduledNanos
    }

    public var text: String { "PRB:\(run):\(publisher):\(seq):\(scheduledNanos):PRB" }

    /// The longest a token's text can be: `PRB:` + 10 + `:` + 10 + `:` + 20 + `:` + 20 + `:PRB`.
    public static let maximumTextLength = 4 + 10 + 1 + 10 + 1 + 20 + 1 + 20 + 4

    /// Calls `found` for every well-formed token in `bytes`, in order. Malformed look-alikes
    /// are skipped. Cost: one pass over the bytes, no allocation.
    public static func scan(_ bytes: UnsafeRawBufferPointer, _ found: (ProbeToken) -> Void) {
        let count = bytes.count
        var index = 0
        guard let base = bytes.baseAddress else { return }
        while index + 4 <= count {
            // "PRB:" — jump to the next P with memchr (vectorised in libc: a frame's padding is
            // most of its bytes), then check the rest.
            guard let p = memchr(base + index, 0x50, count - index) else { return }
            index = base.distance(to: UnsafeRawPointer(p))
            guard index + 4 <= count else { return }
            guard bytes[index + 1] == 0x52, bytes[index + 2] == 0x42, bytes[index + 3] == 0x3A else {
                index += 1
                continue
            }
            var cursor = index + 4
            var fields: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            var ok = true
            for field in 0..<4 {
                var value: UInt64 = 0
                var digits = 0
                while cursor < count, bytes[cursor] >= 0x30, bytes[cursor] <= 0x39, digits < 20 {
                    value = value &* 10 &+ UInt64(bytes[cursor] - 0x30)
                    cursor += 1
                    digits += 1
                }
                guard digits > 0, cursor < count, bytes[cursor] == 0x3A else {
                    ok = false
                    break
                }
                cursor += 1
                switch field {
                case 0: fields.0 = value
                case 1: fields.1 = value
                case 2: fields.2 = value
                default: fields.3 = value
                }
            }
            if ok, cursor + 3 <= count, bytes[cursor] == 0x50, bytes[cursor + 1] == 0x52, bytes[cursor + 2] == 0x42,
                fields.0 <= UInt64(UInt32.max), fields.1 <= UInt64(UInt32.max)
            {
                found(ProbeToken(run: UInt32(fields.0), publisher: UInt32(fields.1), seq: fields.2, scheduledNanos: fields.3))
                index = cursor + 3
            } else {
                index += 1
            }
        }
    }

    /// The tokens in a byte array (tests, tools).
    public static func all(in bytes: [UInt8]) -> [ProbeToken] {
        var tokens: [ProbeToken] = []
        bytes.withUnsafeBytes { scan($0) { tokens.append($0) } }
        return tokens
    }
}
