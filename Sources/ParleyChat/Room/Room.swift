import ParleyProtocol

/// One chat room as a value (SwiftNIO's state-machine style): its members, `seq`, presence,
/// history and resume bookkeeping. It sees no frames: the node's `Directory` checks names and
/// rooms and hands it decided changes (a member joined, renamed, left; a message was numbered).
/// A public message goes decide → apply: `publish` numbers it at once on a single node, or asks
/// the cluster's database (a `.submit` effect) whose decision comes back through `apply`.
/// Nothing here performs anything: each call returns `RoomEffect`s, performed by the room's
/// `Serialized` cell after its lock is released.
///
/// Over 250 lines on purpose: one state machine whose halves share its private state (the
/// members, the resume bookkeeping); its rules live beside it (`RoomPresence`, `RoomHistory`).
public struct Room: Sendable {
    /// nil: the node's default room, whose events carry no `room` key (the tutorial's wire).
    public let name: RoomName?
    private(set) var store: MemoryConnectionStore
    /// The last public `seq` applied.
    private(set) var publicSeq: UInt64 = 0
    /// A cluster node's room: the history (epoch) its `publicSeq` counts in, once it has learnt
    /// where the room stands (its first catch-up); nil until then.
    private var clusterEpoch: String?
    private var presence = RoomPresence()
    /// Recent public messages for resumes; nil on a cluster node, whose history is the database's
    /// (read with a `.resume` command).
    private(set) var history: RoomHistory?
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
    /// True when a cluster bus numbers public messages; false when this room numbers them.
    private let decidedElsewhere: Bool
    private let configuration: ChatConfiguration
    private let clockMillis: @Sendable () -> Int64

    public init(
        name: RoomName? = nil, configuration: ChatConfiguration, decidedByCluster: Bool,
        clockMillis: @escaping @Sendable () -> Int64
    ) {
        self.name = name
        self.store = MemoryConnectionStore()
        self.configuration = configuration
        self.decidedElsewhere = decidedByCluster
        self.clockMillis = clockMillis
        if !decidedByCluster {
            history = RoomHistory(epoch: RoomHistory.drawEpoch(), capacity: configuration.historySize, ttl: configuration.historyTTL)
        }
    }

    // MARK: what others ask of it

    public var memberCount: Int { store.namedCount }
    public var isEmpty: Bool { store.namedCount == 0 && catchingUp.isEmpty }
    /// A member on this node whose socket is here (a detached one cannot publish any more).
    public func isMember(_ id: ConnectionID) -> Bool {
        guard let member = store.member(id) else { return false }
        return member.isLocal && member.name != nil
    }
    /// Whether any member of the room is on this node (a cluster node watches only such rooms).
    var hasLocalMembers: Bool { !store.namedIDs.isEmpty || !catchingUp.isEmpty }
    public var memberNames: [String] { store.namedDisplayNames }
    /// nil: `id` is not a member whose socket is here; else whether its identity's claims let
    /// it publish here (one lookup for both, on the hot path).
    func publishRight(_ id: ConnectionID) -> Bool? {
        guard let member = store.member(id), member.isLocal, member.name != nil else { return nil }
        return member.mayPublish
    }

    /// A refreshed token's claims, for a member already here.
    mutating func regrant(_ id: ConnectionID, _ grant: MemberGrant) {
        guard store.member(id) != nil else { return }
        store.grant(id, user: grant.user, mayPublish: grant.mayPublish)
    }
    /// Whether a message is kept that a member could still resume from (an empty room keeps
    /// its history until the TTL).
    func holdsHistory(nowMillis: Int64) -> Bool {
        guard let history, let newest = history.entries.last else { return false }
        return nowMillis - newest.atMillis <= history.ttlMillis
    }

    // MARK: membership (decided by the directory)

    /// `id` is in the room under `name`: a local member when `feed` is given (posts reach it),
    /// another node's otherwise. A local member may ask to resume.
    mutating func join(
        _ id: ConnectionID, name: ChatName, feed: PresenceFeed?, resume: Result<ResumeRequest, ProtocolError>? = nil,
        grant: MemberGrant = .anonymous
    ) -> [RoomEffect] {
        if store.member(id) == nil {
            if let feed { store.add(id, feed: feed) } else { store.addRemote(id) }
            store.grant(id, user: grant.user, mayPublish: grant.mayPublish)
        }
        switch store.claim(name, for: id, user: grant.user) {
        case .tab:
            // The user is in the room already: this socket hears it from now on, and sees who
            // is here, but nobody is told of a new member.
            var effects: [RoomEffect] = []
            if let member = store.member(id), member.isLocal, member.feed != .none {
                effects.append(.post(OutboundEvent.members(store.namedDisplayNames).encode(room: self.name), to: id))
            }
            if let resume { effects += self.resume(id, resume) }
            return effects
        case .taken:
            // The directory checked the name; only a stale replica can disagree.
            return [.warning("room \(name.display) replica disagrees on the name \"\(name.display)\"")]
        case .unchanged:
            return []
        case .renamed(let previous):
            return presence.record(.renamed(from: previous, to: name.display), by: id, window: configuration.presenceWindow)
        case .joined:
            var effects = presence.record(.joined(name.display), by: id, window: configuration.presenceWindow)
            if let member = store.member(id), member.isLocal, member.feed == .delta {
                // delta's one snapshot, which already holds its own join.
                effects.append(.post(OutboundEvent.members(store.namedDisplayNames).encode(room: self.name), to: id))
            }
            if let resume { effects += self.resume(id, resume) }
            return effects
        }
    }

