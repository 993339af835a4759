/// What one run hands back: every loop's measurements, raw (local time), with the run's clock and
/// samples; `RunAnalysis` turns it into a report, and a split run's agents send it whole.
extension LoadRun {
    struct Result: Sendable, Codable {
        let clients: Int
        let attempted: Int
        let connected: Int
        let ready: Int
        let connectErrors: [String: Int]
        let loops: [LoopMeasurements]
        let intervals: [MembershipInterval]
        let clock: PhaseClock
        let runStart: UInt64
        let processAtPhases: [ProcessSample]
        /// Each loop's thread CPU seconds, sampled with `processAtPhases`.
        let loopCPUAtPhases: [[Double]]
        let connectedBySecond: [Int]
        let slowConsumers: SlowConsumerReport?
        let attack: AttackReport?
        /// Clients that read on the direct receive path once ready (nil: it was not used).
        var directReaders: Int? = nil
        /// `refresh` frames the clients sent with new tokens (`auth:`); nil: none were due.
        var tokenRefreshes: Int? = nil
        /// What the scenario's `faults:` did, and when; nil: it has none.
        var faults: [FaultReport]? = nil
    }
}
