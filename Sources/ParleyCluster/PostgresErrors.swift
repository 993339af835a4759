import Logging
import PostgresNIO

extension PSQLError {
    /// A statement the server refused (as opposed to a connection that broke).
    var sqlState: String? { serverInfo?[.sqlState] }

    static let uniqueViolation = "23505"
}

/// postgres-nio's errors describe themselves generically (to keep data out of logs); this says
/// what happened without the query's values.
func describe(_ error: any Error) -> String {
    guard let error = error as? PSQLError else { return "\(error)" }
    var parts = ["\(error.code)"]
    if let message = error.serverInfo?[.message] { parts.append(message) }
    if let underlying = error.underlying { parts.append("\(underlying)") }
    return parts.joined(separator: ": ")
}
