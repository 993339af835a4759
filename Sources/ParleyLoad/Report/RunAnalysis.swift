import Foundation
import ParleyHost

/// Turns what the loops measured into a `RunReport`: merges histograms, computes what each
/// message was due to deliver from who was a member when it was due, and the metrics by name.
enum RunAnalysis {
    static func report(
        _ result: LoadRun.Result, scenario: Scenario, bounds: GeneratorHealth.Bounds = .init(),
        usableCores: Int = UsableCores.count, targets: [String] = []
    ) -> RunReport {
        let phaseCount = result.clock.phaseCount
        var fanout = Array(repeating: LatencyHistogram(), count: phaseCount)
        var sendLag = Array(repeating: LatencyHistogram(), count: phaseCount)
        var completion = Array(repeating: LatencyHistogram(), count: phaseCount)
        var received = Array(repeating: 0, count: phaseCount)
        var duplicates = Array(repeating: 0, count: phaseCount)
        var expected = Array(repeating: 0, count: phaseCount)
        var sentPerPhase = Array(repeating: 0, count: phaseCount)
        var connect = LatencyHistogram()
        var presence = LatencyHistogram()
        var unexpected = Array(repeating: 0, count: phaseCount)
        var frames = 0, bytes = 0

        var fanoutByClass = Array(repeating: LatencyHistogram(), count: RoomPlan.privateClass + 1)
        var messageCount: [UInt32] = []
        var messageLast: [UInt64] = []
        var sent: [LoopRecorder.Sent] = []
        var refusals: [Int: Int] = [:]
        var refusedPerPhase = Array(repeating: 0, count: phaseCount)
        for loop in result.loops {
            refusals.merge(loop.refusals, uniquingKeysWith: +)
            for phase in 0..<min(phaseCount, loop.fanout.count) {
                fanout[phase].add(loop.fanout[phase])
                sendLag[phase].add(loop.sendLag[phase])
                received[phase] += loop.received[phase]
                duplicates[phase] += loop.duplicates[phase]
                unexpected[phase] += loop.unexpected[phase]
            }
            for (index, histogram) in loop.fanoutByClass.enumerated() where index < fanoutByClass.count {
                fanoutByClass[index].add(histogram)
            }
            connect.add(loop.connect)
            presence.add(loop.presenceComplete)
            frames += loop.framesReceived
            bytes += loop.bytesReceived
            if loop.perMessageCount.count > messageCount.count {
                messageCount += Array(repeating: 0, count: loop.perMessageCount.count - messageCount.count)
                messageLast += Array(repeating: 0, count: loop.perMessageLast.count - messageLast.count)
            }
            for (seq, count) in loop.perMessageCount.enumerated() where count > 0 {
                messageCount[seq] += count
                messageLast[seq] = max(messageLast[seq], loop.perMessageLast[seq])
            }
            sent += loop.sent
        }

        // Expected deliveries: the members whose interval holds the message's due time (in a
        // room scenario, the members of the message's room).
        let members = MembershipCounter(result.intervals)
        let byClient = Dictionary(result.intervals.map { ($0.client, $0) }, uniquingKeysWith: { first, _ in first })
        let plan = RoomPlan.of(scenario, clients: result.clients)
        let roomMembers = plan.map { plan in
            plan.members.map { ids in MembershipCounter(ids.compactMap { byClient[$0] }) }
        }
        var roomTally = RoomTally(plan: plan)
        let refused = RefusedMessages.seqs(sent: sent, refusals: refusals) { seq in
            seq < messageCount.count && messageCount[seq] > 0
        }
        for message in sent {
            let phase = result.clock.phase(of: message.scheduled)
            sentPerPhase[phase] += 1
            let due: Int
            let seq = Int(message.seq)
            let arrived = seq < messageCount.count ? Int(messageCount[seq]) : 0
            if refused.contains(message.seq) {
                // Its sender was told it was not sent, and nobody got it: nothing was due.
                refusedPerPhase[phase] += 1
                continue
            }
            if let recipient = message.recipient {
                due = byClient[recipient]?.contains(message.scheduled) == true ? 1 : 0
                if plan != nil { roomTally.addPrivate(due: due, received: arrived) }
            } else if let plan, let roomMembers, let room = plan.room(ofPublisher: message.publisher) {
                due = roomMembers[room].count(at: message.scheduled)
                roomTally.add(room: room, due: due, received: arrived)
            } else {
                var count = members.count(at: message.scheduled)
                if !scenario.message.senderReceives, byClient[message.publisher]?.contains(message.scheduled) == true {
                    count -= 1
                }
                due = max(count, 0)
            }
            expected[phase] += due
            if seq < messageCount.count, messageCount[seq] > 0 {
                completion[phase].record(micros: (messageLast[seq] &- message.scheduled) / 1000)
            }
        }

        var phases: [PhaseReport] = []
        for (index, phase) in scenario.phases.enumerated() {
            let seconds = phase.duration.seconds
            let start = result.processAtPhases[index]
            let end = result.processAtPhases[min(index + 1, result.processAtPhases.count - 1)]
            phases.append(
                PhaseReport(
                    name: phase.name, seconds: seconds, publishers: phase.publishers, ratePerPublisher: phase.rate,
                    rampTo: phase.rampTo, messagesSent: sentPerPhase[index], expected: expected[index],
                    received: received[index], lost: max(expected[index] - received[index], 0), refused: refusedPerPhase[index],
                    duplicates: duplicates[index], unexpected: unexpected[index],
                    ratio: expected[index] > 0 ? Double(received[index]) / Double(expected[index]) : nil,
                    fanout: HistogramReport(fanout[index]), completion: HistogramReport(completion[index]),
                    sendLag: HistogramReport(sendLag[index]),
                    deliveriesPerSecond: Double(received[index]) / seconds,
                    messagesPerSecond: Double(sentPerPhase[index]) / seconds,
                    process: end.report(since: start)))
        }

        var allFanout = LatencyHistogram(), allCompletion = LatencyHistogram(), allLag = LatencyHistogram()
        for index in 0..<phaseCount {
            allFanout.add(fanout[index])
            allCompletion.add(completion[index])
            allLag.add(sendLag[index])
        }
        let totalSeconds = scenario.totalDuration.seconds
        let totalExpected = expected.reduce(0, +), totalReceived = received.reduce(0, +)
        let overall = PhaseReport(
            name: "overall", seconds: totalSeconds, publishers: scenario.phases.map(\.publishers).max() ?? 0,
            ratePerPublisher: scenario.phases.first?.rate ?? 0, rampTo: nil, messagesSent: sent.count,
            expected: totalExpected, received: totalReceived, lost: max(totalExpected - totalReceived, 0),
            refused: refusedPerPhase.reduce(0, +),
            duplicates: duplicates.reduce(0, +), unexpected: unexpected.reduce(0, +),
            ratio: totalExpected > 0 ? Double(totalReceived) / Double(totalExpected) : nil,
            fanout: HistogramReport(allFanout), completion: HistogramReport(allCompletion),
            sendLag: HistogramReport(allLag), deliveriesPerSecond: Double(totalReceived) / totalSeconds,
            messagesPerSecond: Double(sent.count) / totalSeconds,
            process: result.processAtPhases.last!.report(since: result.processAtPhases.first!))

        let connectReport = ConnectReport(
            attempted: result.attempted, connected: result.connected, ready: result.ready,
            errors: result.connectErrors, latency: HistogramReport(connect), tokenRefreshes: result.tokenRefreshes)
        var run = RunReport(
            clients: result.clients, connect: connectReport, phases: phases, overall: overall,
            series: series(result, sent: sent), framesReceived: frames, bytesReceived: bytes,
            presence: scenario.measurePresence
                ? PresenceReport(complete: Int(presence.count), of: result.clients, completion: HistogramReport(presence)) : nil,
            metrics: [:], thresholds: [])
        run.rooms = roomTally.report(fanoutByClass: fanoutByClass)
        run.slowConsumers = result.slowConsumers
        run.attack = result.attack
        run.faults = result.faults
        run.directReaders = result.directReaders
        if scenario.reconnect != nil {
            var tally = ResumeTally()
            for loop in result.loops { tally.add(loop.resume) }
            run.resume = ResumeReport(
                dropped: tally.dropped, serverClosed: tally.serverClosed, dialFailures: tally.dialFailures, outcomes: tally.outcomes,
                gaps: tally.gaps, duplicates: tally.duplicates, replayed: tally.replayed, latency: HistogramReport(tally.latency))
        }
        var byNode = NodeFanout()
        for loop in result.loops { byNode.add(loop.byNode) }
        let sameNode = byNode.sameNode, otherNodes = byNode.otherNodes
        if byNode.nodeCount > 0, sameNode.count + otherNodes.count > 0 {
            run.nodes = NodeFanoutReport(
                sameNode: HistogramReport(sameNode), otherNodes: HistogramReport(otherNodes),
                perNode: (0..<byNode.nodeCount).map { index in
                    .init(
                        target: index < targets.count ? targets[index] : "target \(index + 1)", fanout: HistogramReport(byNode.node(index)))
                })
        }
        let generator = generatorHealth(result, sendLag: overall.sendLag, bounds: bounds, usableCores: usableCores)
        run.generator = generator
        run.validity = generator.validity
        run.metrics = Metrics.values(of: run)
        return run
    }

