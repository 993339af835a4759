import Foundation

/// A ws:// target split for the client bootstrap: host, port, and the request URI.
public struct TargetURL: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let uri: String
    public let isSecure: Bool

    public init?(_ text: String, defaultQuery: String? = nil) {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            ["ws", "wss"].contains(scheme), let host = components.host, !host.isEmpty
        else { return nil }
        self.host = host
        self.isSecure = scheme == "wss"
        self.port = components.port ?? (isSecure ? 443 : 80)
        var uri = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        if let query = components.percentEncodedQuery {
            uri += "?" + query
        } else if let defaultQuery {
            uri += "?" + defaultQuery
        }
        self.uri = uri
    }

    private init(host: String, port: Int, uri: String, isSecure: Bool) {
        self.host = host
        self.port = port
        self.uri = uri
        self.isSecure = isSecure
    }

    /// The same target with `query` (already encoded) added to the request URI's query.
    public func adding(query: String) -> TargetURL {
        TargetURL(host: host, port: port, uri: uri + (uri.contains("?") ? "&" : "?") + query, isSecure: isSecure)
    }

    public var description: String { "\(isSecure ? "wss" : "ws")://\(host):\(port)\(uri)" }
}
