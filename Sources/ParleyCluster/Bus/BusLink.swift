import ParleyChat
import PostgresNIO
import Synchronization

/// What the bus's tasks share: the node's room, the connection commands run on (while the node
/// is connected and resynchronized), and what each task is doing. One lock, and one way to let
/// a connection go (`release`), whoever noticed it failing.
final class BusLink: Sendable {
    private struct State: Sendable {
        var room: (any ClusterRoom)?
        var connection: PostgresConnection?
        var connectedSince: ContinuousClock.Instant?
        /// Since when commands have had no connection (the start counts: the first session is
        /// still being set up when the gateway starts accepting).
        var disconnectedSince: ContinuousClock.Instant = .now
        /// The command stream ended and every command in it was handled.
        var commandsDone = false
        /// What each task is doing, so a shutdown that does not end says where.
        var activity: [String: String] = [:]
    }

    private let state = Mutex(State())

    var room: (any ClusterRoom)? { state.withLock { $0.room } }

    func attach(_ room: any ClusterRoom) { state.withLock { $0.room = room } }

    /// The command connection, if the node is connected now.
    var connection: PostgresConnection? { state.withLock { $0.connection } }

    /// The command connection and since when the node has had it.
    var connectionAndSince: (PostgresConnection, ContinuousClock.Instant)? {
        state.withLock { state in state.connection.map { ($0, state.connectedSince ?? .now) } }
    }

    /// A session is up: commands run on `connection` from now on.
    func connected(_ connection: PostgresConnection) {
        state.withLock {
            $0.connection = connection
            $0.connectedSince = .now
        }
    }

    /// Commands stop using `connection` (nil: whichever is current); a connection that is no
    /// longer the current one is left alone. The disconnected clock starts when one is let go.
    func release(_ connection: PostgresConnection? = nil) {
        state.withLock { state in
            guard let current = state.connection, connection == nil || current === connection else { return }
            state.connection = nil
            state.connectedSince = nil
            state.disconnectedSince = .now
        }
    }

    /// Releases `connection` and closes it: its session ends (its notifications stop) and a
    /// reconnect follows.
    func abandon(_ connection: PostgresConnection) {
        release(connection)
        connection.close().whenComplete { _ in }
    }

    /// The command connection; while there is none, waits for one until the node has been
    /// without for `grace` (a reconnect usually takes milliseconds), then gives up.
    func connection(within grace: Duration) async -> PostgresConnection? {
        while true {
            let (connection, since) = state.withLock { ($0.connection, $0.disconnectedSince) }
            if let connection { return connection }
            if ContinuousClock.now - since >= grace || Task.isCancelled { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    var commandsDone: Bool { state.withLock { $0.commandsDone } }
    func markCommandsDone() { state.withLock { $0.commandsDone = true } }

    func note(_ task: String, _ doing: String?) { state.withLock { $0.activity[task] = doing } }

    var activity: String {
        state.withLock { $0.activity.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") }
    }
}
