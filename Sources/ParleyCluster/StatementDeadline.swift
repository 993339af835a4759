/// How long a statement may go unanswered before its connection is closed, where one is set
/// (`$timeout.withValue`); nil elsewhere: as long as TCP takes. A session's setup and its
/// notification fetches run within `--database-timeout`: the heartbeat, which watches the
/// connection otherwise, is not beating yet then, and a partition that drops packets closes
/// nothing — without it a node could wait minutes in a session that will never answer.
enum StatementDeadline {
    @TaskLocal static var timeout: Duration?
}

/// A statement went unanswered past its `StatementDeadline`; its connection was closed.
struct StatementUnanswered: Error, CustomStringConvertible {
    let timeout: Duration
    var description: String { "the database did not answer within \(timeout); the connection was closed" }
}
