import NIOCore
import Synchronization

/// The gate in front of `$connect`: gateway-wide, new connections per second (429) and open
/// connections at once (503); per client address, the same two (429, `AddressLimits`); and, once
/// an authorizer has said who it is, per user (429): one user cannot take the node's slots from
/// many addresses.
final class ConnectionAdmission: Sendable {
    enum Verdict: Equatable {
        case admitted
        case refused(status: Int, reason: String)
    }

    private struct State {
        var bucket: TokenBucket
        var open = 0
        var addresses: AddressLimits
        var users: AddressLimits
        /// The drain has begun: nobody new is let in while the rest are closed.
        var shuttingDown = false
    }

    private let state: Mutex<State>
    private let maximumConnections: Int

    init(connectionsPerSecond: Int, maximumConnections: Int, perAddress: AddressLimits? = nil, perUser: AddressLimits? = nil) {
        let unlimited = AddressLimits(maximumConnections: .max, connectionsPerSecond: .max, unlimited: [])
        self.state = Mutex(
            State(
                bucket: TokenBucket(ratePerSecond: connectionsPerSecond, burst: connectionsPerSecond),
                addresses: perAddress ?? unlimited, users: perUser ?? unlimited))
        self.maximumConnections = maximumConnections
    }

    /// Admits one connection from `address` (nil: unknown, only the gateway-wide limits) and
    /// counts it open, or says why not.
    func admit(from address: String? = nil) -> Verdict {
        state.withLock { state in
            if state.shuttingDown {
                return .refused(status: 503, reason: "the server is shutting down")
            }
            if state.open >= maximumConnections {
                return .refused(status: 503, reason: "the server is at its maximum of \(maximumConnections) connections")
            }
            if case .refused(let status, let reason) = state.addresses.admit(address) {
                return .refused(status: status, reason: reason)
            }
            guard state.bucket.take() else {
                state.addresses.release(address)
                return .refused(status: 429, reason: "too many new connections; retry shortly")
            }
            state.open += 1
            return .admitted
        }
    }

    /// A connection admitted from `address` has closed (or was refused by `$connect`).
    func release(from address: String? = nil) {
        state.withLock { state in
            state.open -= 1
            state.addresses.release(address)
        }
    }

    /// Counts one more connection of `user` (an identity's `sub`), or says why not; a connection
    /// already admitted by address is then released by its caller.
    func admit(user: String) -> Verdict {
        state.withLock { $0.users.admit("user \(user)") }
    }

    /// A connection of `user` admitted here has closed.
    func release(user: String) {
        state.withLock { $0.users.release("user \(user)") }
    }

    /// From now on every connection is refused (503): the drain has begun.
    func refuseEveryone() {
        state.withLock { $0.shuttingDown = true }
    }

    /// Client addresses with per-address state kept.
    var trackedAddresses: Int { state.withLock { $0.addresses.trackedAddresses } }

    var openConnections: Int { state.withLock { $0.open } }
}
