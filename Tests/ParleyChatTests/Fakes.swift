import ParleyChat
import ParleyProtocol
import Synchronization

/// Records what the handler posts, per recipient, in order.
final class RecordingConnections: Connections {
    private let inboxes = Mutex<[ConnectionID: [String]]>([:])
    private let fanOutCalls = Mutex(0)

    func post(_ payload: Payload, to id: ConnectionID) {
        inboxes.withLock { $0[id, default: []].append(payload.text) }
    }

    func post(_ payload: Payload, to ids: some Collection<ConnectionID>) {
        fanOutCalls.withLock { $0 += 1 }
        inboxes.withLock { inboxes in
            for id in ids { inboxes[id, default: []].append(payload.text) }
        }
    }

    func close(_ id: ConnectionID, code: CloseCode, reason: String) {}

    /// Everything `id` received since the last call.
    func take(_ id: ConnectionID) -> [String] {
        inboxes.withLock { $0.removeValue(forKey: id) ?? [] }
    }

    var fanOutCount: Int { fanOutCalls.withLock { $0 } }
}

/// A scheduler the test runs by hand on a virtual clock: presence windows close when the test
/// says so, and long waits (the periodic notice) stay pending.
final class ManualScheduler: Scheduler {
    private struct Item {
        let due: Duration
        let work: @Sendable () -> Void
    }
    private let state = Mutex<(now: Duration, pending: [Item])>((.zero, []))

    func schedule(after delay: Duration, _ work: @escaping @Sendable () -> Void) {
        state.withLock { $0.pending.append(Item(due: $0.now + delay, work: work)) }
    }

    /// Advances the virtual clock by `step`, running what falls due (and what that schedules
    /// within the step), earliest first.
    func runAll(advancingBy step: Duration = .seconds(1)) {
        let end = state.withLock { $0.now + step }
        while true {
            let next: Item? = state.withLock { state in
                guard let index = state.pending.indices.min(by: { state.pending[$0].due < state.pending[$1].due }),
                    state.pending[index].due <= end
                else { return nil }
                let item = state.pending.remove(at: index)
                state.now = max(state.now, item.due)
                return item
            }
            guard let next else { break }
            next.work()
        }
        state.withLock { $0.now = end }
    }
}

/// The handler with fakes around it, and helpers that speak the wire.
struct ChatFixture {
    let connections = RecordingConnections()
    let scheduler = ManualScheduler()
    let handler: ChatHandler
    private static let serial = Atomic<UInt64>(0)

    init(configure: (inout ChatConfiguration) -> Void = { _ in }) {
        var configuration = ChatConfiguration()
        configure(&configuration)
        handler = ChatHandler(
            connections: connections, scheduler: scheduler, configuration: configuration, clockMillis: { 1000 })
    }

    func connect(feed: String? = nil) -> ConnectionID {
        let id = ConnectionID(loopIndex: 0, serial: Self.serial.wrappingAdd(1, ordering: .relaxed).newValue)
        let query = feed.map { ["members": $0] } ?? [:]
        let decision = handler.connect(ConnectRequest(connectionID: id, path: "/", query: query, sourceIP: nil))
        precondition(decision == .accept)
        return id
    }

    func send(_ id: ConnectionID, _ text: String, overRate: Bool = false) {
        let selection = RouteSelection.select(Array(text.utf8), routeKeys: handler.routeKeys)
        handler.receive(MessageEvent(connectionID: id, selection: selection, overRate: overRate))
    }

    /// Connects and names a client, closes the presence window, and clears its inbox.
    func join(_ name: String, feed: String? = nil) -> ConnectionID {
        let id = connect(feed: feed)
        send(id, #"{"action":"setName","name":"\#(name)"}"#)
        scheduler.runAll()
        return id
    }

    func clear(_ ids: ConnectionID...) {
        for id in ids { _ = connections.take(id) }
    }
}
