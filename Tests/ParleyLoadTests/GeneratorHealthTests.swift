import Foundation
import ParleyHost
import Testing

@testable import ParleyLoad

/// The generator's verdict on itself: when a run is generator-bound, why, and what that does
/// to thresholds. (A real saturated run, against the C server, is checked by
/// Tests/HarnessSelfCheck/generator_bound.py in `make test`.)
@Suite struct GeneratorHealthTests {
    static func lag(_ micros: [UInt64]) -> LatencyHistogram {
        var histogram = LatencyHistogram()
        for value in micros { histogram.record(micros: value) }
        return histogram
    }

    static let quietSendLag = HistogramReport(lag([100, 200]))

    static func health(lagMicros: [UInt64], busy: [Double], cores: Int = 2) -> GeneratorHealth {
        GeneratorHealth(loopLag: lag(lagMicros), loopBusy: busy, usableCores: cores, sendLag: quietSendLag, bounds: .init())
    }

    @Test func aPromptLoopWithCoresToSpareKeptUp() {
        let health = Self.health(lagMicros: Array(repeating: 500, count: 200), busy: [0.3, 0.3])
        #expect(health.validity == .valid)
        #expect(health.reasons.isEmpty)
        #expect(health.summary == "generator kept up")
    }

    @Test func aLoopThatRunsItsTimerLateIsGeneratorBound() {
        let late = Array(repeating: UInt64(500), count: 90) + Array(repeating: 30_000, count: 10)
        let busy = Self.health(lagMicros: late, busy: [0.7, 0.7])
        #expect(busy.validity == .generatorBound)
        #expect(busy.reasons.count == 1)
        #expect(busy.reasons[0].hasPrefix("event-loop lag p99 30"), "\(busy.reasons)")
        #expect(!busy.reasons[0].contains("mostly idle"))
        // Late but idle: something else held the cores, and the reason says so.
        let starved = Self.health(lagMicros: late, busy: [0.05, 0.05])
        #expect(starved.validity == .generatorBound)
        #expect(starved.reasons[0].contains("mostly idle"), "\(starved.reasons)")
    }

    @Test func aSaturatedLoopIsGeneratorBoundEvenWhenItsTimerIsPrompt() {
        let health = Self.health(lagMicros: [100, 200, 300], busy: [0.95, 0.2])
        #expect(health.validity == .generatorBound)
        #expect(health.reasons == ["an event loop was busy 95 % of the time (≥ 90 %)"])
    }

    @Test func loopsSharingFewerCoresSaturateTogether() {
        // Two loops pinned to one core, each busy half the time: the core was full.
        let pinned = Self.health(lagMicros: [100], busy: [0.47, 0.47], cores: 1)
        #expect(pinned.usableCores == 1)
        #expect(pinned.validity == .generatorBound)
        #expect(pinned.reasons == ["the event loops used 94 % of 1 usable cores (≥ 90 %)"])
        // The same work with a core each is half load.
        #expect(Self.health(lagMicros: [100], busy: [0.47, 0.47], cores: 2).validity == .valid)
        // More cores than loops: the loops are the limit.
        #expect(Self.health(lagMicros: [100], busy: [0.5], cores: 8).usableCores == 1)
    }

    @Test func onAGeneratorBoundRunTimesFailWithTheReasonAndCountsStandOnTheirMerits() throws {
        let bound = Self.health(lagMicros: [100], busy: [0.99])
        let metrics = ["fanout.p99": 4_000.0, "throughput.deliveries": 9_000, "delivery.ratio": 1, "delivery.lost": 3]
        func judged(_ expression: String, allow: Bool = false) throws -> ThresholdVerdict {
            bound.judge(try Threshold(expression: expression).verdict(in: metrics), allowGeneratorBound: allow)
        }
        let latency = try judged("fanout.p99 < 50ms")
        #expect(!latency.passed)
        #expect(latency.reason == bound.summary)
        #expect(latency.reason?.hasPrefix("generator-bound: an event loop was busy 99 %") == true)
        #expect(try !judged("throughput.deliveries > 1").passed)
        let ratio = try judged("delivery.ratio >= 1")
        #expect(ratio.passed && ratio.reason == nil)
        let lost = try judged("delivery.lost == 0")
        #expect(!lost.passed)
        #expect(lost.reason?.hasSuffix("(the shortfall may be the generator's)") == true)
        // Opted out: the comparison alone.
        let allowed = try judged("fanout.p99 < 50ms", allow: true)
        #expect(allowed.passed && allowed.reason == nil)
        // A run that kept up judges every threshold on its merits.
        let valid = Self.health(lagMicros: [100], busy: [0.2])
        #expect(valid.judge(try Threshold(expression: "fanout.p99 < 50ms").verdict(in: metrics), allowGeneratorBound: false).passed)
    }

    @Test func aVerdictsReasonSurvivesTheReport() throws {
        let bound = Self.health(lagMicros: [100], busy: [0.99])
        let verdict = bound.judge(try Threshold(expression: "fanout.p99 < 50ms").verdict(in: ["fanout.p99": 1]), allowGeneratorBound: false)
        let decoded = try JSONDecoder().decode(ThresholdVerdict.self, from: JSONEncoder().encode(verdict))
        #expect(decoded == verdict)
        #expect(ReportPrinter.generatorLine(bound).hasPrefix("  GENERATOR-BOUND: an event loop was busy 99 %"))
    }

    @Test func boundsAreWrittenAsPeopleWriteThem() throws {
        var bounds = GeneratorHealth.Bounds()
        bounds.maximumLoopLag = try #require(Quantities.duration("20ms"))
        #expect(bounds.loopLagP99Micros == 20_000)
        #expect(bounds.maximumLoopLag == .milliseconds(20))
        #expect(Quantities.fraction("90%") == 0.9)
        #expect(Quantities.fraction(" 0.25 ") == 0.25)
        #expect(Quantities.fraction("ninety") == nil)
        #expect(Quantities.fraction("%") == nil)
    }

    @Test func theAffinityMaskNarrowsTheCores() {
        #expect(UsableCores.affinityCount(status: "Name:\tx\nCpus_allowed:\t2\nCpus_allowed_list:\t1\n") == 1)
        #expect(UsableCores.affinityCount(status: "Cpus_allowed:\t3\n") == 2)
        #expect(UsableCores.affinityCount(status: "Cpus_allowed:\tff,ffffffff\n") == 40)
        #expect(UsableCores.affinityCount(status: "Name:\tx\n") == nil)
    }
}
