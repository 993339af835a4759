import ParleyProtocol

/// One membership change, in the order it happened within a coalescing window.
enum PresenceChange: Sendable {
    case joined(String)
    case left(String)
    case renamed(from: String, to: String)

    var deltaEvent: OutboundEvent {
        switch self {
        case .joined(let name): .joined(name)
        case .left(let name): .left(name)
        case .renamed(let from, let to): .renamed(from: from, to: to)
        }
    }

    var systemText: String {
        switch self {
        case .joined(let name): SystemText.joined(name)
        case .left(let name): SystemText.left(name)
        case .renamed(let from, let to): SystemText.renamed(from: from, to: to)
        }
    }

    var isLeave: Bool {
        if case .left = self { return true }
        return false
    }
}

/// The changes of one coalescing window, and where in it each newcomer joined: a connection
/// receives presence only for changes from its own join on (docs/PROTOCOL.md, "Presence").
struct PresenceBatch: Sendable {
    private(set) var changes: [PresenceChange] = []
    private var joinIndex: [ConnectionID: Int] = [:]

    var isEmpty: Bool { changes.isEmpty }

    mutating func record(_ change: PresenceChange, by id: ConnectionID) {
        if case .joined = change { joinIndex[id] = changes.count }
        changes.append(change)
    }

    /// The index of the first change `id` should hear of (0 for members from before the window).
    func firstChangeHeard(by id: ConnectionID) -> Int {
        joinIndex[id] ?? 0
    }

    /// Whether `id` joined during this window (its snapshot, if `delta`, already covers its join).
    func joinedInWindow(_ id: ConnectionID) -> Bool { joinIndex[id] != nil }

    /// What a `full` client hears of the changes from `first` on: leave texts, one `members`
    /// list, then join and rename texts (the tutorial's order for joins-only and leaves-only).
    func fullFeedSequence(
        from first: Int, leaveTexts: [Payload?], otherTexts: [Payload?], members: Payload
    )
        -> [Payload]
    {
        var sequence: [Payload] = []
        for index in first..<changes.count { if let text = leaveTexts[index] { sequence.append(text) } }
        sequence.append(members)
        for index in first..<changes.count { if let text = otherTexts[index] { sequence.append(text) } }
        return sequence
    }
}
