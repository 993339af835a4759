import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// One run of a scenario at one client count: connect the swarm on the open model, run the
/// phases' publishers on their timetables with the scenario's faults, drain, and hand back what
/// every loop measured. This type only puts the parts together and keeps their order; each part
/// is its own type:
/// - `SwarmConnector`: connecting and readiness (and the direct receive path's connects);
/// - `PublisherSchedule`: the publishers' timetables;
/// - the faults: `Churn`, `Reconnects` (drops, clients coming back, gaps), `HalfOpenAttack`,
///   `SlowConsumers`;
/// - `ClientReaders`: the loops that read and record, NIO's (`NIOClientReaders`) and the direct
///   path's (`DirectClientReaders`), asked alike;
/// - `RunProgress`: the progress line, the phases' waits and the drain;
/// - `SwarmTally`: what they count together; `SwarmContext`: what they share.
final class LoadRun: Sendable {
    let context: SwarmContext
    private let readers: [any ClientReaders]
    private let direct: DirectClientReaders?
    private let connector: SwarmConnector
    private let publishers: PublisherSchedule
    private let churn: Churn
    private let reconnects: Reconnects?
    private let progress: RunProgress
    /// The scenario's `faults:` on a lab's hosts; nil for none.
    private let faults: FaultSchedule?
    /// A split run's agents start their phases together: this waits for the coordinator's word
    /// (given how many clients connected) and answers the local instant the phases start at.
    /// Nil: start as soon as settled.
    private let startGate: (@Sendable (Int) async throws -> UInt64)?

    init(
        scenario: Scenario, clients: Int, targets: [TargetURL], group: MultiThreadedEventLoopGroup, tls: NIOSSLContext? = nil,
        progress: ProgressLine?, live: LiveFigures? = nil, share: RunShare? = nil,
        startGate: (@Sendable (Int) async throws -> UInt64)? = nil, receivePath: ReceivePath = .direct,
        faults: FaultSchedule? = nil
    ) {
        self.startGate = startGate
        self.faults = faults
        let runID = share?.runID ?? UInt32.random(in: 1...UInt32.max)
        live?.startRun(scenario: scenario.name, clients: clients)
        let loops = Array(group.makeIterator())
        let start = share.map { $0.local($0.commonRunStart) } ?? NIODeadline.now().uptimeNanoseconds
        // Over the whole run's clients: every agent of a split run deals the same rooms.
        let roomPlan = RoomPlan.of(scenario, clients: share?.totalClients ?? clients)
        func recorder(nodeCount: Int) -> LoopRecorder {
            LoopRecorder(runID: runID, runStart: start, tokenShift: share?.shift ?? 0, nodeCount: nodeCount, roomPlan: roomPlan)
        }
        // Reconnecting clients move to the next target: their node is not i mod n.
        let recorders = loops.map { LoopBound(recorder(nodeCount: scenario.reconnect == nil ? targets.count : 0), eventLoop: $0) }
        let owned = loops.map { LoopBound(LoopClients(), eventLoop: $0) }
        // Clients that reconnect, churn, watch presence or refresh their tokens (they send after
        // they are ready) need NIO's path for their whole life.
        let usesDirect =
            receivePath == .direct && scenario.reconnect == nil && (scenario.churn?.rate ?? 0) <= 0 && !scenario.measurePresence
            && !scenario.refreshesTokens
        let direct =
            usesDirect
            ? DirectClientReaders(
                loops: loops.indices.map { ReceiveLoop(index: $0, recorder: recorder(nodeCount: targets.count)) }, targets: targets)
            : nil
        self.direct = direct
        let context = SwarmContext(
            scenario: scenario, clientCount: clients, targets: targets, runID: runID, runStart: start, loops: loops,
            recorders: recorders, clients: owned,
            connector: ClientConnector(group: group, timeout: .nanoseconds(scenario.connect.timeout.nanoseconds), tls: tls),
            direct: direct, share: share, roomPlan: roomPlan)
        self.context = context
        let readers: [any ClientReaders] =
            [NIOClientReaders(loops: loops, recorders: recorders, clients: owned)] + [direct].compactMap { $0 }
        self.readers = readers
        let progress = RunProgress(line: progress, live: live, tally: context.tally, readers: readers, runStart: start)
        self.progress = progress
        self.reconnects = Reconnects(context: context)
        self.connector = SwarmConnector(context: context, reconnects: reconnects) { progress.report(stage: $0) }
        self.publishers = PublisherSchedule(context: context)
        self.churn = Churn(context: context, connector: connector)
    }