    /// Whether the loops that measured `result` kept up: their lag, how busy each was, the
    /// publishers' send lag. Also asked of each agent's part of a split run, on its own cores.
    static func generatorHealth(
        _ result: LoadRun.Result, sendLag: HistogramReport? = nil, bounds: GeneratorHealth.Bounds, usableCores: Int
    ) -> GeneratorHealth {
        var loopLag = LatencyHistogram()
        for loop in result.loops { loopLag.add(loop.loopLag) }
        let lag =
            sendLag
            ?? HistogramReport(
                result.loops.reduce(into: LatencyHistogram()) { all, loop in
                    for phase in loop.sendLag { all.add(phase) }
                })
        return GeneratorHealth(
            loopLag: loopLag, loopBusy: busiestPhaseLoopBusy(result), usableCores: usableCores, sendLag: lag, bounds: bounds)
    }

    /// Per loop, thread CPU seconds per wall second in the phase where the loops worked hardest.
    static func busiestPhaseLoopBusy(_ result: LoadRun.Result) -> [Double] {
        var busiest: [Double] = Array(repeating: 0, count: result.loops.count)
        for phase in 0..<max(result.loopCPUAtPhases.count - 1, 0) {
            let seconds = Double(result.processAtPhases[phase + 1].wall &- result.processAtPhases[phase].wall) / 1e9
            guard seconds > 0 else { continue }
            let busy = zip(result.loopCPUAtPhases[phase + 1], result.loopCPUAtPhases[phase]).map { ($0 - $1) / seconds }
            if busy.reduce(0, +) > busiest.reduce(0, +) { busiest = busy }
        }
        return busiest
    }

