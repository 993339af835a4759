import Foundation

/// What a chat frame says about the room's position, read from the raw JSON without decoding it:
/// only the frames that matter are looked into, by their first bytes.
enum RoomPosition: Equatable {
    /// A public message's `seq`.
    case message(seq: UInt64)
    /// `{"resumed":…}`: caught up through `to`.
    case resumed(to: UInt64, epoch: String)
    /// `{"resumeFailed":…}`: messages may be lost.
    case resumeFailed(reason: String, epoch: String)
    /// `{"error":…}` (a bad resume, say): the resume ends unanswered.
    case error

    static func read(_ bytes: UnsafeRawBufferPointer) -> RoomPosition? {
        if starts(bytes, #"{"publicMessage""#) {
            return number(after: #""seq":"#, in: bytes).map { .message(seq: $0) }
        }
        if starts(bytes, #"{"resumed""#) {
            guard let to = number(after: #""to":"#, in: bytes), let epoch = string(after: #""epoch":""#, in: bytes) else { return nil }
            return .resumed(to: to, epoch: epoch)
        }
        if starts(bytes, #"{"resumeFailed""#) {
            return .resumeFailed(
                reason: string(after: #""reason":""#, in: bytes) ?? "?", epoch: string(after: #""epoch":""#, in: bytes) ?? "")
        }
        if starts(bytes, #"{"error""#) { return .error }
        return nil
    }

    private static func starts(_ bytes: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        return prefix.withUTF8Buffer { prefix in memcmp(bytes.baseAddress!, prefix.baseAddress!, count) == 0 }
    }

    /// Where `key` ends, searched from the end: the fields read here come last, and a quote inside
    /// a JSON string is escaped, so the raw key cannot appear inside a message's text.
    private static func end(of key: StaticString, in bytes: UnsafeRawBufferPointer) -> Int? {
        let count = key.utf8CodeUnitCount
        guard bytes.count >= count else { return nil }
        return key.withUTF8Buffer { key in
            var start = bytes.count - count
            while start >= 0 {
                if memcmp(bytes.baseAddress! + start, key.baseAddress!, count) == 0 { return start + count }
                start -= 1
            }
            return nil
        }
    }

    private static func number(after key: StaticString, in bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard var index = end(of: key, in: bytes) else { return nil }
        var value: UInt64 = 0
        var digits = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            value = value &* 10 &+ UInt64(bytes[index] - 0x30)
            index += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    private static func string(after key: StaticString, in bytes: UnsafeRawBufferPointer) -> String? {
        guard let start = end(of: key, in: bytes) else { return nil }
        var index = start
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") { index += 1 }
        guard index < bytes.count else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }
}
