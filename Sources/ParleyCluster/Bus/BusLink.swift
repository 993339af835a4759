import ParleyChat
import ParleyProtocol
import PostgresNIO
import Synchronization

/// What the session's listen loop is handed, in one order: notifications as they arrive, and
/// the command runner's requests to start or stop watching a named room (LISTEN, then the
/// room's members read on the same connection, so no notification is applied before it).
enum ListenItem: Sendable {
    case notification(String)
    case watch(RoomName)
    case unwatch(RoomName)
}

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
        /// The current session's listen loop, while there is one.
        var listenSink: AsyncStream<ListenItem>.Continuation?
        /// Named rooms this node has members in (or is joining): watched in every session.
        var wanted: Set<RoomName> = []
        /// Named rooms the current session LISTENs to and has read the members of.
        var watched: Set<RoomName> = []
        /// Notifications of named rooms received (what interest routing keeps off other nodes).
        var roomEvents = 0
        /// Told of each, and of the watched rooms' count (`/metrics`).
        var observer: BusObserver?
        /// Public messages waiting in the command runner's outbox.
        var outboxCount = 0
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

    // MARK: watching named rooms

    /// A session's listen loop starts: it takes watch requests from now on.
    func listening(_ sink: AsyncStream<ListenItem>.Continuation) {
        state.withLock {
            $0.listenSink = sink
            $0.watched = []
        }
    }

    /// The session ended: nothing is watched until the next one watches again.
    func stoppedListening() {
        state.withLock {
            $0.listenSink = nil
            $0.watched = []
        }
    }

    /// Asks for `room` to be watched (a member here is joining it); false when it already is.
    func want(_ room: RoomName) -> Bool {
        state.withLock { state in
            state.wanted.insert(room)
            guard !state.watched.contains(room) else { return false }
            state.listenSink?.yield(.watch(room))
            return true
        }
    }

    /// No member here is in `room` any more.
    func unwant(_ room: RoomName) {
        state.withLock { state in
            state.wanted.remove(room)
            state.listenSink?.yield(.unwatch(room))
        }
    }

    func isWanted(_ room: RoomName) -> Bool { state.withLock { $0.wanted.contains(room) } }
    func isWatched(_ room: RoomName) -> Bool { state.withLock { $0.watched.contains(room) } }
    var wantedRooms: Set<RoomName> { state.withLock { $0.wanted } }
    func markWatched(_ room: RoomName, _ watched: Bool) {
        let (observer, count) = state.withLock { state in
            if watched { state.watched.insert(room) } else { state.watched.remove(room) }
            return (state.observer, state.watched.count)
        }
        observer?.watchedRooms(count)
    }

    func countRoomEvent() {
        let observer = state.withLock { state in
            state.roomEvents += 1
            return state.observer
        }
        observer?.roomEvent()
    }

    func observe(_ observer: BusObserver) { state.withLock { $0.observer = observer } }
    var roomEvents: Int { state.withLock { $0.roomEvents } }

    /// How many public messages wait in the outbox (the runner says after each step).
    func noteOutbox(_ count: Int) {
        let observer = state.withLock { state -> BusObserver? in
            guard state.outboxCount != count else { return nil }
            state.outboxCount = count
            return state.observer
        }
        observer?.outbox(count)
    }
    var outboxCount: Int { state.withLock { $0.outboxCount } }

    var commandsDone: Bool { state.withLock { $0.commandsDone } }
    func markCommandsDone() { state.withLock { $0.commandsDone = true } }

    func note(_ task: String, _ doing: String?) { state.withLock { $0.activity[task] = doing } }

    var activity: String {
        state.withLock { $0.activity.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") }
    }
}

/// What a node's metrics hear from its bus (the bus depends on no metrics library).
public struct BusObserver: Sendable {
    public let roomEvent: @Sendable () -> Void
    public let watchedRooms: @Sendable (Int) -> Void
    /// The public messages waiting for the database now, when it changes.
    public let outbox: @Sendable (Int) -> Void

    public init(
        roomEvent: @escaping @Sendable () -> Void, watchedRooms: @escaping @Sendable (Int) -> Void,
        outbox: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.roomEvent = roomEvent
        self.watchedRooms = watchedRooms
        self.outbox = outbox
    }
}