    /// The per-second series over the phases: deliveries and their p50/p99, messages, members.
    static func series(_ result: LoadRun.Result, sent: [LoopRecorder.Sent]) -> [SecondSample] {
        let firstSecond = Int((result.clock.boundaries.first! &- result.runStart) / 1_000_000_000)
        let lastSecond = Int((result.clock.boundaries.last! &- result.runStart) / 1_000_000_000)
        var messagesBySecond: [Int: Int] = [:]
        for message in sent { messagesBySecond[Int((message.scheduled &- result.runStart) / 1_000_000_000), default: 0] += 1 }
        var samples: [SecondSample] = []
        for second in firstSecond...max(firstSecond, lastSecond) {
            var merged = LatencyHistogram(significantDigits: .two)
            var deliveries = 0
            for loop in result.loops where second < loop.seconds.count {
                merged.add(loop.seconds[second].latency)
                deliveries += loop.seconds[second].deliveries
            }
            let connectedIndex = second - firstSecond
            let connected =
                connectedIndex < result.connectedBySecond.count
                ? result.connectedBySecond[connectedIndex] : (result.connectedBySecond.last ?? 0)
            samples.append(
                SecondSample(
                    second: second - firstSecond, deliveries: deliveries, messages: messagesBySecond[second] ?? 0,
                    connected: connected,
                    p50Micros: merged.count > 0 ? Double(merged.histogram.valueAtPercentile(50)) : nil,
                    p99Micros: merged.count > 0 ? Double(merged.histogram.valueAtPercentile(99)) : nil))
        }
        return samples
    }
}

