/// How load clients read their sockets once they are ready (`run --receive`).
public enum ReceivePath: String, Sendable, CaseIterable, Codable {
    /// Ready members move to `ReceiveLoop`s: one epoll thread per event loop, C-client cost
    /// per frame. Clients that must stay on NIO do (TLS, reconnects, churn, presence, publishers).
    case direct
    /// Every client on NIO's channels for its whole life (the path before the direct one; kept
    /// to compare the two and as a fallback).
    case nio
}
