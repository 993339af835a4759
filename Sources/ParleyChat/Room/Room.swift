import ParleyProtocol

/// The chat room as a value (SwiftNIO's state-machine style): its members, `seq`, presence and
/// the frames parked behind a name claim. Every change goes decide → apply: a frame is checked
/// against the room and becomes a `RoomCommand`; the command is decided — by the in-process
/// decider on a single node, by the cluster's database otherwise — into a `RoomEvent`; applying
/// the event changes the room. Nothing here performs anything: each call returns `RoomEffect`s.
///
/// Over 250 lines on purpose: one state machine whose decide and apply halves share its private
/// state (the members, the parked frames, the resume bookkeeping); split into files, those would
/// have to be visible to the whole module. Its rules live beside it (`RouteChecks`,
/// `RoomPresence`, `RoomHistory`).
public struct Room: Sendable {
    private(set) var store: any ConnectionStore
    /// The last public `seq` applied.
    private(set) var publicSeq: UInt64 = 0
    private var presence = RoomPresence()
    /// Connections whose name is being decided, with the frames they sent meanwhile: those wait,
    /// so that a `sendPublic` right after `setName` is judged after the name.
    private var parked: [ConnectionID: [MessageEvent]] = [:]
    /// Recent public messages for resumes; nil on a cluster node, whose history is the database's
    /// (read with a `.resume` command).
    private(set) var history: RoomHistory?
    /// What each connection asked to resume (`?since=&epoch=`), answered after its first name.
    private var resumes: [ConnectionID: Result<ResumeRequest, ProtocolError>] = [:]
    /// Cluster members whose history is being read, with what they asked and the live public
    /// messages held back for them meanwhile: posted after the replay, so none comes before it.
    private var catchingUp: [ConnectionID: CatchingUp] = [:]

    /// Members whose replay reached past the last `seq` this node has applied (the history read
    /// ran ahead of the notifications): live messages up to that `seq` were in the replay and are
    /// not posted to them again.
    private var replayedAhead: [ConnectionID: UInt64] = [:]

    private struct CatchingUp: Sendable {
        let request: ResumeRequest
        var held: [(seq: UInt64, payload: Payload)] = []
    }
    /// True when a cluster bus decides commands; false when this room decides them itself.
    private let decidedElsewhere: Bool
    private let configuration: ChatConfiguration
    private let clockMillis: @Sendable () -> Int64

    public init(
        store: any ConnectionStore, configuration: ChatConfiguration, decidedByCluster: Bool,
        clockMillis: @escaping @Sendable () -> Int64
    ) {
        self.store = store
        self.configuration = configuration
        self.decidedElsewhere = decidedByCluster
        self.clockMillis = clockMillis
        if !decidedByCluster {
            history = RoomHistory(epoch: RoomHistory.drawEpoch(), capacity: configuration.historySize, ttl: configuration.historyTTL)
        }
    }

    // MARK: connections

    mutating func connect(_ id: ConnectionID, feed: PresenceFeed, resume: Result<ResumeRequest, ProtocolError>? = nil) {
        store.add(id, feed: feed)
        if let resume { resumes[id] = resume }
    }

    mutating func disconnect(_ id: ConnectionID) -> [RoomEffect] {
        resumes.removeValue(forKey: id)
        catchingUp.removeValue(forKey: id)
        replayedAhead.removeValue(forKey: id)
        let wasClaiming = parked.removeValue(forKey: id) != nil
        guard wasClaiming || store.member(id)?.name != nil else {
            _ = store.remove(id)
            return []
        }
        // The room keeps the name until the leave is decided, on every node alike.
        store.detachLocal(id)
        return submit(.leave(id))
    }

    // MARK: routes (decide)

