import ParleyProtocol

@testable import ParleyChat

/// One line per effect, payloads as text: what a reader would check by eye.
enum EffectLines {
    static func of(_ effects: [RoomEffect]) -> [String] {
        effects.map { effect in
            switch effect {
            case .post(let payload, let to): "post \(to.rawValue): \(payload.text)"
            case .broadcast(let payload, let to): "broadcast \(to.map(\.rawValue)): \(payload.text)"
            case .postToEach(let payload, let to): "each \(to.map(\.rawValue)): \(payload.text)"
            case .error(let error, let to): "error \(to.rawValue): \(error.code.rawValue)"
            case .submit(let command): "submit \(command)"
            case .schedule(_, let timer): "schedule \(timer)"
            case .warning(let text): "warning \(text)"
            }
        }
    }

    /// The directory's own effects, then each changed room's (drained here, as the handler would).
    static func of(_ outcome: Directory.Outcome) -> [String] {
        var lines = of(outcome.effects)
        for (cell, drain) in outcome.rooms {
            cell.drain(drain) { lines += of([$0]) }
        }
        return lines
    }
}
