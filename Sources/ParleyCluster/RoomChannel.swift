import ParleyProtocol

/// The NOTIFY channel of a named room: `parley_r_` and 16 hex digits of the name's 64-bit FNV-1a
/// hash. A channel is an identifier (63 bytes at most), a room name is 64 characters: hashed, it
/// always fits. Two rooms that share a channel only cost their nodes each other's notifications,
/// which carry the room's name and are dropped by a node that does not hold it.
enum RoomChannel {
    static func name(of room: RoomName) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in room.text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "parley_r_" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