    mutating func receive(_ event: MessageEvent) -> [RoomEffect] {
        let id = event.connectionID
        if !parked.isEmpty, parked[id] != nil {
            parked[id]!.append(event)
            return []
        }
        do throws(ProtocolError) {
            switch event.selection {
            case .route(ActionName.setName, let frame): return try setName(frame, from: id, overRate: event.overRate)
            case .route(ActionName.sendPublic, let frame): return try sendPublic(frame, from: id, overRate: event.overRate)
            case .route(ActionName.sendPrivate, let frame): return try sendPrivate(frame, from: id, overRate: event.overRate)
            case .route(let action, _):
                throw ProtocolError(.unknownAction, "no route for action \"\(action)\"", action: action)
            case .invalidJSON, .unknownAction:
                guard let error = event.selection.defaultRouteError else { return [] }
                throw error
            }
        } catch {
            // One frame, at most one error: the first check that failed.
            return [.error(error, to: id)]
        }
    }

    private mutating func setName(
        _ frame: InboundFrame, from id: ConnectionID, overRate: Bool
    ) throws(ProtocolError)
        -> [RoomEffect]
    {
        let name = try RouteChecks.name(frame).get()
        if let owner = store.member(namedKey: name.key), owner.id != id { throw RouteChecks.nameTaken(name) }
        if overRate { throw RouteChecks.rateLimited(ActionName.setName) }
        // Unchanged needs nobody's agreement.
        if store.member(id)?.name?.display == name.display { return [] }
        parked[id] = []
        return submit(.claim(id, name))
    }

    private mutating func sendPublic(
        _ frame: InboundFrame, from id: ConnectionID, overRate: Bool
    ) throws(ProtocolError)
        -> [RoomEffect]
    {
        let text = try message(frame, action: ActionName.sendPublic)
        guard let sender = store.member(id)?.name else { throw RouteChecks.notNamed(ActionName.sendPublic) }
        if overRate { throw RouteChecks.rateLimited(ActionName.sendPublic) }
        return submit(.publicMessage(sender: id, from: sender, text: text, timestampMillis: clockMillis()))
    }

    private mutating func sendPrivate(
        _ frame: InboundFrame, from id: ConnectionID, overRate: Bool
    ) throws(ProtocolError)
        -> [RoomEffect]
    {
        let text = try message(frame, action: ActionName.sendPrivate)
        let to = try frame.requiredString(ActionName.Field.to).get()
        guard let sender = store.member(id)?.name else { throw RouteChecks.notNamed(ActionName.sendPrivate) }
        guard let recipient = store.member(namedKey: ChatName.foldedKey(to)) else { throw RouteChecks.unknownRecipient(to) }
        if overRate { throw RouteChecks.rateLimited(ActionName.sendPrivate) }
        let now = clockMillis()
        // A recipient on this node needs nobody's agreement: only another node's goes through the bus.
        if recipient.isLocal {
            return apply(.privateMessage(to: recipient.id, from: sender.display, text: text, timestampMillis: now))
        }
        return submit(.privateMessage(sender: id, to: recipient.id, from: sender, text: text, timestampMillis: now))
    }

    private func message(_ frame: InboundFrame, action: String) throws(ProtocolError) -> String {
        try RouteChecks.message(frame, action: action, maximumScalars: configuration.maximumMessageScalars).get()
    }

    /// Hands a command to whoever decides: the bus (an effect), or this process at once.
    private mutating func submit(_ command: RoomCommand) -> [RoomEffect] {
        if decidedElsewhere { return [.submit(command)] }
        switch InProcessDecider.decide(command, in: store, lastSeq: publicSeq) {
        case .event(let event): return apply(event)
        case .refused(let error): return refuse(command, because: error)
        }
    }

    // MARK: decisions (apply)

