import Foundation
import Testing

@testable import ParleyLoad

/// A run split over agents merges into exactly what one process measuring every client would
/// have: histograms through the wire and added equal the histogram of all samples, expected
/// deliveries count every agent's members for every agent's messages, and instants from an
/// agent whose clock is far off land in common time.
@Suite struct DistributedMergeTests {
    static let second: UInt64 = 1_000_000_000
    static let commonStart: UInt64 = 50 * second

    /// One agent's result, built as its loops would have: its members, its publisher's
    /// messages, and the fan-out latencies its clients measured, all in its local clock.
    func agentResult(
        clients: Range<Int>, messages: [UInt64], latencies: [UInt64], localMinusCommon: UInt64, publisher: Int
    ) -> LoadRun.Result {
        func local(_ common: UInt64) -> UInt64 { common &+ localMinusCommon }
        var fanout = LatencyHistogram()
        var seconds = [LoopRecorder.Second(), LoopRecorder.Second()]
        for latency in latencies {
            fanout.record(micros: latency)
            seconds[1].deliveries += 1
            seconds[1].latency.record(micros: latency)
        }
        let sent = messages.enumerated().map { index, seq in
            LoopRecorder.Sent(
                seq: seq, scheduled: local(Self.commonStart + Self.second + UInt64(index) * 1_000_000), publisher: publisher, recipient: nil
            )
        }
        let loop = LoopMeasurements(
            fanout: [fanout], sendLag: [LatencyHistogram()], received: [latencies.count], duplicates: [0], unexpected: [0],
            perMessageCount: [], perMessageLast: [], seconds: seconds, sent: sent, connect: LatencyHistogram(),
            framesReceived: latencies.count,
            bytesReceived: 0, presenceComplete: LatencyHistogram(), loopLag: LatencyHistogram(), resume: ResumeTally(), byNode: NodeFanout()
        )
        let intervals = clients.map { MembershipInterval(client: $0, readyAt: local(Self.commonStart + Self.second / 2), leftAt: nil) }
        let boundaries = [local(Self.commonStart + Self.second), local(Self.commonStart + 3 * Self.second)]
        return LoadRun.Result(
            clients: clients.count, attempted: clients.count, connected: clients.count, ready: clients.count, connectErrors: [:],
            loops: [loop], intervals: intervals, clock: PhaseClock(boundaries: boundaries), runStart: local(Self.commonStart),
            processAtPhases: [
                ProcessSample(wall: boundaries[0], cpuSeconds: 1, rssBytes: 10),
                ProcessSample(wall: boundaries[1], cpuSeconds: 2, rssBytes: 10),
            ],
            loopCPUAtPhases: [[0.5], [1.0]], connectedBySecond: [clients.count, clients.count], slowConsumers: nil, attack: nil)
    }

    /// Through the wire as an agent sends it, then into common time as the coordinator does.
    func overTheWire(_ result: LoadRun.Result, shift: UInt64) throws -> LoadRun.Result {
        var message = AgentMessage(.result)
        message.result = result.shifted(by: shift)
        var line = try message.line(allocator: .init())
        line.moveWriterIndex(to: line.writerIndex - 1)  // the newline, as the line decoder strips it
        guard case .success(let decoded) = AgentMessage.parse(line), let result = decoded.result else {
            Issue.record("the result did not survive the wire")
            throw CancellationError()
        }
        return result
    }

