/// The bytes of one outbound text frame's payload (a JSON document), encoded once and shared by
/// every recipient.
public struct Payload: Sendable, Equatable {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }
}
