import Foundation

/// Reconnects and resumes over a run (docs/LOAD.md, "Reconnects and resume").
public struct ResumeReport: Codable, Sendable {
    /// Connections the harness dropped, and those the server closed (a node killed).
    public var dropped: Int
    public var serverClosed: Int
    /// Dials that failed (a dead node's address) before another target took the client.
    public var dialFailures: Int
    /// How each reconnect ended: "resumed", "failed: epoch", "failed: expired", "error", …
    public var outcomes: [String: Int]
    /// Messages the room delivered that a client which came back was due and never received:
    /// 0 when resume works within the history.
    public var gaps: Int
    /// The same message twice at a client that came back.
    public var duplicates: Int
    /// Deliveries that arrived as a resume's replay (counted as received, not as fan-out latency).
    public var replayed: Int
    /// From a reconnect's dial until its marker: connect, name, replay.
    public var latency: HistogramReport

    /// "444 resumed, 2 failed: epoch" — or "none answered".
    public var outcomesText: String {
        let text = outcomes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return text.isEmpty ? "none answered" : text
    }
}