    /// One decided event, the same way on every node.
    public mutating func apply(_ event: RoomEvent) -> [RoomEffect] {
        switch event {
        case .named(let id, let name):
            if store.member(id) == nil { store.addRemote(id) }
            var effects = applyName(name, to: id)
            for parkedEvent in parked.removeValue(forKey: id) ?? [] { effects += receive(parkedEvent) }
            return effects
        case .left(let id):
            if let member = store.member(id), member.isLocal, let name = member.name {
                // The cluster took this node for dead and reaped a member that is still here:
                // it stays, and is registered again.
                return submit(.claim(id, name))
            }
            guard let gone = store.remove(id), let name = gone.name else { return [] }
            return presence.record(.left(name.display), by: id, window: configuration.presenceWindow)
        case .publicMessage(let from, let text, let seq, let timestampMillis):
            publicSeq = seq
            let payload = OutboundEvent.publicMessage(from: from, text: text, seq: seq, timestampMillis: timestampMillis).encode()
            // Aged by the message's own time: no second clock read per broadcast.
            history?.record(seq: seq, payload: payload, atMillis: timestampMillis)
            if catchingUp.isEmpty && replayedAhead.isEmpty { return [.broadcast(payload, to: store.namedIDs)] }
            // Rare (around a cluster resume): only then does a broadcast pay for a filter.
            for id in catchingUp.keys { catchingUp[id]!.held.append((seq, payload)) }
            let recipients = store.namedIDs.filter { catchingUp[$0] == nil && (replayedAhead[$0] ?? 0) < seq }
            // Notifications come in seq order: past a member's replay, nothing more is skipped.
            if !replayedAhead.isEmpty { replayedAhead = replayedAhead.filter { $0.value > seq } }
            return [.postToEach(payload, to: recipients)]
        case .privateMessage(let to, let from, let text, let timestampMillis):
            guard store.member(to)?.isLocal == true else { return [] }
            let seq = store.nextPrivateSeq(for: to)
            let message = OutboundEvent.privateMessage(from: from, text: text, seq: seq, timestampMillis: timestampMillis)
            return [.post(message.encode(), to: to)]
        }
    }

    /// Gives the name and announces the join or rename.
    private mutating func applyName(_ name: ChatName, to id: ConnectionID) -> [RoomEffect] {
        switch store.claim(name, for: id) {
        case .taken:
            // The decider checked the name; only a stale replica can disagree.
            return [.warning("replica disagrees with the cluster on the name \"\(name.display)\"")]
        case .unchanged:
            return []
        case .renamed(let previous):
            return presence.record(.renamed(from: previous, to: name.display), by: id, window: configuration.presenceWindow)
        case .joined:
            var effects = presence.record(.joined(name.display), by: id, window: configuration.presenceWindow)
            if let member = store.member(id), member.isLocal, member.feed == .delta {
                // delta's one snapshot, which already holds its own join.
                effects.append(.post(OutboundEvent.members(store.namedDisplayNames).encode(), to: id))
            }
            if let resume = resumes.removeValue(forKey: id) { effects += self.resume(id, resume) }
            return effects
        }
    }

    /// The messages a member missed, then the marker. On a single node, in the same turn as its
    /// join, so no live message can come between them (the room decides and applies at once); on
    /// a cluster node the history is the database's: read with a `.resume` command while the
    /// live messages wait for this member (`finishResume`).
    private mutating func resume(_ id: ConnectionID, _ asked: Result<ResumeRequest, ProtocolError>) -> [RoomEffect] {
        let request: ResumeRequest
        switch asked {
        case .failure(let error): return [.error(error, to: id)]
        case .success(let valid): request = valid
        }
        guard let history else {
            catchingUp[id] = CatchingUp(request: request)
            return submit(.resume(id, request))
        }
        return answer(request, to: id, from: history).effects
    }