    /// `id` keeps its place under a new name.
    mutating func rename(_ id: ConnectionID, to name: ChatName) -> [RoomEffect] {
        guard store.member(id)?.name != nil else { return [] }
        return join(id, name: name, feed: nil)
    }

    /// `id` left the room (or the chat).
    mutating func leave(_ id: ConnectionID) -> [RoomEffect] {
        catchingUp.removeValue(forKey: id)
        replayedAhead.removeValue(forKey: id)
        // One of a user's sockets going while another stays is no leave.
        let announced = store.leavesAsMember(id)
        guard let gone = store.remove(id), let name = gone.name, announced else { return [] }
        return presence.record(.left(name.display), by: id, window: configuration.presenceWindow)
    }

    /// A local member whose socket is gone while its leave is being decided by the cluster:
    /// nothing more is posted to it, but it keeps its place until the leave is applied.
    mutating func detach(_ id: ConnectionID) {
        catchingUp.removeValue(forKey: id)
        replayedAhead.removeValue(forKey: id)
        store.detachLocal(id)
    }

    // MARK: public messages

    /// A member's message: numbered here on a single node, submitted to the cluster otherwise.
    /// nil when `id` is not a member (the caller answers why).
    mutating func publish(from id: ConnectionID, text: String, timestampMillis: Int64) -> [RoomEffect]? {
        guard isMember(id), let sender = store.member(id)?.name else { return nil }
        if decidedElsewhere {
            guard let name else { return [.submit(.publicMessage(sender: id, from: sender, text: text, timestampMillis: timestampMillis))] }
            return [.submit(.roomMessage(name, sender: id, from: sender, text: text, timestampMillis: timestampMillis))]
        }
        let seq = publicSeq + 1
        guard let name else { return apply(.publicMessage(from: sender.display, text: text, seq: seq, timestampMillis: timestampMillis)) }
        return apply(.roomMessage(name, from: sender.display, text: text, seq: seq, timestampMillis: timestampMillis))
    }

    /// A decided public message, the same way on every node.
    public mutating func apply(_ event: RoomEvent) -> [RoomEffect] {
        let from: String, text: String, seq: UInt64, timestampMillis: Int64
        switch event {
        case .publicMessage(let f, let t, let s, let ts) where name == nil: (from, text, seq, timestampMillis) = (f, t, s, ts)
        case .roomMessage(let room, let f, let t, let s, let ts) where room == name: (from, text, seq, timestampMillis) = (f, t, s, ts)
        default: return []
        }
        // A message a catch-up applied already, notified again: the notifications queued while
        // the catch-up read ran hold some of what it read.
        if decidedElsewhere && clusterEpoch != nil && seq <= publicSeq { return [] }
        publicSeq = seq
        let payload = OutboundEvent.publicMessage(from: from, text: text, seq: seq, timestampMillis: timestampMillis).encode(room: name)
        // Aged by the message's own time: no second clock read per broadcast.
        history?.record(seq: seq, payload: payload, atMillis: timestampMillis)
        if catchingUp.isEmpty && replayedAhead.isEmpty { return [.broadcast(payload, to: store.namedIDs)] }
        // Rare (around a cluster resume): only then does a broadcast pay for a filter.
        for id in catchingUp.keys { catchingUp[id]!.held.append((seq, payload)) }
        let recipients = store.namedIDs.filter { catchingUp[$0] == nil && (replayedAhead[$0] ?? 0) < seq }
        // Notifications come in seq order: past a member's replay, nothing more is skipped.
        if !replayedAhead.isEmpty { replayedAhead = replayedAhead.filter { $0.value > seq } }
        return [.postToEach(payload, to: recipients)]
    }

    /// The last `seq` a cluster node's room applied, once it knows where the room stands.
    var caughtUpSeq: UInt64? { clusterEpoch == nil ? nil : publicSeq }
    /// The history (epoch) `caughtUpSeq` counts in.
    var caughtUpEpoch: String? { clusterEpoch }

