import Crypto
import Foundation

/// The webhook's answers kept per token for `--auth-cache-ttl`, so a client reconnecting with the
/// same token does not cost a call each time. Keyed by the token's SHA-256 (the cache holds no
/// token), bounded: past `capacity` the oldest answers go first. Unreachable is never kept.
struct DecisionCache: Sendable {
    private struct Entry: Sendable {
        let outcome: AuthorizationOutcome
        let until: ContinuousClock.Instant
    }

    let ttl: Duration
    let capacity: Int
    private var entries: [SHA256Digest: Entry] = [:]
    private var order: [SHA256Digest] = []

    init(ttl: Duration, capacity: Int = 10_000) {
        self.ttl = ttl
        self.capacity = capacity
    }

    static func key(_ token: String) -> SHA256Digest { SHA256.hash(data: Data(token.utf8)) }

    func lookup(_ key: SHA256Digest, now: ContinuousClock.Instant) -> AuthorizationOutcome? {
        guard let entry = entries[key], entry.until > now else { return nil }
        if case .allowed(let identity) = entry.outcome, let expiry = identity.expiresAtMillis,
            Double(expiry) / 1000 <= Date().timeIntervalSince1970
        {
            return nil
        }
        return entry.outcome
    }

    mutating func store(_ outcome: AuthorizationOutcome, for key: SHA256Digest, now: ContinuousClock.Instant) {
        guard ttl > .zero, outcome != .refused(.unreachable) else { return }
        if entries[key] == nil { order.append(key) }
        entries[key] = Entry(outcome: outcome, until: now + ttl)
        while order.count > capacity {
            entries.removeValue(forKey: order.removeFirst())
        }
    }
}
