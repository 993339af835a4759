/// When one client was a member: from ready until it started to leave (uptime ns).
struct MembershipInterval: Sendable, Codable {
    let client: Int
    let readyAt: UInt64
    let leftAt: UInt64?

    func contains(_ instant: UInt64) -> Bool {
        readyAt <= instant && (leftAt.map { instant < $0 } ?? true)
    }
}
