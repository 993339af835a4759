import Foundation

/// FNV-1a 64-bit: an identity digest for scenarios (not for security).
enum Digest {
    static func fnv1a64(_ bytes: some Sequence<UInt8>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The scenario as run: its tolerances are how it is judged, so changing one keeps the
    /// baselines comparable.
    static func of(_ scenario: Scenario) -> String {
        var scenario = scenario
        scenario.compare = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return fnv1a64((try? encoder.encode(scenario)) ?? Data())
    }
}
