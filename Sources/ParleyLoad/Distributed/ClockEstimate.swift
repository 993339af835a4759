/// How an agent's monotonic clock relates to the coordinator's, NTP-style: the coordinator
/// sends at t0, the agent answers its time, the coordinator reads t3. If the two legs took as
/// long, the agent read its clock at (t0 + t3) / 2; the truth lies within half the round trip.
/// Of several exchanges the one with the shortest round trip gives the tightest bound.
public struct ClockEstimate: Codable, Sendable, Equatable {
    /// Agent clock minus coordinator clock, ns.
    public var offset: Int64
    /// The estimate is within this of the truth, ns.
    public var errorBound: UInt64

    public struct Exchange: Sendable {
        public var sent: UInt64
        public var agentTime: UInt64
        public var received: UInt64
        public init(sent: UInt64, agentTime: UInt64, received: UInt64) {
            self.sent = sent
            self.agentTime = agentTime
            self.received = received
        }
    }

    public init(offset: Int64, errorBound: UInt64) {
        self.offset = offset
        self.errorBound = errorBound
    }

    /// The estimate from the exchange with the shortest round trip; nil without exchanges.
    public static func best(of exchanges: [Exchange]) -> ClockEstimate? {
        guard let best = exchanges.min(by: { $0.received &- $0.sent < $1.received &- $1.sent }) else { return nil }
        let roundTrip = best.received &- best.sent
        let middle = best.sent &+ roundTrip / 2
        return ClockEstimate(offset: Int64(bitPattern: best.agentTime &- middle), errorBound: roundTrip / 2 + roundTrip % 2)
    }

    /// What an agent adds to its local instants to put them in the coordinator's time.
    public var shift: UInt64 { UInt64(bitPattern: 0 &- offset) }
}
