/// Whether two secrets are equal, in time that depends on their lengths only, never on where they
/// first differ: `==` on strings stops at the first different byte, which lets a caller who can
/// time many attempts learn a bearer token byte by byte.
enum ConstantTimeComparison {
    static func equal(_ given: some StringProtocol, _ expected: some StringProtocol) -> Bool {
        let a = Array(given.utf8), b = Array(expected.utf8)
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        // Walk the expected secret's whole length whatever was given.
        for index in 0..<b.count {
            difference |= (index < a.count ? a[index] : 0) ^ b[index]
        }
        return difference == 0 && a.count == b.count
    }
}
