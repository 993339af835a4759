import ParleyProtocol

/// What a client's close frame asks for (RFC 6455 §5.5.1, §7.4): an empty one or one with a
/// valid code and a UTF-8 reason is answered with the same code; anything else is a protocol
/// error (or 1007 for a reason that is not UTF-8), said in the server's own close.
enum ClientCloseFrame: Equatable {
    /// Answer with this code and close.
    case answer(UInt16)
    /// The frame was malformed: close with this code.
    case malformed(CloseCode, String)

    init(payload: some Collection<UInt8>) {
        guard !payload.isEmpty else {
            self = .answer(CloseCode.normal.rawValue)
            return
        }
        guard payload.count >= 2 else {
            self = .malformed(.protocolError, "a close frame's payload is a two-byte code and a reason")
            return
        }
        let code = UInt16(payload[payload.startIndex]) << 8 | UInt16(payload[payload.index(after: payload.startIndex)])
        guard Self.isValid(code) else {
            self = .malformed(.protocolError, "close code \(code) may not be sent")
            return
        }
        guard String(validating: payload.dropFirst(2), as: UTF8.self) != nil else {
            self = .malformed(.invalidPayload, "the close reason is not valid UTF-8")
            return
        }
        self = .answer(code)
    }

    /// Codes an endpoint may send: the defined ones (1004–1006 and 1015 are reserved or only
    /// reported locally; past 1011 only IANA's registry can add any) and the application range.
    static func isValid(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1011, 3000...4999: true
        default: false
        }
    }
}
