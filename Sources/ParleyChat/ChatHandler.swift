import Foundation
import Logging
import ParleyProtocol
import Synchronization

/// The chat ("the Lambda"): answers `setName`, `sendPublic`, `sendPrivate`, `$connect`,
/// `$disconnect` and `$default` through `Connections`. It holds no sockets; its only state is the
/// store and the room's counters, behind one lock. Posting happens under the lock so that every
/// recipient sees public messages in `seq` order; `Connections.post` only enqueues.
///
/// Alone, it decides and applies each change at once. In a cluster (`bus` given) it checks a frame
/// against its replica of the room, submits the change to the bus, and applies what the bus
/// decided when it comes back (`ClusterRoom`), the same way on every node.
public final class ChatHandler: RouteHandler, ClusterRoom {
    public static let routes: Set<String> = ["setName", "sendPublic", "sendPrivate"]

    private struct State: Sendable {
        var store: any ConnectionStore
        var publicSeq: UInt64 = 0
        var batch = PresenceBatch()
        var flushScheduled = false
        var lastMembersOnline: ContinuousClock.Instant?
        var membersOnlinePending = false
        var membersOnlineScheduled = false
        /// Cluster only: connections whose name the cluster is deciding, with the frames they
        /// sent meanwhile. Those wait, so that a `sendPublic` right after `setName` is judged
        /// after the name, as it would be on a single node.
        var pendingClaims: [ConnectionID: [MessageEvent]] = [:]
    }

