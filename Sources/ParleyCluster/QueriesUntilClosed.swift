import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Queries that fail once their connection closes.
///
/// postgres-nio hands a query to its channel with `write(_:promise: nil)`. On a channel that is
/// already closed the write fails before it reaches the protocol handler, and the query's own
/// promise is never completed: the caller waits forever. That is how a node's heartbeat, sent on
/// the connection its session had just closed at shutdown, kept `run()` from ever returning.
/// Every query here races its connection's close instead.
extension PostgresConnection {
    /// Runs a statement to its end. `query` returns once the server has described the result;
    /// an error raised while executing (a unique violation, say) arrives with the rows, so the
    /// rows must be read for it to be seen at all.
    func run(_ query: PostgresQuery, logger: Logger) async throws {
        try await untilClosed { for try await _ in try await self.query(query, logger: logger) {} }
    }

    /// The first column of every row.
    func column<Value: PostgresDecodable & Sendable>(
        _ type: Value.Type, of query: PostgresQuery, logger: Logger
    ) async throws -> [Value] {
        try await untilClosed {
            var values: [Value] = []
            for try await value in try await self.query(query, logger: logger).decode(Value.self) { values.append(value) }
            return values
        }
    }

    /// The first two columns of every row.
    func columns<First: PostgresDecodable & Sendable, Second: PostgresDecodable & Sendable>(
        _ types: (First.Type, Second.Type), of query: PostgresQuery, logger: Logger
    ) async throws -> [(First, Second)] {
        try await untilClosed {
            var rows: [(First, Second)] = []
            for try await row in try await self.query(query, logger: logger).decode((First, Second).self) { rows.append(row) }
            return rows
        }
    }

    /// `body`'s result, or `ConnectionClosed` as soon as the connection closes (or at once when
    /// it is closed already). A query abandoned this way is left suspended; it holds only its
    /// own small task, and happens only in the moment a connection goes away. Within a
    /// `StatementDeadline`, a query unanswered past it closes its connection (and so fails).
    func untilClosed<Result: Sendable>(_ body: @escaping @Sendable () async throws -> Result) async throws -> Result {
        if isClosed { throw ConnectionClosed() }
        let deadline = StatementDeadline.timeout
        return try await withCheckedThrowingContinuation { continuation in
            let once = ResumeOnce(continuation)
            let timer = deadline.map { timeout in
                Task { [self] in
                    try await Task.sleep(for: timeout)
                    once.resume(with: .failure(StatementUnanswered(timeout: timeout)))
                    // Closed, not given up on: a query cannot be cancelled, and everything behind
                    // it on this connection would wait as long.
                    close().whenComplete { _ in }
                }
            }
            Task {
                defer { timer?.cancel() }
                do {
                    once.resume(with: .success(try await body()))
                } catch {
                    once.resume(with: .failure(error))
                }
            }
            closeFuture.whenComplete { _ in once.resume(with: .failure(ConnectionClosed())) }
        }
    }
}

/// The connection closed while a query was running or before it was sent.
struct ConnectionClosed: Error, CustomStringConvertible {
    var description: String { "the database connection closed" }
}

/// Resumes a continuation the first time only: the query and the close race for it.
private final class ResumeOnce<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, any Error>?>

    init(_ continuation: CheckedContinuation<Value, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func resume(with result: Result<Value, any Error>) {
        let waiting = continuation.withLock { continuation in
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume(with: result)
    }
}
