import Foundation
import Logging
import ParleyProtocol
import Synchronization

/// The chat ("the Lambda"): answers `setName`, `sendPublic`, `sendPrivate`, `$connect`,
/// `$disconnect` and `$default`. The rules live in `Room`, a value behind one lock; this class
/// only feeds it and performs the effects it returns, after the lock is released.
///
/// Order: effects join one queue under the lock and a single drainer performs them in that
/// order, so every recipient still sees public messages in `seq` order although nothing is
/// posted while the lock is held.
public final class ChatHandler: RouteHandler, ClusterRoom {
    public static let routes = ActionName.chatRoutes

    private struct State: Sendable {
        var room: Room
        var outbox: [RoomEffect] = []
        var draining = false
    }

    private let state: Mutex<State>
    private let connections: any Connections
    private let scheduler: any Scheduler
    private let logger: Logger
    private let bus: (any ClusterBus)?

    public var routeKeys: Set<String> { Self.routes }

    public init(
        connections: any Connections,
        scheduler: any Scheduler,
        store: any ConnectionStore = MemoryConnectionStore(),
        configuration: ChatConfiguration = ChatConfiguration(),
        clockMillis: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
        logger: Logger = Logger(label: "parley.chat"),
        bus: (any ClusterBus)? = nil
    ) {
        let room = Room(store: store, configuration: configuration, decidedByCluster: bus != nil, clockMillis: clockMillis)
        self.state = Mutex(State(room: room))
        self.connections = connections
        self.scheduler = scheduler
        self.logger = logger
        self.bus = bus
        bus?.attach(self)
    }

    // MARK: RouteHandler

    public func connect(_ request: ConnectRequest) -> ConnectDecision {
        guard let feed = PresenceFeed.parse(queryValue: request.query["members"]) else {
            return .refuse(status: 400, reason: "members must be one of full, delta, none")
        }
        let resume = ResumeRequest.parse(since: request.query["since"], epoch: request.query["epoch"])
        state.withLock { $0.room.connect(request.connectionID, feed: feed, resume: resume) }
        return .accept
    }

    public func receive(_ event: MessageEvent) { change { $0.receive(event) } }

    public func disconnect(_ id: ConnectionID) { change { $0.disconnect(id) } }

    public func attributes(of id: ConnectionID) -> [String: String] {
        state.withLock { $0.room.store.member(id)?.name.map { ["name": $0.display] } ?? [:] }
    }

    /// The room's named members in join order, as this node sees them (for operators and tests).
    public var memberNames: [String] { state.withLock { $0.room.store.namedDisplayNames } }

    // MARK: ClusterRoom (what the bus decided)

    public func apply(_ event: RoomEvent) { change { $0.apply(event) } }

    public func refuse(_ command: RoomCommand, because error: ProtocolError) {
        change { $0.refuse(command, because: error) }
    }

    public func resynchronize(named: [(id: ConnectionID, name: ChatName)]) {
        change { $0.resynchronize(named: named) }
    }

    public func localNamedMembers() -> [(id: ConnectionID, name: ChatName)] {
        state.withLock { $0.room.localNamedMembers }
    }

    public func applyLocally(_ command: RoomCommand) { change { $0.applyLocally(command) } }

    public func finishResume(_ id: ConnectionID, with history: HistorySnapshot?) {
        change { $0.finishResume(id, with: history) }
    }

    // MARK: the effect runner

    /// Changes the room under the lock; whoever finds nobody draining performs the queue.
    private func change(_ body: (inout Room) -> [RoomEffect]) {
        var batch: [RoomEffect]? = state.withLock { state in
            let effects = body(&state.room)
            if state.draining {
                state.outbox += effects
                return nil
            }
            state.draining = true
            return effects
        }
        while let effects = batch {
            for effect in effects { perform(effect) }
            batch = state.withLock { state in
                guard !state.outbox.isEmpty else {
                    state.draining = false
                    return nil
                }
                defer { state.outbox = [] }
                return state.outbox
            }
        }
    }

    private func perform(_ effect: RoomEffect) {
        switch effect {
        case .post(let payload, let id): connections.post(payload, to: id)
        case .broadcast(let payload, let ids): connections.post(payload, to: ids)
        case .postToEach(let payload, let ids): connections.post(payload, to: ids)
        case .error(let error, let id): connections.postError(error, to: id)
        case .submit(let command): bus?.submit(command)
        case .schedule(let delay, let timer):
            scheduler.schedule(after: delay) { [self] in change { $0.fire(timer, now: .now) } }
        case .warning(let message): logger.warning("\(message)")
        }
    }
}
