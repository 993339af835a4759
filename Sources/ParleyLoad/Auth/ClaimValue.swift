/// One claim of a scenario's `auth.claims`, as written: a string (where `{i}` or `{index}` is
/// the client's number), a number, true or false, a list or a mapping (`rooms: {join: [...]}`).
public indirect enum ClaimValue: Sendable, Equatable, Codable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case list([ClaimValue])
    case object([String: ClaimValue])

    /// The value for client `index`.
    func filled(index: Int) -> ClaimValue {
        switch self {
        case .string(let text):
            return .string(
                text.replacingOccurrences(of: "{index}", with: String(index)).replacingOccurrences(of: "{i}", with: String(index)))
        case .list(let items): return .list(items.map { $0.filled(index: index) })
        case .object(let fields): return .object(fields.mapValues { $0.filled(index: index) })
        case .number, .bool: return self
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let items = try? container.decode([ClaimValue].self) {
            self = .list(items)
        } else {
            self = .object(try container.decode([String: ClaimValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .number(let number):
            if number == number.rounded(), abs(number) < 1e15 { try container.encode(Int64(number)) } else { try container.encode(number) }
        case .bool(let flag): try container.encode(flag)
        case .list(let items): try container.encode(items)
        case .object(let fields): try container.encode(fields)
        }
    }
}
