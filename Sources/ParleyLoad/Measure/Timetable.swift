/// When each publisher's messages are due: an open-model timetable. A message is due at its
/// instant whether or not earlier ones were answered; publishers are staggered evenly so that
/// P publishers at rate r look like one stream at P·r, not P simultaneous bursts.
struct Timetable: Sendable {
    let start: UInt64  // uptime ns
    let duration: Double  // s
    let startRate: Double  // per publisher, per s
    let endRate: Double
    /// 0..<1: this publisher's share of the first interval.
    let phaseOffset: Double

    /// Publisher `slot` of the phase's `slots` (all of the run's publishers, over every agent).
    init(start: UInt64, phase: Scenario.Phase, slot: Int, of slots: Int) {
        self.start = start
        self.duration = phase.duration.seconds
        self.startRate = phase.rate
        self.endRate = phase.rampTo ?? phase.rate
        self.phaseOffset = slots > 0 ? Double(slot) / Double(slots) : 0
    }

    /// The due time (uptime ns) of message `k` (0-based), or nil when it falls past the phase.
    func due(_ k: Int) -> UInt64? {
        let n = Double(k) + phaseOffset
        // Messages sent by time t: r0·t + (r1 − r0)·t²/(2D). Solve for the t that makes it n.
        let slope = (endRate - startRate) / duration
        let t: Double
        if abs(slope) < 1e-12 {
            guard startRate > 0 else { return nil }
            t = n / startRate
        } else {
            let discriminant = startRate * startRate + 2 * slope * n
            guard discriminant >= 0 else { return nil }
            t = (-startRate + discriminant.squareRoot()) / slope
        }
        guard t >= 0, t < duration else { return nil }
        return start + UInt64(t * 1e9)
    }
}

/// Which phase a scheduled instant belongs to.
struct PhaseClock: Sendable, Codable {
    /// Start of each phase, then the end of the last, in uptime ns.
    let boundaries: [UInt64]

    init(start: UInt64, phases: [Scenario.Phase]) {
        var boundaries = [start]
        var cursor = start
        for phase in phases {
            cursor += UInt64(phase.duration.nanoseconds)
            boundaries.append(cursor)
        }
        self.boundaries = boundaries
    }

    var phaseCount: Int { boundaries.count - 1 }

    func phase(of instant: UInt64) -> Int {
        var index = 0
        while index + 1 < boundaries.count - 1 && instant >= boundaries[index + 1] { index += 1 }
        return index
    }
}

extension PhaseClock {
    init(boundaries: [UInt64]) { self.boundaries = boundaries }
}
