import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOWebSocket
import ParleyProtocol
import Synchronization

/// One run of a scenario at one client count: connect the swarm on the open model, run the
/// phases' publishers on their timetables, drain, and hand back what every loop measured.
final class LoadRun: Sendable {
    struct Result: Sendable {
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
        let connectedBySecond: [Int]
        let slowConsumers: SlowConsumerReport?
    }

    let scenario: Scenario
    let clientCount: Int
    let targets: [TargetURL]
    let runID: UInt32
    let progress: ProgressLine?
    private let loops: [any EventLoop]
    private let recorders: [LoopBound<LoopRecorder>]
    private let clients: [LoopBound<LoopClients>]
    private let connector: ClientConnector
    private let factory: MessageFactory
    private let runStart: UInt64
    private let membership = Membership()
    private let publishers = Mutex<Set<Int>>([])
    private let errors = Mutex<[String: Int]>([:])
    private let connected = Atomic<Int>(0)
    private let settled = Atomic<Int>(0)
    private let readyCount = Atomic<Int>(0)
    private let nextIndex: Atomic<Int>
    private let nextSeq = Atomic<UInt64>(0)
    private let sentCount = Atomic<Int>(0)
    private let tearingDown = Atomic<Bool>(false)

    init(
        scenario: Scenario, clients: Int, targets: [TargetURL], group: MultiThreadedEventLoopGroup, tls: NIOSSLContext? = nil,
        progress: ProgressLine?
    ) {
        self.scenario = scenario
        self.clientCount = clients
        self.targets = targets
        let runID = UInt32.random(in: 1...UInt32.max)
        self.runID = runID
        self.progress = progress
        self.loops = Array(group.makeIterator())
        let start = NIODeadline.now().uptimeNanoseconds
        self.runStart = start
        self.recorders = loops.map { LoopBound(LoopRecorder(runID: runID, runStart: start), eventLoop: $0) }
        self.clients = loops.map { LoopBound(LoopClients(), eventLoop: $0) }
        self.connector = ClientConnector(group: group, timeout: .nanoseconds(scenario.connect.timeout.nanoseconds), tls: tls)
        self.factory = MessageFactory(scenario: scenario)
        self.nextIndex = Atomic(clients)
    }

    func run() async throws -> Result {
        try await connectAll()
        let slow = (scenario.slowConsumers ?? 0) > 0 ? SlowConsumers(count: scenario.slowConsumers!) : nil
        slow?.start(connector: connector, targets: targets, loops: loops, hello: scenario.hello)
        try await Task.sleep(for: scenario.settle)

        let phaseStart = NIODeadline.now().uptimeNanoseconds + 20_000_000
        let clock = PhaseClock(start: phaseStart, phases: scenario.phases)
        for (index, loop) in loops.enumerated() {
            let recorder = recorders[index]
            try await loop.submit { recorder.value.startPhases(clock) }.get()
        }
        var processAtPhases = [ProcessSample.now()]
        var connectedBySecond: [Int] = []
        let churn = startChurn(clock: clock)

        for (index, phase) in scenario.phases.enumerated() {
            startPublishers(phase: phase, phaseIndex: index, start: clock.boundaries[index])
            try await sleepUntil(clock.boundaries[index + 1]) { connectedBySecond.append(membership.count) }
            processAtPhases.append(ProcessSample.now())
        }
        churn?.cancel()
        try await drain()
        let slowReport = slow?.finish()

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
        progress?.finish()
        return Result(
            clients: clientCount, attempted: nextIndex.load(ordering: .relaxed), connected: connected.load(ordering: .relaxed),
            ready: readyCount.load(ordering: .relaxed), connectErrors: errors.withLock { $0 }, loops: measurements,
            intervals: intervals, clock: clock, runStart: runStart, processAtPhases: processAtPhases,
            connectedBySecond: connectedBySecond, slowConsumers: slowReport)
    }

    // MARK: connecting

