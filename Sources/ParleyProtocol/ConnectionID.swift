/// An opaque, URL-safe, unique connection id (the managed API's `connectionId`).
///
/// The gateway packs the index of the event loop that owns the socket into the top byte, so the
/// fan-out can bucket recipients by loop without a lookup, and a cluster node's tag into the next
/// byte, so ids are unique across a cluster (0 on a single node); everything outside the gateway
/// treats the id as opaque text.
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public init(loopIndex: Int, node: UInt8 = 0, serial: UInt64) {
        precondition(loopIndex >= 0 && loopIndex < 256, "at most 256 event loops")
        self.rawValue = UInt64(loopIndex) << 56 | UInt64(node) << 48 | (serial & 0x0000_FFFF_FFFF_FFFF)
    }

    /// Which event loop owns the connection.
    public var loopIndex: Int { Int(rawValue >> 56) }

    /// The cluster node that holds the connection (0 on a single node).
    public var node: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 48) }

    /// 16 lowercase hex digits: URL-safe and fixed-width.
    public var description: String {
        let hex = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Parses the text form; nil for anything that is not 16 hex digits.
    public init?(_ text: some StringProtocol) {
        guard text.count == 16, let value = UInt64(text, radix: 16) else { return nil }
        self.rawValue = value
    }
}
