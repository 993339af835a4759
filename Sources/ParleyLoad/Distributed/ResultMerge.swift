/// Agents' results made into the result one process would have measured with every client:
/// every instant moved into common time, histograms added (HdrHistogram addition is exact:
/// bucket counts add), expected deliveries recomputed later from *all* members and *all*
/// messages — never averaged percentiles.
extension LoadRun.Result {
    /// The same result with every instant moved by `shift` (wrapping): an agent's clock → common.
    func shifted(by shift: UInt64) -> LoadRun.Result {
        func move(_ instant: UInt64) -> UInt64 { instant &+ shift }
        let loops = self.loops.map { loop -> LoopMeasurements in
            var loop = loop
            loop.sent = loop.sent.map {
                .init(seq: $0.seq, scheduled: move($0.scheduled), publisher: $0.publisher, recipient: $0.recipient)
            }
            loop.perMessageLast = loop.perMessageLast.map { $0 == 0 ? 0 : move($0) }
            return loop
        }
        return LoadRun.Result(
            clients: clients, attempted: attempted, connected: connected, ready: ready, connectErrors: connectErrors,
            loops: loops,
            intervals: intervals.map { MembershipInterval(client: $0.client, readyAt: move($0.readyAt), leftAt: $0.leftAt.map(move)) },
            clock: PhaseClock(boundaries: clock.boundaries.map(move)), runStart: move(runStart),
            processAtPhases: processAtPhases.map { ProcessSample(wall: move($0.wall), cpuSeconds: $0.cpuSeconds, rssBytes: $0.rssBytes) },
            loopCPUAtPhases: loopCPUAtPhases, connectedBySecond: connectedBySecond, slowConsumers: slowConsumers, attack: attack,
            directReaders: directReaders, tokenRefreshes: tokenRefreshes)
    }

    /// One result from agents' results already in common time (same run start and phase clock).
    /// The generator's process figures add up (CPU seconds, memory); each agent's event loops
    /// stay separate loops.
    static func merged(_ parts: [LoadRun.Result]) -> LoadRun.Result {
        precondition(!parts.isEmpty, "a merge needs at least one agent's result")
        let first = parts[0]
        var errors: [String: Int] = [:]
        for part in parts { errors.merge(part.connectErrors, uniquingKeysWith: +) }
        let samples = parts.map(\.processAtPhases.count).min() ?? 0
        let process = (0..<samples).map { index in
            ProcessSample(
                wall: first.processAtPhases[index].wall, cpuSeconds: parts.reduce(0) { $0 + $1.processAtPhases[index].cpuSeconds },
                rssBytes: parts.reduce(0) { $0 + $1.processAtPhases[index].rssBytes })
        }
        let loopCPU = (0..<(parts.map(\.loopCPUAtPhases.count).min() ?? 0)).map { index in
            parts.flatMap { $0.loopCPUAtPhases[index] }
        }
        let seconds = parts.map(\.connectedBySecond.count).max() ?? 0
        let connected = (0..<seconds).map { second in
            parts.reduce(0) {
                $0 + ($1.connectedBySecond.indices.contains(second) ? $1.connectedBySecond[second] : ($1.connectedBySecond.last ?? 0))
            }
        }
        return LoadRun.Result(
            clients: parts.reduce(0) { $0 + $1.clients }, attempted: parts.reduce(0) { $0 + $1.attempted },
            connected: parts.reduce(0) { $0 + $1.connected }, ready: parts.reduce(0) { $0 + $1.ready }, connectErrors: errors,
            loops: parts.flatMap(\.loops), intervals: parts.flatMap(\.intervals), clock: first.clock, runStart: first.runStart,
            processAtPhases: process, loopCPUAtPhases: loopCPU, connectedBySecond: connected, slowConsumers: nil, attack: nil,
            directReaders: parts.contains { $0.directReaders != nil } ? parts.reduce(0) { $0 + ($1.directReaders ?? 0) } : nil,
            tokenRefreshes: parts.contains { $0.tokenRefreshes != nil } ? parts.reduce(0) { $0 + ($1.tokenRefreshes ?? 0) } : nil)
    }
}
