/// Where a client that may come back stands in the room (scenarios with `reconnect:`): the last
/// public `seq` it holds and the history's epoch, both read from the frames it receives, and
/// whether it is catching up after a reconnect (from the dial until the resume marker).
struct ResumePoint {
    var epoch: String?
    var lastSeq: UInt64 = 0
    /// Times this client has come back (each reconnect dials the next target, so a client of a
    /// killed node finds a live one).
    var reconnects = 0
    /// When the current reconnect began dialing (uptime ns); nil while live.
    var catchingUpSince: UInt64?
    /// The harness closed this connection on purpose (a drop), not the server.
    var dropping = false

    var isCatchingUp: Bool { catchingUpSince != nil }

    /// The query that resumes from here; `latest` when no epoch is known yet (or resume is off).
    func query(resume: Bool) -> String {
        guard resume, let epoch else { return "since=latest" }
        return "since=\(lastSeq)&epoch=\(epoch)"
    }
}