    @Test func mergedHistogramsEqualTheHistogramOfAllSamples() throws {
        var random = SplitMix64(seed: 17)
        let samples = (0..<20_000).map { _ in UInt64.random(in: 1...2_000_000, using: &random) }
        let toB = samples.map { _ in Bool.random(using: &random) }
        let onA = zip(samples, toB).filter { !$0.1 }.map(\.0), onB = zip(samples, toB).filter(\.1).map(\.0)
        // B's clock reads 3 hours ahead of the coordinator's; A's is the coordinator's own.
        let skew: UInt64 = 3 * 3_600 * Self.second
        let a = agentResult(clients: 0..<60, messages: [0, 2, 4], latencies: onA, localMinusCommon: 0, publisher: 0)
        let b = agentResult(clients: 60..<100, messages: [1, 3], latencies: onB, localMinusCommon: skew, publisher: 60)
        let bInCommonTime = try overTheWire(b, shift: 0 &- skew)
        let merged = LoadRun.Result.merged([try overTheWire(a, shift: 0), bInCommonTime])

        var all = LatencyHistogram()
        for sample in samples { all.record(micros: sample) }
        let report = RunAnalysis.report(merged, scenario: Self.scenario)
        let mergedFanout = merged.loops.reduce(into: LatencyHistogram()) { $0.add($1.fanout[0]) }
        #expect(mergedFanout.count == all.count)
        for percentile in stride(from: 0.0, through: 100.0, by: 0.5) {
            #expect(mergedFanout.histogram.valueAtPercentile(percentile) == all.histogram.valueAtPercentile(percentile))
        }
        #expect(report.overall.fanout.p99 == Double(all.histogram.valueAtPercentile(99)))
        #expect(report.overall.fanout.p50 == Double(all.histogram.valueAtPercentile(50)))
        #expect(report.overall.received == samples.count)
        // 5 messages, each due to all 100 members (the sender too, if it receives its own):
        // counted across agents, not per agent (per agent it would be 3 × 60 + 2 × 40).
        #expect(report.overall.expected == 5 * (Self.scenario.message.senderReceives ? 100 : 99))
        #expect(report.overall.messagesSent == 5)
        // B's instants moved 3 hours back: every message falls in the one phase, the series has
        // one second with every delivery.
        #expect(b.clock.boundaries != a.clock.boundaries)
        #expect(bInCommonTime.clock.boundaries == a.clock.boundaries)
        #expect(bInCommonTime.runStart == Self.commonStart)
        #expect(merged.intervals.allSatisfy { $0.readyAt == Self.commonStart + Self.second / 2 })
        #expect(report.series.map(\.deliveries).reduce(0, +) == samples.count)
        #expect(merged.processAtPhases.map(\.cpuSeconds) == [2, 4])
        #expect(merged.loopCPUAtPhases == [[0.5, 0.5], [1.0, 1.0]])
    }

    @Test func sharesSplitClientsAndPublishersWithoutOverlap() {
        var scenario = Self.scenario
        scenario.phases = [
            .init(name: "a", duration: .seconds(1), publishers: 3, rate: 1),
            .init(name: "b", duration: .seconds(1), publishers: 10, rate: 1),
        ]
        let shares = RunShare.plan(scenario: scenario, clients: 1_001, agents: 3, runID: 7)
        #expect(shares.map(\.clients) == [334, 334, 333])
        #expect(shares.map(\.clientBase) == [0, 334, 668])
        #expect(shares.map { $0.publishers } == [[1, 4], [1, 3], [1, 3]])
        #expect(shares.map { $0.publisherSlotBase } == [[0, 0], [1, 4], [2, 7]])
        #expect(shares.allSatisfy { $0.totalPublishers == [3, 10] && $0.runID == 7 && $0.totalClients == 1_001 })
        // Message numbers interleave: no two agents ever use the same one.
        let seqs = shares.flatMap { share in (0..<50).map { share.seq(UInt64($0)) } }
        #expect(Set(seqs).count == seqs.count)
    }

    @Test func theClockEstimateTrustsTheShortestRoundTrip() throws {
        // The agent's clock is 5 ms ahead; the exchanges' legs differ (the slow one is skewed).
        let exchanges = [
            ClockEstimate.Exchange(sent: 1_000_000, agentTime: 1_000_000 + 5_000_000 + 900_000, received: 1_000_000 + 1_000_000),
            ClockEstimate.Exchange(sent: 2_000_000, agentTime: 2_000_000 + 5_000_000 + 50_000, received: 2_000_000 + 100_000),
        ]
        let estimate = try #require(ClockEstimate.best(of: exchanges))
        #expect(estimate.offset == 5_000_000)
        #expect(estimate.errorBound == 50_000)
        // The shift takes an agent instant to coordinator time.
        #expect(UInt64(7_050_000) &+ estimate.shift == 2_050_000)
        let behind = try #require(ClockEstimate.best(of: [.init(sent: 10_000_000, agentTime: 2_000_000, received: 10_000_200)]))
        #expect(behind.offset == -8_000_100)
        #expect(UInt64(2_000_000) &+ behind.shift == 10_000_100)
    }

    static var scenario: Scenario {
        Scenario(name: "merge", clients: 100, phases: [.init(name: "steady", duration: .seconds(2), publishers: 1, rate: 1)])
    }
}
