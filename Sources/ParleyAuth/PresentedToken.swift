/// A credential as the client presented it, and where: `Authorization: Bearer …`, a
/// `Sec-WebSocket-Protocol` entry `bearer.…` (the one place a browser's WebSocket can carry it),
/// or `?token=…`, looked for in that order.
public struct PresentedToken: Sendable, Equatable {
    public enum Carrier: String, Sendable {
        case authorization
        case subprotocol
        case query
    }

    /// A token longer than this is refused (`oversized`) before it is parsed.
    public static let maximumBytes = 8 * 1024
    /// The subprotocol entry's prefix; the rest of the entry is the token.
    public static let subprotocolPrefix = "bearer."
    /// The protocol the server answers with when the client offered it beside its token
    /// (a browser fails the socket unless the answer names an offered protocol).
    public static let chatSubprotocol = "parley"

    public let value: String
    public let carrier: Carrier
    /// The `Sec-WebSocket-Protocol` the 101 must name: `parley` when offered, else the entry
    /// that carried the token; nil when the token did not come that way.
    public let answeredSubprotocol: String?

    public init(value: String, carrier: Carrier, answeredSubprotocol: String? = nil) {
        self.value = value
        self.carrier = carrier
        self.answeredSubprotocol = answeredSubprotocol
    }

    /// The first token the request carries, or nil.
    public static func find(headers: [(name: String, value: String)], query: [String: String]) -> PresentedToken? {
        for (name, value) in headers where name == "authorization" {
            let trimmed = value.trimmingWhitespace
            if trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " {
                return PresentedToken(value: String(trimmed.dropFirst(7)).trimmingWhitespace, carrier: .authorization)
            }
        }
        let offered = headers.filter { $0.name == "sec-websocket-protocol" }
            .flatMap { $0.value.split(separator: ",") }
            .map { String($0).trimmingWhitespace }
        if let entry = offered.first(where: { $0.hasPrefix(subprotocolPrefix) }) {
            let answer = offered.contains(chatSubprotocol) ? chatSubprotocol : entry
            return PresentedToken(
                value: String(entry.dropFirst(subprotocolPrefix.count)), carrier: .subprotocol, answeredSubprotocol: answer)
        }
        if let token = query["token"] { return PresentedToken(value: token, carrier: .query) }
        return nil
    }
}

extension String {
    var trimmingWhitespace: String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
