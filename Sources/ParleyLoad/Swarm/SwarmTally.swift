import Synchronization

/// What the parts of a run count together, from any thread: who is a member and who publishes,
/// the clients connected, settled (ready or failed) and ready, errors by kind, the next client
/// number and message `seq`, messages sent, and whether the run is tearing down (closes are then
/// expected).
final class SwarmTally: Sendable {
    let membership = Membership()
    let publishers = Mutex<Set<Int>>([])
    let errors = Mutex<[String: Int]>([:])
    let connected = Atomic<Int>(0)
    let settled = Atomic<Int>(0)
    let ready = Atomic<Int>(0)
    /// `refresh` frames sent with a new token (`auth:` with a lifetime shorter than the run).
    let refreshes = Atomic<Int>(0)
    let nextIndex: Atomic<Int>
    let nextSeq = Atomic<UInt64>(0)
    let sent = Atomic<Int>(0)
    let tearingDown = Atomic<Bool>(false)

    /// - Parameter firstNewClient: the number the first client added after the swarm (a churn
    ///   newcomer) gets.
    init(firstNewClient: Int) { nextIndex = Atomic(firstNewClient) }

    func countError(_ kind: String) {
        errors.withLock { $0[kind, default: 0] += 1 }
    }

    var errorCount: Int { errors.withLock { $0.values.reduce(0, +) } }

    /// Counts a client as done connecting, once (on its loop).
    func settle(_ client: LoadClient) {
        guard !client.settled else { return }
        client.settled = true
        settled.add(1, ordering: .relaxed)
    }

    var isTearingDown: Bool { tearingDown.load(ordering: .relaxed) }
}
