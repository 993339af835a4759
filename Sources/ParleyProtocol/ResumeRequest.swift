/// Where a reconnecting client stopped, asked for on the WebSocket URL (docs/PROTOCOL.md,
/// "Resume"): `?since=SEQ&epoch=E` — the public messages after `SEQ` of history `E`, replayed
/// after the client's `setName`. `?since=0` with no epoch asks for whatever history the room
/// holds (a first visit); `?since=latest` for none, only where the room stands. Either answer
/// names the epoch to resume with next time.
public struct ResumeRequest: Sendable, Equatable {
    /// The last public `seq` the client holds (0: none); nil for `latest`.
    public let since: UInt64?
    /// The history it was numbered in; nil on a first visit.
    public let epoch: String?

    public init(since: UInt64?, epoch: String?) {
        self.since = since
        self.epoch = epoch
    }

    /// What the URL asked: nothing (nil), a request, or a message saying what is wrong with it.
    /// Bad values do not refuse the connection: the error is sent when the resume would be.
    public static func parse(since: String?, epoch: String?) -> Result<ResumeRequest, ProtocolError>? {
        guard since != nil || epoch != nil else { return nil }
        guard let since else {
            return .failure(invalid("epoch needs since: give ?since=SEQ&epoch=E (the last seq you hold)"))
        }
        if since == "latest" {
            guard epoch == nil else { return .failure(invalid("since=latest takes no epoch: it asks where the room stands")) }
            return .success(ResumeRequest(since: nil, epoch: nil))
        }
        guard !since.isEmpty, since.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = UInt64(since) else {
            return .failure(
                invalid("since must be a whole number of 0 or more (the last seq you hold) or latest, got \"\(since.prefix(40))\""))
        }
        if let epoch {
            guard (1...64).contains(epoch.utf8.count),
                epoch.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
            else {
                return .failure(invalid("epoch must be the hexadecimal epoch a resume marker gave, got \"\(epoch.prefix(70))\""))
            }
        }
        return .success(ResumeRequest(since: value, epoch: epoch))
    }

    /// What a `join` frame asked (docs/PROTOCOL.md, "Rooms"): `since` a whole number (or the
    /// string `latest`, or digits as a string), `epoch` a string; nil when it asked nothing.
    public static func parse(joining frame: InboundFrame) -> Result<ResumeRequest, ProtocolError>? {
        let since: String?
        switch frame.fields[ActionName.Field.since] {
        case nil: since = nil
        case .string(let text): since = text
        case .number(let value):
            guard value >= 0, value < 9.0e15, value.rounded() == value else {
                return .failure(
                    invalid("since must be a whole number of 0 or more (the last seq you hold) or \"latest\"", action: ActionName.join))
            }
            since = String(UInt64(value))
        case let other?:
            return .failure(invalid("\"since\" must be a number or \"latest\", not \(other.typeName)", action: ActionName.join))
        }
        let epoch: String?
        switch frame.optionalString(ActionName.Field.epoch) {
        case .success(let value): epoch = value
        case .failure(let error): return .failure(error)
        }
        return parse(since: since, epoch: epoch).map { result in
            result.mapError { ProtocolError($0.code, $0.message, action: ActionName.join) }
        }
    }

    /// `since` names a message the room has not numbered yet.
    public static func ahead(_ since: UInt64, last: UInt64) -> ProtocolError {
        invalid("since \(since) is ahead of the room's last seq \(last)")
    }

    static func invalid(_ message: String, action: String = ActionName.connect) -> ProtocolError {
        ProtocolError(.invalidField, message, action: action)
    }
}
