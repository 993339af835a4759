/// One loop's count of reconnects and resumes; merged across loops into a `ResumeReport`.
struct ResumeTally: Sendable, Codable {
    var dropped = 0
    var serverClosed = 0
    var dialFailures = 0
    /// "resumed", "failed: epoch", "error", … → clients.
    var outcomes: [String: Int] = [:]
    var latency = LatencyHistogram()
    var replayed = 0
    var duplicates = 0
    /// Messages the room delivered that a client which came back was due and never got.
    var gaps = 0

    mutating func add(_ other: ResumeTally) {
        dropped += other.dropped
        serverClosed += other.serverClosed
        dialFailures += other.dialFailures
        outcomes.merge(other.outcomes, uniquingKeysWith: +)
        latency.add(other.latency)
        replayed += other.replayed
        duplicates += other.duplicates
        gaps += other.gaps
    }
}