    private let state: Mutex<State>
    private let connections: any Connections
    private let scheduler: any Scheduler
    private let configuration: ChatConfiguration
    private let clockMillis: @Sendable () -> Int64
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
        self.state = Mutex(State(store: store))
        self.connections = connections
        self.scheduler = scheduler
        self.configuration = configuration
        self.clockMillis = clockMillis
        self.logger = logger
        self.bus = bus
        bus?.attach(self)
    }

    // MARK: $connect, $disconnect

    public func connect(_ request: ConnectRequest) -> ConnectDecision {
        guard let feed = PresenceFeed.parse(queryValue: request.query["members"]) else {
            return .refuse(status: 400, reason: "members must be one of full, delta, none")
        }
        state.withLock { $0.store.add(request.connectionID, feed: feed) }
        return .accept
    }

    public func disconnect(_ id: ConnectionID) {
        let leaving: Bool = state.withLock { state in
            let pending = state.pendingClaims.removeValue(forKey: id) != nil
            guard let bus, pending || state.store.member(id)?.name != nil else {
                guard let gone = state.store.remove(id), let name = gone.name else { return false }
                record(.left(name.display), by: id, in: &state)
                return false
            }
            // The room keeps the name until the cluster's leave comes back, on every node alike.
            state.store.detachLocal(id)
            bus.submit(.leave(id))
            return true
        }
        if leaving { logger.trace("leave submitted", metadata: ["id": "\(id)"]) }
    }

    /// The room's named members in join order, as this node sees them (for operators and tests).
    public var memberNames: [String] {
        state.withLock { $0.store.namedDisplayNames }
    }

    public func attributes(of id: ConnectionID) -> [String: String] {
        state.withLock { state in
            guard let name = state.store.member(id)?.name else { return [:] }
            return ["name": name.display]
        }
    }

    // MARK: routes

    public func receive(_ event: MessageEvent) {
        let id = event.connectionID
        let outcome: ProtocolError? = state.withLock { state in
            // Only a cluster has claims pending; a single node skips the lookup per frame.
            if bus != nil, state.pendingClaims[id] != nil {
                state.pendingClaims[id]!.append(event)
                return nil
            }
            switch event.selection {
            case .route("setName", let frame):
                return setName(frame, from: id, overRate: event.overRate, in: &state)
            case .route("sendPublic", let frame):
                return sendPublic(frame, from: id, overRate: event.overRate, in: &state)
            case .route("sendPrivate", let frame):
                return sendPrivate(frame, from: id, overRate: event.overRate, in: &state)
            case .route(let action, _):
                return ProtocolError(.unknownAction, "no route for action \"\(action)\"", action: action)
            case .invalidJSON, .unknownAction:
                return event.selection.defaultRouteError
            }
        }
        if let outcome {
            connections.postError(outcome, to: id)
        }
    }

    private func setName(_ frame: InboundFrame, from id: ConnectionID, overRate: Bool, in state: inout State)
        -> ProtocolError?
    {
        let name: ChatName
        switch frame.requiredString("name") {
        case .failure(let error): return error
        case .success(let raw):
            do { name = try ChatName(validating: raw) } catch { return error }
        }
        if let owner = state.store.member(namedKey: name.key), owner.id != id {
            return ProtocolError(.nameTaken, "\"\(name.display)\" is taken", action: "setName")
        }
        if overRate { return rateLimited("setName") }
        if let bus {
            // Unchanged needs nobody's agreement; anything else is the cluster's to decide.
            if state.store.member(id)?.name?.display != name.display {
                state.pendingClaims[id] = []
                bus.submit(.claim(id, name))
            }
            return nil
        }
        if applyName(name, to: id, in: &state) == .taken {
            return ProtocolError(.nameTaken, "\"\(name.display)\" is taken", action: "setName")
        }
        return nil
    }

    /// Gives the name and announces the join or rename; shared by both ways a name is decided.
    @discardableResult
    private func applyName(_ name: ChatName, to id: ConnectionID, in state: inout State) -> NameClaim {
        let claim = state.store.claim(name, for: id)
        switch claim {
        case .taken, .unchanged:
            break
        case .renamed(let previous):
            record(.renamed(from: previous, to: name.display), by: id, in: &state)
        case .joined:
            record(.joined(name.display), by: id, in: &state)
            if let member = state.store.member(id), member.isLocal, member.feed == .delta {
                // delta's one snapshot, which already holds its own join.
                connections.post(OutboundEvent.members(state.store.namedDisplayNames).encode(), to: id)
            }
        }
        return claim
    }

    private func sendPublic(_ frame: InboundFrame, from id: ConnectionID, overRate: Bool, in state: inout State)
        -> ProtocolError?
    {
        let text: String
        switch validMessage(frame, action: "sendPublic") {
        case .failure(let error): return error
        case .success(let valid): text = valid
        }
        guard let sender = state.store.member(id)?.name else { return notNamed("sendPublic") }
        if overRate { return rateLimited("sendPublic") }
        if let bus {
            bus.submit(.publicMessage(sender: id, from: sender, text: text, timestampMillis: clockMillis()))
            return nil
        }
        applyPublic(from: sender.display, text: text, seq: state.publicSeq + 1, timestampMillis: clockMillis(), in: &state)
        return nil
    }

    private func applyPublic(from: String, text: String, seq: UInt64, timestampMillis: Int64, in state: inout State) {
        state.publicSeq = seq
        let event = OutboundEvent.publicMessage(from: from, text: text, seq: seq, timestampMillis: timestampMillis)
        connections.post(event.encode(), to: state.store.namedIDs)
    }

    private func sendPrivate(_ frame: InboundFrame, from id: ConnectionID, overRate: Bool, in state: inout State)
        -> ProtocolError?
    {
        let text: String
        switch validMessage(frame, action: "sendPrivate") {
        case .failure(let error): return error
        case .success(let valid): text = valid
        }
        let to: String
        switch frame.requiredString("to") {
        case .failure(let error): return error
        case .success(let value): to = value
        }
        guard let sender = state.store.member(id)?.name else { return notNamed("sendPrivate") }
        guard let recipient = state.store.member(namedKey: ChatName.foldedKey(to)) else {
            return ProtocolError(.unknownRecipient, "nobody is called \"\(to)\"", action: "sendPrivate")
        }
        if overRate { return rateLimited("sendPrivate") }
        if let bus, !recipient.isLocal {
            bus.submit(
                .privateMessage(sender: id, to: recipient.id, from: sender, text: text, timestampMillis: clockMillis()))
            return nil
        }
        applyPrivate(to: recipient.id, from: sender.display, text: text, timestampMillis: clockMillis(), in: &state)
        return nil
    }

    private func applyPrivate(to id: ConnectionID, from: String, text: String, timestampMillis: Int64, in state: inout State) {
        guard state.store.member(id)?.isLocal == true else { return }
        let seq = state.store.nextPrivateSeq(for: id)
        let event = OutboundEvent.privateMessage(from: from, text: text, seq: seq, timestampMillis: timestampMillis)
        connections.post(event.encode(), to: id)
    }

    // MARK: ClusterRoom (what the bus decided)

    public func apply(_ event: RoomEvent) {
        let released: [MessageEvent] = state.withLock { state in
            switch event {
            case .named(let id, let name):
                if state.store.member(id) == nil { state.store.addRemote(id) }
                if applyName(name, to: id, in: &state) == .taken {
                    // The database's unique index makes this impossible unless the replica is stale.
                    logger.warning("replica disagrees with the cluster on a name", metadata: ["name": "\(name.display)"])
                }
                return state.pendingClaims.removeValue(forKey: id) ?? []
            case .left(let id):
                if let bus, let member = state.store.member(id), member.isLocal, let name = member.name {
                    // The cluster took this node for dead and reaped a member that is still
                    // here: it stays, and is registered again.
                    bus.submit(.claim(id, name))
                    return []
                }
                guard let gone = state.store.remove(id), let name = gone.name else { return [] }
                record(.left(name.display), by: id, in: &state)
            case .publicMessage(let from, let text, let seq, let timestampMillis):
                applyPublic(from: from, text: text, seq: seq, timestampMillis: timestampMillis, in: &state)
            case .privateMessage(let to, let from, let text, let timestampMillis):
                applyPrivate(to: to, from: from, text: text, timestampMillis: timestampMillis, in: &state)
            }
            return []
        }
        for event in released { receive(event) }
    }

    public func refuse(_ command: RoomCommand, because error: ProtocolError) {
        let id = command.requester
        connections.postError(error, to: id)
        guard case .claim = command else { return }
        let released = state.withLock { $0.pendingClaims.removeValue(forKey: id) ?? [] }
        for event in released { receive(event) }
    }

    public func resynchronize(named: [(id: ConnectionID, name: ChatName)]) {
        state.withLock { state in
            state.store.replaceRoom(with: named)
            // Whatever changed while this node was cut off, its full clients get the room as it is.
            guard state.store.namedCount <= configuration.presenceLimit else { return }
            let members = OutboundEvent.members(state.store.namedDisplayNames).encode()
            connections.post(members, to: state.store.namedIDs(feed: .full))
        }
    }

    public func localNamedMembers() -> [(id: ConnectionID, name: ChatName)] {
        state.withLock { state in
            state.store.namedIDs.compactMap { id in state.store.member(id)?.name.map { (id, $0) } }
        }
    }

    public func applyLocally(_ command: RoomCommand) {
        state.withLock { state in
            guard case .publicMessage(_, let from, let text, let timestampMillis) = command else { return }
            applyPublic(from: from.display, text: text, seq: state.publicSeq + 1, timestampMillis: timestampMillis, in: &state)
        }
    }

    private func validMessage(_ frame: InboundFrame, action: String) -> Result<String, ProtocolError> {
        frame.requiredString("message").flatMap { text in
            let length = text.unicodeScalars.count
            if length == 0 {
                return .failure(ProtocolError(.invalidField, "\"message\" is empty", action: action))
            }
            if length > configuration.maximumMessageScalars {
                return .failure(
                    ProtocolError(
                        .messageTooLong,
                        "the message has \(length) characters; at most \(configuration.maximumMessageScalars) are allowed",
                        action: action))
            }
            return .success(text)
        }
    }

    private func notNamed(_ action: String) -> ProtocolError {
        ProtocolError(.notNamed, "set a name with setName before sending", action: action)
    }

    private func rateLimited(_ action: String) -> ProtocolError {
        ProtocolError(.rateLimited, "too many messages; slow down", action: action)
    }

    // MARK: presence

    private func record(_ change: PresenceChange, by id: ConnectionID, in state: inout State) {
        state.batch.record(change, by: id)
        guard !state.flushScheduled else { return }
        state.flushScheduled = true
        scheduler.schedule(after: configuration.presenceWindow) { [self] in
            self.state.withLock { self.flushPresence(in: &$0) }
        }
    }

    /// Sends one window's changes: deltas to `delta` clients; to `full` clients either the
    /// tutorial's texts and one `members` list, or, above the presence limit, a periodic count.
    private func flushPresence(in state: inout State) {
        state.flushScheduled = false
        let batch = state.batch
        state.batch = PresenceBatch()
        guard !batch.isEmpty else { return }

        let deltaEvents = batch.changes.map { $0.deltaEvent.encode() }
        for (first, ids) in groupByFirstChange(state.store.namedIDs(feed: .delta), batch, skippingOwnJoin: true) {
            for index in first..<deltaEvents.count { connections.post(deltaEvents[index], to: ids) }
        }

        let fullIDs = state.store.namedIDs(feed: .full)
        guard !fullIDs.isEmpty else { return }
        if state.store.namedCount > configuration.presenceLimit {
            state.membersOnlinePending = true
            sendMembersOnlineIfDue(in: &state)
            return
        }
        let members = OutboundEvent.members(state.store.namedDisplayNames).encode()
        let texts = batch.changes.map { OutboundEvent.systemMessage($0.systemText).encode() }
        let leaveTexts = batch.changes.indices.map { batch.changes[$0].isLeave ? texts[$0] : nil }
        let otherTexts = batch.changes.indices.map { batch.changes[$0].isLeave ? nil : texts[$0] }
        for (first, ids) in groupByFirstChange(fullIDs, batch, skippingOwnJoin: false) {
            let sequence = batch.fullFeedSequence(
                from: first, leaveTexts: leaveTexts, otherTexts: otherTexts, members: members)
            for payload in sequence { connections.post(payload, to: ids) }
        }
    }

    /// Recipients grouped by the first change they hear of; nearly everyone is in group 0.
    private func groupByFirstChange(_ ids: [ConnectionID], _ batch: PresenceBatch, skippingOwnJoin: Bool)
        -> [(Int, [ConnectionID])]
    {
        var groups: [Int: [ConnectionID]] = [:]
        for id in ids {
            var first = batch.firstChangeHeard(by: id)
            if skippingOwnJoin && batch.joinedInWindow(id) { first += 1 }
            groups[first, default: []].append(id)
        }
        return groups.sorted { $0.key < $1.key }
    }

    private func sendMembersOnlineIfDue(in state: inout State) {
        guard state.membersOnlinePending else { return }
        let now = ContinuousClock.now
        if let last = state.lastMembersOnline, now - last < configuration.membersOnlineInterval {
            guard !state.membersOnlineScheduled else { return }
            state.membersOnlineScheduled = true
            scheduler.schedule(after: configuration.membersOnlineInterval - (now - last)) { [self] in
                self.state.withLock { state in
                    state.membersOnlineScheduled = false
                    self.sendMembersOnlineIfDue(in: &state)
                }
            }
            return
        }
        state.membersOnlinePending = false
        state.lastMembersOnline = now
        let count = state.store.namedCount
        guard count > configuration.presenceLimit else { return }
        let notice = OutboundEvent.systemMessage(SystemText.membersOnline(count)).encode()
        connections.post(notice, to: state.store.namedIDs(feed: .full))
    }
}