    /// What the cluster's history held for a member catching up (nil: it could not be read), then
    /// the live messages held back meanwhile that the replay did not cover.
    public mutating func finishResume(_ id: ConnectionID, with snapshot: HistorySnapshot?) -> [RoomEffect] {
        guard let waiting = catchingUp.removeValue(forKey: id), store.member(id)?.isLocal == true else { return [] }
        var effects: [RoomEffect]
        var replayedThrough: UInt64 = 0
        if let snapshot {
            let history = RoomHistory(snapshot, capacity: configuration.historySize, ttl: configuration.historyTTL)
            (effects, replayedThrough) = answer(waiting.request, to: id, from: history)
        } else {
            effects = [.post(OutboundEvent.resumeFailed(reason: "unavailable", oldest: publicSeq + 1, epoch: "").encode(), to: id)]
        }
        for message in waiting.held where message.seq > replayedThrough { effects.append(.post(message.payload, to: id)) }
        if replayedThrough > publicSeq { replayedAhead[id] = replayedThrough }
        return effects
    }

    /// The replay and its marker from `history`, and the last `seq` the client holds after it (0
    /// when it failed, or for `since=latest`, which replays nothing: every live message after the
    /// join is still owed).
    private func answer(
        _ request: ResumeRequest, to id: ConnectionID, from history: RoomHistory
    )
        -> (effects: [RoomEffect], through: UInt64)
    {
        switch history.replay(since: request.since, epoch: request.epoch, nowMillis: clockMillis()) {
        case .messages(let payloads, let from, let to):
            let marker = OutboundEvent.resumed(from: from, to: to, epoch: history.epoch).encode()
            return (payloads.map { RoomEffect.post($0, to: id) } + [.post(marker, to: id)], request.since == nil ? 0 : to)
        case .failed(let reason, let oldest):
            return ([.post(OutboundEvent.resumeFailed(reason: reason, oldest: oldest, epoch: history.epoch).encode(), to: id)], 0)
        case .ahead(let last):
            return ([.error(ResumeRequest.ahead(request.since ?? 0, last: last), to: id)], 0)
        }
    }

    /// A command the decider refused: the error to its requester, and a refused claim releases
    /// the frames parked behind it.
    public mutating func refuse(_ command: RoomCommand, because error: ProtocolError) -> [RoomEffect] {
        let id = command.requester
        if case .resume = command { return finishResume(id, with: nil) }
        var effects: [RoomEffect] = [.error(error, to: id)]
        guard case .claim = command else { return effects }
        for parkedEvent in parked.removeValue(forKey: id) ?? [] { effects += receive(parkedEvent) }
        return effects
    }

    /// The whole room as the cluster holds it, after (re)connecting; `full` clients get it.
    public mutating func resynchronize(named: [(id: ConnectionID, name: ChatName)]) -> [RoomEffect] {
        store.replaceRoom(with: named)
        guard store.namedCount <= configuration.presenceLimit else { return [] }
        return [.postToEach(OutboundEvent.members(store.namedDisplayNames).encode(), to: store.namedIDs(feed: .full))]
    }

    /// This node's named members, to register again after the database came back.
    var localNamedMembers: [(id: ConnectionID, name: ChatName)] {
        store.namedIDs.compactMap { id in store.member(id)?.name.map { (id, $0) } }
    }

    /// The database is unreachable: a public message reaches this node's members only, without
    /// a `seq` — the cluster's counter cannot advance meanwhile, so a number given here would be
    /// given again to another message once it is back (a client saw 21, 22, 23, 23).
    public mutating func applyLocally(_ command: RoomCommand) -> [RoomEffect] {
        guard case .publicMessage(_, let from, let text, let timestampMillis) = command else { return [] }
        let message = OutboundEvent.localPublicMessage(from: from.display, text: text, timestampMillis: timestampMillis)
        return [.broadcast(message.encode(), to: store.namedIDs)]
    }

    // MARK: time

    mutating func fire(_ timer: RoomTimer, now: ContinuousClock.Instant) -> [RoomEffect] {
        switch timer {
        case .flushPresence: presence.flush(store, configuration, now: now)
        case .membersOnline: presence.membersOnlineTimerFired(store, configuration, now: now)
        }
    }
}
