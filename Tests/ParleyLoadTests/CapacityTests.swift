import Foundation
import ParleyLoad
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// The capacity search: the order of its steps (against a known capacity, without sockets),
/// then a real search against a server whose capacity is known exactly.
@Suite struct CapacityStepsTests {
    /// Runs the steps against "passes while value ≤ capacity"; returns the steps taken.
    func search(_ steps: inout CapacitySteps, capacity: Double) -> [Double] {
        var taken: [Double] = []
        while let value = steps.next, taken.count < 100 {
            taken.append(value)
            steps.record(value, passed: value <= capacity)
        }
        return taken
    }

    @Test(arguments: [1.0, 7, 24, 100, 999, 5_000])
    func clientsFindAKnownCapacityWithinThePrecision(capacity: Double) {
        var steps = CapacitySteps(start: 16, minimum: 1, maximum: 10_000, factor: 2, precision: 0.05, integral: true)
        let taken = search(&steps, capacity: capacity)
        let pass = steps.highestPass, failure = steps.lowestFailure
        #expect(pass.map { $0 <= capacity } ?? false, "\(taken)")
        #expect(failure.map { $0 > capacity } ?? false, "\(taken)")
        if let pass, let failure {
            #expect(failure - pass <= max(1, pass * 0.05), "bisected to the precision: \(taken)")
        }
        #expect(Set(taken).count == taken.count, "no step twice: \(taken)")
        #expect(taken.allSatisfy { $0 >= 1 && $0 <= 10_000 && $0 == $0.rounded() }, "\(taken)")
        #expect(taken.count <= 20, "\(taken.count) steps")
    }

    @Test func aStartAboveTheCapacityStepsDown() {
        var steps = CapacitySteps(start: 1_000, minimum: 1, maximum: 10_000, precision: 0.1, integral: true)
        let taken = search(&steps, capacity: 30)
        #expect(Array(taken.prefix(3)) == [1_000, 500, 250])
        #expect(steps.highestPass.map { $0 <= 30 && $0 >= 27 } ?? false, "\(taken)")
    }

    @Test func everyStepPassingStopsAtTheMaximum() {
        var steps = CapacitySteps(start: 16, minimum: 1, maximum: 300, integral: true)
        let taken = search(&steps, capacity: .infinity)
        #expect(taken == [16, 32, 64, 128, 256, 300])
        #expect(steps.reachedMaximum && steps.highestPass == 300 && steps.lowestFailure == nil)
    }

    @Test func nothingPassingEndsAtTheMinimumWithNoCapacity() {
        var steps = CapacitySteps(start: 16, minimum: 2, maximum: 300, integral: true)
        let taken = search(&steps, capacity: 0)
        #expect(taken == [16, 8, 4, 2])
        #expect(steps.highestPass == nil && steps.lowestFailure == 2 && !steps.reachedMaximum)
    }

    @Test func ratesNeedNotBeWholeNumbers() {
        var steps = CapacitySteps(start: 10, minimum: 0.01, maximum: 100_000, precision: 0.05, integral: false)
        let taken = search(&steps, capacity: 37.3)
        let pass = try! #require(steps.highestPass), failure = try! #require(steps.lowestFailure)
        #expect(pass <= 37.3 && failure > 37.3 && (failure - pass) <= pass * 0.05, "\(taken)")
    }

    @Test func aRateStepScalesEveryPhaseInProportion() {
        let scenario = Scenario(
            name: "r", clients: 100,
            phases: [
                .init(name: "warm", duration: .seconds(1), publishers: 1, rate: 5),
                .init(name: "ramp", duration: .seconds(1), publishers: 10, rate: 5, rampTo: 50),
            ])
        #expect(CapacitySearch.offeredRate(scenario) == 500, "the ramp's end is the busiest moment")
        let scaled = CapacitySearch.scaled(scenario, toOfferedRate: 1_000)
        #expect(scaled.phases.map(\.rate) == [10, 10])
        #expect(scaled.phases.map(\.rampTo) == [nil, 100])
        #expect(CapacitySearch.offeredRate(scaled) == 1_000)
    }
}

@Suite(.timeLimit(.minutes(2))) struct CapacitySearchTests {
    /// A relay that drops every 10th delivery once it has more than 24 connections: the search
    /// for "every delivery arrives" must answer exactly 24 clients, first failure 25. (Loss, not
    /// latency, marks the capacity here: on two shared cores a latency bound can be crossed by a
    /// stall of the machine, and this test is about the search.) A generous latency SLO rides
    /// along for the chart; the debug gateway shares the test's cores, which can make a step
    /// generator-bound, so the search is told to go on (`allowGeneratorBound`).
    @Test func aRealSearchFindsTheServersKnownCapacity() async throws {
        let target = try await HarnessTarget.start { connections, scheduler in
            LyingRelay(connections: connections, scheduler: scheduler, lie: .dropAbove(members: 24))
        }
        var scenario = relayScenario(clients: 4, publishers: 1, rate: 20, seconds: 1)
        scenario.settle = .milliseconds(100)
        var settings = CapacitySearch.Settings()
        settings.slos = [try Threshold(expression: "delivery.ratio >= 1"), try Threshold(expression: "fanout.p99 < 5s")]
        settings.maximum = 64
        settings.precision = 0.01
        var options = quietOptions()
        options.allowGeneratorBound = true
        let search = CapacitySearch(test: LoadTest(scenario: scenario, source: "", options: options), settings: settings)
        let report = try await search.run(targets: [target.url])
        try await target.stop()

        let capacity = try #require(report.capacity)
        let verdicts = capacity.steps.map { step in
            "\(Int(step.value)): "
                + report.runs[step.run].thresholds.map { "\($0.threshold) → \($0.value.map { String($0) } ?? "-")" }.joined(separator: ", ")
        }
        #expect(capacity.capacity == 24, "\(verdicts)")
        #expect(capacity.firstFailure == 25)
        #expect(capacity.steps.map(\.value).prefix(4) == [4, 8, 16, 32], "doubling first")
        #expect(report.runs.count == capacity.steps.count, "one run per step")
        for step in capacity.steps {
            #expect(report.runs[step.run].clients == Int(step.value))
            let ratio = report.runs[step.run].overall.ratio ?? 0
            #expect(step.passed ? ratio == 1 : ratio < 1, "a step fails by its losses: \(step.value) → \(ratio)")
        }
        #expect(report.passed, "the report's verdicts are those at the answer")
        #expect(report.label(ofRun: 0) == "4 clients")

        // It survives the JSON round trip, and its page draws the curve against the SLO.
        let decoded = try LoadReport.decode(report.encoded(), file: "search.json")
        #expect(decoded.capacity == capacity)
        let page = HTMLReport.render([.init(label: "search", report: report)])
        let parser = XMLParser(data: Data(page.replacingOccurrences(of: "<!DOCTYPE html>\n", with: "").utf8))
        let counter = ElementCounter()
        parser.delegate = counter
        #expect(parser.parse())
        #expect(page.contains("capacity 24 clients: the highest step where"))
        #expect(page.contains("SLO &lt; 5s"), "the latency SLO's line")
        #expect(counter.counts["circle"] == 2 * capacity.steps.count, "every step marked on both charts")
        #expect(page.components(separatedBy: "class=\"mark fail\"").count - 1 == 2 * capacity.steps.filter { !$0.passed }.count)
        #expect(!page.contains("first threshold failure"), "no sweep curve drawn out of order")
    }
}