    func run() async throws -> Result {
        direct?.start()
        do {
            return try await measure()
        } catch {
            // No host stays cut off after a run that failed.
            _ = await faults?.finish()
            for readers in readers { await readers.abandon() }
            throw error
        }
    }

    private func measure() async throws -> Result {
        let scenario = context.scenario, tally = context.tally, loops = context.loops
        // The attacker is in place before the members arrive: they connect through it.
        let attack = scenario.attack.map { HalfOpenAttack(count: $0.halfOpen) }
        attack?.start(targets: context.targets, loops: loops)
        if let auth = scenario.auth {
            let clients = context.clientBase..<(context.clientBase + context.clientCount)
            context.install(try await ClientCredentials.prepare(auth, indices: clients) { _ in progress.report(stage: "tokens") })
        }
        try await connector.connectAll()
        let slow = (scenario.slowConsumers ?? 0) > 0 ? SlowConsumers(count: scenario.slowConsumers!) : nil
        slow?.start(connector: context.connector, targets: context.targets, loops: loops, hello: scenario.hello)
        try await Task.sleep(for: scenario.settle)

        let phaseStart =
            try await startGate?(tally.connected.load(ordering: .relaxed)) ?? NIODeadline.now().uptimeNanoseconds + 20_000_000
        let clock = PhaseClock(start: phaseStart, phases: scenario.phases)
        for readers in readers { try await readers.startPhases(clock) }
        var processAtPhases = [ProcessSample.now()]
        var loopCPUAtPhases = [try await busySeconds()]
        var connectedBySecond: [Int] = []
        let churning = churn.start()
        let drops = reconnects?.startDrops(clock: clock)
        faults?.start(phaseStart: clock.boundaries[0])

        for (index, phase) in scenario.phases.enumerated() {
            publishers.startPublishers(phase: phase, phaseIndex: index, start: clock.boundaries[index])
            try await progress.sleepUntil(clock.boundaries[index + 1]) { connectedBySecond.append(tally.membership.count) }
            processAtPhases.append(ProcessSample.now())
            loopCPUAtPhases.append(try await busySeconds())
        }
        churning?.cancel()
        drops?.cancel()
        try await progress.drain()
        let faultReports = await faults?.finish()
        let slowReport = slow?.finish()
        let attackReport = attack?.finish()

        tally.tearingDown.store(true, ordering: .relaxed)
        var collected = ReadersCollected()
        for readers in readers {
            let part = try await readers.collect()
            collected.measurements += part.measurements
            collected.intervals += part.intervals
            collected.directReaders += part.directReaders
        }
        if let reconnects { try await reconnects.addGaps(to: &collected.measurements) }
        progress.finish()
        return Result(
            clients: context.clientCount, attempted: tally.nextIndex.load(ordering: .relaxed) - context.clientBase,
            connected: tally.connected.load(ordering: .relaxed), ready: tally.ready.load(ordering: .relaxed),
            connectErrors: tally.errors.withLock { $0 }, loops: collected.measurements, intervals: collected.intervals,
            clock: clock, runStart: context.runStart, processAtPhases: processAtPhases, loopCPUAtPhases: loopCPUAtPhases,
            connectedBySecond: connectedBySecond, slowConsumers: slowReport, attack: attackReport,
            directReaders: direct == nil ? nil : collected.directReaders,
            tokenRefreshes: context.credentials == nil ? nil : tally.refreshes.load(ordering: .relaxed), faults: faultReports)
    }

    /// Each loop's busy time so far: NIO's loops' thread CPU, then the receive loops' time not
    /// spent waiting for the network.
    private func busySeconds() async throws -> [Double] {
        var seconds: [Double] = []
        for readers in readers { seconds += try await readers.busySeconds() }
        return seconds
    }
}
