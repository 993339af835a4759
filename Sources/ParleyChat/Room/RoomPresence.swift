import ParleyProtocol

/// Presence at scale (docs/PROTOCOL.md, "Presence"): membership changes coalesced per
/// window, deltas to `delta` clients, the tutorial's texts and `members` lists to `full` clients
/// below the presence limit and a throttled "N members online" above it. A value: it returns the
/// posts and timers it wants, the room's effect runner performs them.
struct RoomPresence: Sendable {
    private var batch = PresenceBatch()
    private var flushScheduled = false
    private var lastMembersOnline: ContinuousClock.Instant?
    private var membersOnlinePending = false
    private var membersOnlineScheduled = false

    /// Notes a change; the first change of a window schedules its flush.
    mutating func record(_ change: PresenceChange, by id: ConnectionID, window: Duration) -> [RoomEffect] {
        batch.record(change, by: id)
        guard !flushScheduled else { return [] }
        flushScheduled = true
        return [.schedule(after: window, .flushPresence)]
    }

    /// Sends one window's changes: deltas to `delta` clients; to `full` clients either the
    /// tutorial's texts and one `members` list, or, above the presence limit, a periodic count.
    mutating func flush(
        _ store: any ConnectionStore, _ configuration: ChatConfiguration, room: RoomName?, now: ContinuousClock.Instant
    ) -> [RoomEffect] {
        flushScheduled = false
        let batch = self.batch
        self.batch = PresenceBatch()
        guard !batch.isEmpty else { return [] }
        var effects: [RoomEffect] = []

        let deltaEvents = batch.changes.map { $0.deltaEvent.encode(room: room) }
        for (first, ids) in Self.groupByFirstChange(store.namedIDs(feed: .delta), batch, skippingOwnJoin: true) {
            for index in first..<deltaEvents.count { effects.append(.postToEach(deltaEvents[index], to: ids)) }
        }

        let fullIDs = store.namedIDs(feed: .full)
        guard !fullIDs.isEmpty else { return effects }
        if store.namedCount > configuration.presenceLimit {
            membersOnlinePending = true
            return effects + membersOnlineIfDue(store, configuration, room: room, now: now)
        }
        let members = OutboundEvent.members(store.namedDisplayNames).encode(room: room)
        let texts = batch.changes.map { OutboundEvent.systemMessage($0.systemText).encode(room: room) }
        let leaveTexts = batch.changes.indices.map { batch.changes[$0].isLeave ? texts[$0] : nil }
        let otherTexts = batch.changes.indices.map { batch.changes[$0].isLeave ? nil : texts[$0] }
        for (first, ids) in Self.groupByFirstChange(fullIDs, batch, skippingOwnJoin: false) {
            let sequence = batch.fullFeedSequence(from: first, leaveTexts: leaveTexts, otherTexts: otherTexts, members: members)
            for payload in sequence { effects.append(.postToEach(payload, to: ids)) }
        }
        return effects
    }

    /// The "members online" timer fired.
    mutating func membersOnlineTimerFired(
        _ store: any ConnectionStore, _ configuration: ChatConfiguration, room: RoomName?, now: ContinuousClock.Instant
    ) -> [RoomEffect] {
        membersOnlineScheduled = false
        return membersOnlineIfDue(store, configuration, room: room, now: now)
    }

    /// The notice, at most once per interval and only after membership changed.
    private mutating func membersOnlineIfDue(
        _ store: any ConnectionStore, _ configuration: ChatConfiguration, room: RoomName?, now: ContinuousClock.Instant
    ) -> [RoomEffect] {
        guard membersOnlinePending else { return [] }
        if let last = lastMembersOnline, now - last < configuration.membersOnlineInterval {
            guard !membersOnlineScheduled else { return [] }
            membersOnlineScheduled = true
            return [.schedule(after: configuration.membersOnlineInterval - (now - last), .membersOnline)]
        }
        membersOnlinePending = false
        lastMembersOnline = now
        let count = store.namedCount
        guard count > configuration.presenceLimit else { return [] }
        let notice = OutboundEvent.systemMessage(SystemText.membersOnline(count)).encode(room: room)
        return [.postToEach(notice, to: store.namedIDs(feed: .full))]
    }

    /// Recipients grouped by the first change they hear of; nearly everyone is in group 0.
    private static func groupByFirstChange(
        _ ids: [ConnectionID], _ batch: PresenceBatch, skippingOwnJoin: Bool
    )
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
}
