import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOWebSocket
import ParleyProtocol
import Synchronization

/// One run of a scenario at one client count: connect the swarm on the open model, run the
/// phases' publishers on their timetables, drain, and hand back what every loop measured.
/// Its parts, one file each: connecting (`LoadRun+Connecting`), publishers and churn
/// (`LoadRun+Publishing`), progress and the drain (`LoadRun+Progress`).
final class LoadRun: Sendable {
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
    }

    let scenario: Scenario
    let clientCount: Int
    let targets: [TargetURL]
    let runID: UInt32
    let progress: ProgressLine?
    /// `run --metrics-port`: the same figures as the progress line, for scrapes.
    let live: LiveFigures?
    let loops: [any EventLoop]
    let recorders: [LoopBound<LoopRecorder>]
    let clients: [LoopBound<LoopClients>]
    let connector: ClientConnector
    /// The direct receive path's loops, one per event loop (empty: every client stays on NIO).
    let receiveLoops: [ReceiveLoop]
    /// Each target's address for the direct path's own connects (nil: that target stays on NIO).
    let directAddresses: [SocketAddress?]
    /// The lowest client numbers stay on NIO: publishers are chosen from them.
    let publisherReserve: Int
    let factory: MessageFactory
    let runStart: UInt64
    /// This process's part of a run split over agents (`run --agents`); nil for a whole run.
    let share: RunShare?
    /// A split run's agents start their phases together: this waits for the coordinator's word
    /// (given how many clients connected) and answers the local instant the phases start at.
    /// Nil: start as soon as settled.
    let startGate: (@Sendable (Int) async throws -> UInt64)?
    let membership = Membership()
    let publishers = Mutex<Set<Int>>([])
    let errors = Mutex<[String: Int]>([:])
    let connected = Atomic<Int>(0)
    let settled = Atomic<Int>(0)
    let readyCount = Atomic<Int>(0)
    let nextIndex: Atomic<Int>
    let nextSeq = Atomic<UInt64>(0)
    let sentCount = Atomic<Int>(0)
    let tearingDown = Atomic<Bool>(false)

    init(
        scenario: Scenario, clients: Int, targets: [TargetURL], group: MultiThreadedEventLoopGroup, tls: NIOSSLContext? = nil,
        progress: ProgressLine?, live: LiveFigures? = nil, share: RunShare? = nil,
        startGate: (@Sendable (Int) async throws -> UInt64)? = nil, receivePath: ReceivePath = .direct
    ) {
        self.share = share
        self.startGate = startGate
        self.scenario = scenario
        self.clientCount = clients
        self.targets = targets
        let runID = share?.runID ?? UInt32.random(in: 1...UInt32.max)
        self.runID = runID
        self.progress = progress
        self.live = live
        live?.startRun(scenario: scenario.name, clients: clients)
        self.loops = Array(group.makeIterator())
        let start = share.map { $0.local($0.commonRunStart) } ?? NIODeadline.now().uptimeNanoseconds
        self.runStart = start
        self.recorders = loops.map {
            LoopBound(
                LoopRecorder(
                    runID: runID, runStart: start, tokenShift: share?.shift ?? 0,
                    // Reconnecting clients move to the next target: their node is not i mod n.
                    nodeCount: scenario.reconnect == nil ? targets.count : 0), eventLoop: $0)
        }
        self.clients = loops.map { LoopBound(LoopClients(), eventLoop: $0) }
        // Clients that reconnect, churn or watch presence need NIO's path for their whole life.
        let direct = receivePath == .direct && scenario.reconnect == nil && (scenario.churn?.rate ?? 0) <= 0 && !scenario.measurePresence
        self.receiveLoops =
            direct
            ? loops.indices.map { index in
                ReceiveLoop(
                    index: index,
                    recorder: LoopRecorder(
                        runID: runID, runStart: start, tokenShift: share?.shift ?? 0, nodeCount: targets.count))
            } : []
        self.directAddresses = targets.map { target in
            guard direct, !target.isSecure else { return nil }
            return (try? SocketAddress(ipAddress: target.host, port: target.port))
                ?? (try? SocketAddress.makeAddressResolvingHost(target.host, port: target.port))
        }
        self.publisherReserve = share.map { $0.publishers.max() ?? 0 } ?? scenario.phases.map(\.publishers).max() ?? 0
        self.connector = ClientConnector(group: group, timeout: .nanoseconds(scenario.connect.timeout.nanoseconds), tls: tls)
        self.factory = MessageFactory(scenario: scenario)
        self.nextIndex = Atomic((share?.clientBase ?? 0) + clients)
    }

    /// Whether client `index` reads on the direct path once ready (`ReceiveLoop`).
    func receivesDirectly(_ index: Int) -> Bool {
        !receiveLoops.isEmpty && index - (share?.clientBase ?? 0) >= publisherReserve
            && directAddresses[index % targets.count] != nil
    }

    /// Each loop's busy time so far, read on the loop: NIO's loops' thread CPU, then the receive
    /// loops' time not spent waiting for the network (`ReceiveLoop.busySeconds`).
    func loopCPUSeconds() async throws -> [Double] {
        var seconds: [Double] = []
        for loop in loops { seconds.append(try await loop.submit { ThreadCPU.seconds() }.get()) }
        for loop in receiveLoops { seconds.append(await loop.submit { loop.busySeconds() }) }
        return seconds
    }

    func run() async throws -> Result {
        for loop in receiveLoops { loop.start() }
        do {
            return try await measure()
        } catch {
            for loop in receiveLoops {
                loop.enqueue { loop.closeAll() }
                await loop.stop()
            }
            throw error
        }
    }

    private func measure() async throws -> Result {
        // The attacker is in place before the members arrive: they connect through it.
        let attack = scenario.attack.map { HalfOpenAttack(count: $0.halfOpen) }
        attack?.start(targets: targets, loops: loops)
        try await connectAll()
        let slow = (scenario.slowConsumers ?? 0) > 0 ? SlowConsumers(count: scenario.slowConsumers!) : nil
        slow?.start(connector: connector, targets: targets, loops: loops, hello: scenario.hello)
        try await Task.sleep(for: scenario.settle)

        let phaseStart = try await startGate?(connected.load(ordering: .relaxed)) ?? NIODeadline.now().uptimeNanoseconds + 20_000_000
        let clock = PhaseClock(start: phaseStart, phases: scenario.phases)
        for (index, loop) in loops.enumerated() {
            let recorder = recorders[index]
            try await loop.submit {
                recorder.value.startPhases(clock)
                LoopLagProbe.start(on: loop, recorder: recorder, from: clock.boundaries.first!, until: clock.boundaries.last!)
            }.get()
        }
        for loop in receiveLoops {
            await loop.submit {
                loop.recorder.startPhases(clock)
                loop.startLagProbe(from: clock.boundaries.first!, until: clock.boundaries.last!)
            }
        }
        var processAtPhases = [ProcessSample.now()]
        var loopCPUAtPhases = [try await loopCPUSeconds()]
        var connectedBySecond: [Int] = []
        let churn = startChurn(clock: clock)
        let drops = startDrops(clock: clock)

        for (index, phase) in scenario.phases.enumerated() {
            startPublishers(phase: phase, phaseIndex: index, start: clock.boundaries[index])
            try await sleepUntil(clock.boundaries[index + 1]) { connectedBySecond.append(membership.count) }
            processAtPhases.append(ProcessSample.now())
            loopCPUAtPhases.append(try await loopCPUSeconds())
        }
        churn?.cancel()
        drops?.cancel()
        try await drain()
        let slowReport = slow?.finish()
        let attackReport = attack?.finish()

        tearingDown.store(true, ordering: .relaxed)
        var measurements: [LoopMeasurements] = []
        var intervals: [MembershipInterval] = []
        for (index, loop) in loops.enumerated() {
            let recorder = recorders[index]
            let owned = clients[index]
            let (snapshot, loopIntervals) = try await loop.submit {
                let table = owned.value
                let intervals = table.byIndex.values.compactMap(\.interval)
                for client in table.byIndex.values { client.channel?.close(promise: nil) }
                return (recorder.value.snapshot(), intervals)
            }.get()
            measurements.append(snapshot)
            intervals += loopIntervals
        }
        var directReaders = 0
        for loop in receiveLoops {
            let (snapshot, adopted) = await loop.submit {
                loop.closeAll()
                return (loop.recorder.snapshot(), loop.adopted)
            }
            measurements.append(snapshot)
            directReaders += adopted
            await loop.stop()
        }
        if scenario.reconnect != nil {
            var delivered = Set<UInt64>()
            for loop in measurements {
                for (seq, count) in loop.perMessageCount.enumerated() where count > 0 { delivered.insert(UInt64(seq)) }
            }
            let gaps = try await countGaps(sent: measurements.flatMap(\.sent), delivered: delivered)
            for (index, count) in gaps.enumerated() { measurements[index].resume.gaps += count }
        }
        progress?.finish()
        live?.finishRun()
        return Result(
            clients: clientCount, attempted: nextIndex.load(ordering: .relaxed) - (share?.clientBase ?? 0),
            connected: connected.load(ordering: .relaxed),
            ready: readyCount.load(ordering: .relaxed), connectErrors: errors.withLock { $0 }, loops: measurements,
            intervals: intervals, clock: clock, runStart: runStart, processAtPhases: processAtPhases,
            loopCPUAtPhases: loopCPUAtPhases,
            connectedBySecond: connectedBySecond, slowConsumers: slowReport,
            attack: attackReport, directReaders: receiveLoops.isEmpty ? nil : directReaders)
    }
}
