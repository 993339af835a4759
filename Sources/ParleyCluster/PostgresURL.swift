import Foundation
import PostgresNIO

/// `postgres://user:password@host:port/database` → a postgres-nio configuration per host.
///
/// Several hosts, as libpq writes them (`postgres://u@db1:5432,db2:5432/chat`), name a primary
/// and its standbys: a node connects to the first that answers and is a primary
/// (`pg_is_in_recovery()` false; libpq's `target_session_attrs=read-write`, the only mode offered,
/// since a node writes), and after a failover finds the promoted one the same way
/// (`NodeRegistration.connect`). TLS is not offered: the cluster's database is expected on a
/// private network or loopback.
public struct PostgresURL: Sendable, CustomStringConvertible {
    public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
        public let host: String
        public let port: Int
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// In the order they are tried.
    public let endpoints: [Endpoint]
    public let username: String
    let password: String?
    public let database: String?

    /// The first host (the only one, usually).
    public var host: String { endpoints[0].host }
    public var port: Int { endpoints[0].port }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ text: String) throws {
        let usage = "--postgres-url \"\(text)\": expected postgres://USER[:PASSWORD]@HOST[:PORT][,HOST[:PORT]…]/DATABASE"
        guard let schemeEnd = text.range(of: "://"),
            ["postgres", "postgresql"].contains(text[..<schemeEnd.lowerBound].lowercased())
        else { throw Invalid(description: usage) }
        var rest = text[schemeEnd.upperBound...]
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var user: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                user = String(userInfo[..<colon]).removingPercentEncoding
                password = String(userInfo[userInfo.index(after: colon)...]).removingPercentEncoding
            } else {
                user = String(userInfo).removingPercentEncoding
            }
        }
        guard !rest.isEmpty else { throw Invalid(description: "--postgres-url \"\(text)\": no host") }
        endpoints = try rest.split(separator: ",", omittingEmptySubsequences: false).map { try Self.endpoint($0, in: text) }
        for item in query.split(separator: "&") {
            let pair = item.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            let (name, value) = (pair[0], pair.count > 1 ? pair[1] : "")
            switch name {
            case "sslmode" where value != "disable":
                throw Invalid(description: "--postgres-url: sslmode=\(value) is not supported (only disable)")
            case "target_session_attrs" where !["read-write", "primary"].contains(value):
                throw Invalid(
                    description: "--postgres-url: target_session_attrs=\(value) is not supported: "
                        + "a node writes, so it connects only to a primary (read-write)")
            default:
                continue
            }
        }
        self.username = user.flatMap { $0.isEmpty ? nil : $0 } ?? "postgres"
        self.password = password
        let database = String(path).removingPercentEncoding ?? String(path)
        self.database = database.isEmpty ? nil : database
    }

    private static func endpoint(_ text: Substring, in url: String) throws -> Endpoint {
        var host = text
        var port = 5432
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") { port = try number(after.dropFirst(), in: url) }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            port = try number(host[host.index(after: colon)...], in: url)
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw Invalid(description: "--postgres-url \"\(url)\": a host is empty") }
        return Endpoint(host: String(host), port: port)
    }

    private static func number(_ text: Substring, in url: String) throws -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw Invalid(description: "--postgres-url \"\(url)\": \"\(text)\" is not a port")
        }
        return port
    }

    /// The URL without its password, for logs and errors.
    public var description: String {
        "postgres://\(username)@\(endpoints.map(\.description).joined(separator: ","))/\(database ?? "")"
    }

    func configuration(for endpoint: Endpoint) -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: endpoint.host, port: endpoint.port, username: username, password: password, database: database, tls: .disable)
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// The first host's (tests that connect to one server).
    var configuration: PostgresConnection.Configuration { configuration(for: endpoints[0]) }
}
