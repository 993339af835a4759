import NIOCore
import Synchronization

/// The gateway-wide gate in front of `$connect`: new connections per second (429) and open
/// connections at once (503).
final class ConnectionAdmission: Sendable {
    enum Verdict: Equatable {
        case admitted
        case refused(status: Int, reason: String)
    }

    private struct State {
        var bucket: TokenBucket
        var open = 0
    }

    private let state: Mutex<State>
    private let maximumConnections: Int

    init(connectionsPerSecond: Int, maximumConnections: Int) {
        self.state = Mutex(State(bucket: TokenBucket(ratePerSecond: connectionsPerSecond, burst: connectionsPerSecond)))
        self.maximumConnections = maximumConnections
    }

    /// Admits one connection and counts it open, or says why not.
    func admit() -> Verdict {
        state.withLock { state in
            if state.open >= maximumConnections {
                return .refused(status: 503, reason: "the server is at its maximum of \(maximumConnections) connections")
            }
            guard state.bucket.take() else {
                return .refused(status: 429, reason: "too many new connections; retry shortly")
            }
            state.open += 1
            return .admitted
        }
    }

    /// An admitted connection has closed (or was refused by `$connect`).
    func release() {
        state.withLock { $0.open -= 1 }
    }

    var openConnections: Int { state.withLock { $0.open } }
}
