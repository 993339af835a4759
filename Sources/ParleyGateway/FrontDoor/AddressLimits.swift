import NIOCore

/// Per-address limits in front of `$connect`: open connections from one address, and new ones
/// per second from it. One source could otherwise take every connection slot and the whole
/// connect rate. Addresses in `unlimited` (load generators, health checkers) pass; the counts
/// live in `ConnectionAdmission`'s lock, this is the value they are kept in.
struct AddressLimits {
    let maximumConnections: Int
    let connectionsPerSecond: Int
    let unlimited: Set<String>
    private var byAddress: [String: Entry] = [:]
    /// The table's size at which idle entries are next swept out (doubling with what stays).
    private var sweepAt = 1_024

    private struct Entry {
        var open = 0
        var bucket: TokenBucket
    }

    init(maximumConnections: Int, connectionsPerSecond: Int, unlimited: Set<String>) {
        self.maximumConnections = maximumConnections
        self.connectionsPerSecond = connectionsPerSecond
        self.unlimited = unlimited
    }

    /// Counts one new connection from `address`, or says why not.
    mutating func admit(_ address: String?, now: NIODeadline = .now()) -> ConnectionAdmission.Verdict {
        guard let address, !unlimited.contains(address), maximumConnections < .max || connectionsPerSecond < .max else {
            return .admitted
        }
        var entry =
            byAddress[address]
            ?? Entry(bucket: TokenBucket(ratePerSecond: connectionsPerSecond, burst: connectionsPerSecond, now: now))
        if entry.open >= maximumConnections {
            return .refused(status: 429, reason: "too many connections from \(address) (at most \(maximumConnections))")
        }
        guard entry.bucket.take(now: now) else {
            return .refused(
                status: 429, reason: "too many new connections from \(address) (at most \(connectionsPerSecond)/s); retry shortly")
        }
        entry.open += 1
        byAddress[address] = entry
        if byAddress.count >= sweepAt { sweep(now: now) }
        return .admitted
    }

    /// Forgets every address with nothing open whose bucket has refilled. An address released
    /// moments after its connect still owes tokens and cannot be forgotten at release; without
    /// this, every address that ever connected once stayed in the table for good.
    private mutating func sweep(now: NIODeadline) {
        byAddress = byAddress.filter { $0.value.open > 0 || !$0.value.bucket.isFull(now: now) }
        sweepAt = max(1_024, byAddress.count * 2)
    }

    /// A connection from `address` admitted here has closed.
    mutating func release(_ address: String?, now: NIODeadline = .now()) {
        guard let address, var entry = byAddress[address] else { return }
        entry.open -= 1
        // An address with nothing open is forgotten once its bucket would be full again anyway
        // (now, or at the next sweep).
        if entry.open <= 0, entry.bucket.isFull(now: now) {
            byAddress[address] = nil
        } else {
            byAddress[address] = entry
        }
    }

    /// Addresses with state kept (tests, and to show it does not grow without bound).
    var trackedAddresses: Int { byAddress.count }
}