    /// Starts every client at its own instant (arrivals at `connect.rate`), then waits until each
    /// is ready or has failed.
    private func connectAll() async throws {
        let start = NIODeadline.now().uptimeNanoseconds
        let interval = 1e9 / scenario.connect.rate
        for index in 0..<clientCount {
            let due = start + UInt64(Double(index) * interval)
            let now = NIODeadline.now().uptimeNanoseconds
            if due > now + 1_000_000 { try await Task.sleep(for: .nanoseconds(Int64(due - now))) }
            startClient(index, due: due)
            if index % 256 == 0 { report(stage: "connect") }
        }
        let deadline = ContinuousClock.now + scenario.connect.timeout + .seconds(5)
        while settled.load(ordering: .relaxed) < clientCount && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            report(stage: "connect")
        }
    }

    private func startClient(_ index: Int, due: UInt64) {
        let loopIndex = index % loops.count
        let loop = loops[loopIndex]
        let target = targets[index % targets.count]
        let sources = scenario.connect.sources
        let source = sources.isEmpty ? nil : sources[index % sources.count]
        let recorder = recorders[loopIndex]
        let owned = clients[loopIndex]
        let senderReceives = scenario.message.senderReceives
        let ready = scenario.effectiveReady
        let hello = scenario.hello
        loop.execute { [self] in
            let client = LoadClient(index: index, recorder: recorder.value, senderReceives: senderReceives)
            if scenario.measurePresence { client.awaitedMembers = clientCount }
            owned.value.byIndex[index] = client
            client.onReady = { [self] client in
                readyCount.add(1, ordering: .relaxed)
                membership.add(client.index)
                settle(client)
            }
            client.onClosed = { [self] client, expected in
                membership.remove(client.index)
                if !expected && !tearingDown.load(ordering: .relaxed) {
                    countError(client.readyAt == nil ? "closed before ready" : "closed by server")
                    if client.readyAt == nil { settle(client) }
                }
            }
            let handler = LoadClientHandler(client: client)
            let boundHandler = LoopBound(handler, eventLoop: loop)
            connector.connect(to: target, from: source, on: loop) { boundHandler.value }
                .hop(to: loop)
                .assumeIsolated()
                .whenComplete { [self] result in
                    switch result {
                    case .success(.upgraded(let channel)):
                        client.channel = channel
                        connected.add(1, ordering: .relaxed)
                        let now = NIODeadline.now().uptimeNanoseconds
                        // A client may start up to a millisecond before its instant.
                        recorder.value.recordConnect(nanos: now > due ? now - due : 0)
                        if let hello { send(text: hello.replacingOccurrences(of: "{i}", with: String(index)), on: channel) }
                        if let ready {
                            client.readyExpectation = Array(ready.expect.utf8)
                            send(text: ready.send.replacingOccurrences(of: "{i}", with: String(index)), on: channel)
                            loop.assumeIsolated().scheduleTask(in: connector.timeout) { [self] in
                                if client.readyAt == nil && client.leftAt == nil {
                                    countError("not ready in time")
                                    settle(client)
                                }
                            }
                        } else {
                            client.becomeReady(at: now)
                        }
                    case .success(.refused(let status)):
                        countError(status == 0 ? "upgrade refused" : "http \(status)")
                        owned.value.byIndex.removeValue(forKey: index)
                        settle(client)
                    case .failure(let error):
                        countError(error.connectErrorKind)
                        owned.value.byIndex.removeValue(forKey: index)
                        settle(client)
                    }
                }
        }
    }

    /// Counts a client as done connecting, once.
    private func settle(_ client: LoadClient) {
        guard !client.settled else { return }
        client.settled = true
        settled.add(1, ordering: .relaxed)
    }

    private func countError(_ kind: String) {
        errors.withLock { $0[kind, default: 0] += 1 }
    }

    private func send(text: String, on channel: any Channel) {
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text))
        channel.writeAndFlush(frame, promise: nil)
    }

    // MARK: publishing

    /// Runs each publisher's timetable on its own loop. A late loop sends every message that is
    /// due, each with its own scheduled time: lateness shows as latency and send lag.
    private func startPublishers(phase: Scenario.Phase, phaseIndex: Int, start: UInt64) {
        let chosen = membership.lowest(phase.publishers)
        publishers.withLock { $0 = Set(chosen) }
        if chosen.count < phase.publishers {
            countError("publishers short: \(chosen.count) of \(phase.publishers) in \(phase.name)")
        }
        for (slot, publisher) in chosen.enumerated() {
            let loopIndex = publisher % loops.count
            let loop = loops[loopIndex]
            let owned = clients[loopIndex]
            let recorder = recorders[loopIndex]
            let timetable = Timetable(start: start, phase: phase, publisher: slot)
            loop.execute { [self] in
                guard let client = owned.value.byIndex[publisher] else { return }
                let task = PublisherTask(
                    client: client, timetable: timetable, recorder: recorder.value, loop: loop,
                    send: { [self] client, scheduled in publish(from: client, scheduled: scheduled) })
                task.scheduleNext()
            }
        }
    }

    /// Sends one message; runs on the publisher's loop.
    private func publish(from client: LoadClient, scheduled: UInt64) {
        guard let channel = client.channel, client.leftAt == nil else { return }
        let seq = nextSeq.wrappingAdd(1, ordering: .relaxed).oldValue
        let recipient = scenario.message.kind == .private ? membership.random() : nil
        if scenario.message.kind == .private && recipient == nil { return }
        let token = ProbeToken(run: runID, publisher: UInt32(client.index), seq: seq, scheduledNanos: scheduled)
        let data = factory.frame(token: token, recipient: recipient, allocator: channel.allocator)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: data), promise: nil)
        let now = NIODeadline.now().uptimeNanoseconds
        client.recorder.recordSent(.init(seq: seq, scheduled: scheduled, publisher: client.index, recipient: recipient), at: now)
        sentCount.add(1, ordering: .relaxed)
    }

    // MARK: churn

    /// Clients leave (and as many new ones join) at the churn rate while the phases run. A
    /// leaver stops being a member at once but keeps reading for a second, so messages already
    /// due to it are not miscounted as lost.
    private func startChurn(clock: PhaseClock) -> Task<Void, Never>? {
        guard let rate = scenario.churn?.rate, rate > 0 else { return nil }
        return Task { [self] in
            let interval = Duration.nanoseconds(Int64(1e9 / rate))
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                let excluded = publishers.withLock { $0 }
                guard let leaver = membership.random(excluding: excluded) else { continue }
                membership.remove(leaver)
                let loop = loops[leaver % loops.count]
                let owned = clients[leaver % loops.count]
                loop.execute {
                    guard let client = owned.value.byIndex[leaver] else { return }
                    client.leave(at: NIODeadline.now().uptimeNanoseconds)
                    let channel = client.channel
                    loop.scheduleTask(in: .seconds(1)) { channel?.close(promise: nil) }
                }
                let newcomer = nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue
                startClient(newcomer, due: NIODeadline.now().uptimeNanoseconds)
            }
        }
    }

    // MARK: waiting

    private func sleepUntil(_ instant: UInt64, everySecond: () -> Void) async throws {
        while true {
            let now = NIODeadline.now().uptimeNanoseconds
            if now >= instant { return }
            try await Task.sleep(for: .nanoseconds(Int64(min(instant - now, 1_000_000_000))))
            everySecond()
            if progress != nil { try await reportPhases() }
        }
    }

    /// The progress line during phases: deliveries so far and the p99 of the last whole second.
    private func reportPhases() async throws {
        let second = Int((NIODeadline.now().uptimeNanoseconds &- runStart) / 1_000_000_000) - 1
        var delivered = 0
        var lastSecond = LatencyHistogram(significantDigits: .two)
        for (index, loop) in loops.enumerated() {
            let recorder = recorders[index]
            let (count, histogram) = try await loop.submit {
                (recorder.value.totalReceived, recorder.value.latency(inSecond: second))
            }.get()
            delivered += count
            if let histogram { lastSecond.add(histogram) }
        }
        progress?.update(
            stage: "phases", connected: connected.load(ordering: .relaxed), ready: readyCount.load(ordering: .relaxed),
            sent: sentCount.load(ordering: .relaxed), errors: errors.withLock { $0.values.reduce(0, +) },
            delivered: delivered, p99Micros: lastSecond.count > 0 ? lastSecond.histogram.valueAtPercentile(99) : nil)
    }

    /// After the last phase: wait until deliveries stop arriving (up to 5 s).
    private func drain() async throws {
        var last = -1
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(300))
            let total = try await deliveredSoFar()
            if total == last { return }
            last = total
        }
    }

    private func deliveredSoFar() async throws -> Int {
        var total = 0
        for (index, loop) in loops.enumerated() {
            let recorder = recorders[index]
            total += try await loop.submit { recorder.value.totalReceived }.get()
        }
        return total
    }

    private func report(stage: String) {
        progress?.update(
            stage: stage, connected: connected.load(ordering: .relaxed), ready: readyCount.load(ordering: .relaxed),
            sent: sentCount.load(ordering: .relaxed), errors: errors.withLock { $0.values.reduce(0, +) })
    }
}
