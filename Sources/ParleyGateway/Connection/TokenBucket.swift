import NIOCore

/// A token bucket on NIO's monotonic clock: `rate` tokens a second, holding at most `burst`.
/// Used for the per-connection inbound limit and the gateway-wide connect rate.
struct TokenBucket {
    private let rate: Double
    private let burst: Double
    private var tokens: Double
    private var last: NIODeadline

    init(ratePerSecond: Int, burst: Int, now: NIODeadline = .now()) {
        self.rate = Double(max(ratePerSecond, 0))
        self.burst = Double(max(burst, 1))
        self.tokens = Double(max(burst, 1))
        self.last = now
    }

    /// Takes one token if there is one.
    mutating func take(now: NIODeadline = .now()) -> Bool {
        let elapsed = Double((now - last).nanoseconds) / 1e9
        last = now
        tokens = min(burst, tokens + elapsed * rate)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Whether the bucket would hold its whole burst at `now` (nothing owed: its state can go).
    func isFull(now: NIODeadline = .now()) -> Bool {
        tokens + Double((now - last).nanoseconds) / 1e9 * rate >= burst
    }
}