/// A room scenario's counts per room, summed per size class for the report.
struct RoomTally {
    let plan: RoomPlan?
    private var messages: [Int] = []
    private var due: [Int] = []
    private var received: [Int] = []
    private var lost: [Int] = []
    /// A room run's private share: messages, due, arrived, lost.
    private var privateCounts = (messages: 0, due: 0, received: 0, lost: 0)

    init(plan: RoomPlan?) {
        self.plan = plan
        let count = plan?.members.count ?? 0
        (messages, due, received, lost) = (
            [Int](repeating: 0, count: count), [Int](repeating: 0, count: count),
            [Int](repeating: 0, count: count), [Int](repeating: 0, count: count)
        )
    }

    mutating func add(room: Int, due dueHere: Int, received receivedHere: Int) {
        messages[room] += 1
        due[room] += dueHere
        received[room] += min(receivedHere, dueHere)
        lost[room] += max(dueHere - receivedHere, 0)
    }

    mutating func addPrivate(due dueHere: Int, received receivedHere: Int) {
        privateCounts.messages += 1
        privateCounts.due += dueHere
        privateCounts.received += min(receivedHere, dueHere)
        privateCounts.lost += max(dueHere - receivedHere, 0)
    }

    func report(fanoutByClass: [LatencyHistogram]) -> RoomsReport? {
        guard let plan else { return nil }
        let sizes = plan.members.map(\.count).sorted()
        let classes = RoomPlan.classes.indices.compactMap { index -> RoomsReport.SizeClass? in
            let rooms = plan.members.indices.filter { plan.sizeClass(of: $0) == index }
            guard !rooms.isEmpty else { return nil }
            return RoomsReport.SizeClass(
                name: RoomPlan.classes[index].name, rooms: rooms.count, messages: rooms.map { messages[$0] }.reduce(0, +),
                expected: rooms.map { due[$0] }.reduce(0, +), received: rooms.map { received[$0] }.reduce(0, +),
                lost: rooms.map { lost[$0] }.reduce(0, +), fanout: HistogramReport(fanoutByClass[index]))
        }
        return RoomsReport(
            rooms: sizes.count, memberships: sizes.reduce(0, +), smallest: sizes.first ?? 0,
            median: sizes.isEmpty ? 0 : sizes[sizes.count / 2],
            largest: sizes.last ?? 0, roomsWithLoss: lost.filter { $0 > 0 }.count, classes: classes,
            privateMessages: plan.rooms.privateShare > 0
                ? RoomsReport.SizeClass(
                    name: "private", rooms: 0, messages: privateCounts.messages, expected: privateCounts.due,
                    received: privateCounts.received, lost: privateCounts.lost,
                    fanout: HistogramReport(fanoutByClass[RoomPlan.privateClass])) : nil)
    }
}

/// Members at an instant, from everyone's membership interval: O(log n) per question.
struct MembershipCounter {
    private let joins: [UInt64]
    private let leaves: [UInt64]

    init(_ intervals: [MembershipInterval]) {
        joins = intervals.map(\.readyAt).sorted()
        leaves = intervals.compactMap(\.leftAt).sorted()
    }

    func count(at instant: UInt64) -> Int {
        Self.countAtOrBelow(instant, in: joins) - Self.countAtOrBelow(instant, in: leaves)
    }

    private static func countAtOrBelow(_ value: UInt64, in sorted: [UInt64]) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] <= value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
