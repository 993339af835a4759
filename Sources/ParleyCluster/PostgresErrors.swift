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

extension PostgresConnection {
    /// Runs a statement to its end. `query` returns once the server has described the result;
    /// an error raised while executing (a unique violation, say) arrives with the rows, so the
    /// rows must be read for it to be seen at all.
    func run(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }
}
