/// UTF-8 checked as a fragmented text message arrives, so a bad byte closes the connection
/// (1007) at the fragment that holds it rather than after the whole message (RFC 6455 §8.1's
/// "fail fast", which Autobahn's 6.4 cases look for). The well-formed sequences of Unicode's
/// Table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF. Unfragmented messages are
/// checked whole with the standard library instead.
struct UTF8StreamValidator {
    /// Continuation bytes still expected for the current scalar.
    private var pending = 0
    /// The allowed range of the next continuation byte (narrower right after E0, ED, F0, F4).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF
    private(set) var isValid = true

    /// True when the message may end here (no scalar cut in half).
    var isComplete: Bool { isValid && pending == 0 }

    /// Takes the next bytes; false as soon as they cannot be UTF-8 whatever follows.
    @discardableResult
    mutating func consume(_ bytes: some Sequence<UInt8>) -> Bool {
        guard isValid else { return false }
        for byte in bytes {
            if pending > 0 {
                guard byte >= lower && byte <= upper else { return fail() }
                lower = 0x80
                upper = 0xBF
                pending -= 1
                continue
            }
            switch byte {
            case 0x00...0x7F: break
            case 0xC2...0xDF: pending = 1
            case 0xE0: (pending, lower) = (2, 0xA0)
            case 0xE1...0xEC, 0xEE...0xEF: pending = 2
            case 0xED: (pending, upper) = (2, 0x9F)
            case 0xF0: (pending, lower) = (3, 0x90)
            case 0xF1...0xF3: pending = 3
            case 0xF4: (pending, upper) = (3, 0x8F)
            default: return fail()
            }
        }
        return true
    }

    private mutating func fail() -> Bool {
        isValid = false
        return false
    }
}