    /// A cluster node, after (re)connecting: the messages of the room's history after
    /// `publicSeq` — the ones the other nodes published while this one was cut off — applied in
    /// order, so members who stayed connected here miss none. The first time it only learns
    /// where the room stands. What it cannot fill is said to the room's members here, in the
    /// words of a resume: `expired` when more was published than the history keeps (messages
    /// before `oldest` are gone for them), `epoch` when the database's history is another one
    /// (a new database, or a failover that lost its tail).
    public mutating func catchUp(with snapshot: HistorySnapshot) -> [RoomEffect] {
        guard decidedElsewhere else { return [] }
        guard let epoch = clusterEpoch, snapshot.epoch == epoch || epoch.isEmpty, snapshot.lastSeq >= publicSeq else {
            let startingOver = clusterEpoch != nil
            clusterEpoch = snapshot.epoch
            publicSeq = snapshot.lastSeq
            guard startingOver, !store.namedIDs.isEmpty else { return [] }
            let failed = OutboundEvent.resumeFailed(reason: "epoch", oldest: snapshot.lastSeq + 1, epoch: snapshot.epoch)
            return [.broadcast(failed.encode(room: name), to: store.namedIDs)]
        }
        clusterEpoch = snapshot.epoch
        var effects: [RoomEffect] = []
        let missed = snapshot.messages.filter { $0.seq > publicSeq }
        let oldestHeld = missed.first?.seq ?? snapshot.lastSeq + 1
        if oldestHeld > publicSeq + 1 {
            let failed = OutboundEvent.resumeFailed(reason: "expired", oldest: oldestHeld, epoch: snapshot.epoch)
            if !store.namedIDs.isEmpty { effects.append(.broadcast(failed.encode(room: name), to: store.namedIDs)) }
            publicSeq = oldestHeld - 1
        }
        for message in missed {
            let event: RoomEvent =
                if let name {
                    .roomMessage(name, from: message.from, text: message.text, seq: message.seq, timestampMillis: message.timestampMillis)
                } else {
                    .publicMessage(from: message.from, text: message.text, seq: message.seq, timestampMillis: message.timestampMillis)
                }
            effects += apply(event)
        }
        publicSeq = max(publicSeq, snapshot.lastSeq)
        return effects
    }

    // MARK: resume

    /// The messages a member missed, then the marker. On a single node, in the same turn as its
    /// join, so no live message can come between them; on a cluster node the history is the
    /// database's: read with a `.resume` command while the live messages wait for this member
    /// (`finishResume`).
    private mutating func resume(_ id: ConnectionID, _ asked: Result<ResumeRequest, ProtocolError>) -> [RoomEffect] {
        let request: ResumeRequest
        switch asked {
        case .failure(let error): return [.error(error, to: id)]
        case .success(let valid): request = valid
        }
        guard let history else {
            catchingUp[id] = CatchingUp(request: request)
            guard let name else { return [.submit(.resume(id, request))] }
            return [.submit(.roomResume(id, name, request))]
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
            let history = RoomHistory(snapshot, room: name, capacity: configuration.historySize, ttl: configuration.historyTTL)
            (effects, replayedThrough) = answer(waiting.request, to: id, from: history)
        } else {
            let failed = OutboundEvent.resumeFailed(reason: "unavailable", oldest: publicSeq + 1, epoch: "")
            effects = [.post(failed.encode(room: name), to: id)]
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
            let marker = OutboundEvent.resumed(from: from, to: to, epoch: history.epoch).encode(room: name)
            return (payloads.map { RoomEffect.post($0, to: id) } + [.post(marker, to: id)], request.since == nil ? 0 : to)
        case .failed(let reason, let oldest):
            let failed = OutboundEvent.resumeFailed(reason: reason, oldest: oldest, epoch: history.epoch)
            return ([.post(failed.encode(room: name), to: id)], 0)
        case .ahead(let last):
            return ([.error(ResumeRequest.ahead(request.since ?? 0, last: last), to: id)], 0)
        }
    }

    // MARK: the cluster's snapshots

    /// The whole room as the cluster holds it, after (re)connecting; `full` clients get it.
    public mutating func resynchronize(named: [(id: ConnectionID, name: ChatName)]) -> [RoomEffect] {
        store.replaceRoom(with: named)
        guard store.namedCount <= configuration.presenceLimit else { return [] }
        let members = OutboundEvent.members(store.namedDisplayNames).encode(room: name)
        return [.postToEach(members, to: store.namedIDs(feed: .full))]
    }

    // MARK: time

    mutating func fire(_ timer: RoomTimer, now: ContinuousClock.Instant) -> [RoomEffect] {
        switch timer {
        case .flushPresence: presence.flush(store, configuration, room: name, now: now)
        case .membersOnline: presence.membersOnlineTimerFired(store, configuration, room: name, now: now)
        case .forgetIfEmpty: []
        }
    }
}

extension Room {
    /// This node's members in join order, to register again after the database came back.
    var localNamedMembers: [(id: ConnectionID, name: ChatName)] {
        store.namedIDs.compactMap { id in store.member(id)?.name.map { (id, $0) } }
    }
}
