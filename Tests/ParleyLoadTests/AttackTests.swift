import Testing

@testable import ParleyLoad

/// `attack: { halfOpen: N }`: a slowloris beside the members, run after the same scenario
/// without it, so one report shows the members' figures both ways.
@Suite(.timeLimit(.minutes(1))) struct AttackTests {
    @Test func halfOpenSocketsAreHeldReopenedWhenClosedAndReportedBesideACalmRun() async throws {
        let target = try await HarnessTarget.start(configure: { $0.headerTimeout = .seconds(1) }) { connections, scheduler in
            LyingRelay(connections: connections, scheduler: scheduler, lie: .none)
        }
        var scenario = relayScenario(clients: 10, publishers: 1, rate: 10, seconds: 2)
        scenario.attack = Scenario.Attack(halfOpen: 50)
        scenario.thresholds = ["delivery.ratio": ">= 1"]
        let report = try await LoadTest(scenario: scenario, source: "", options: quietOptions()).run(targets: [target.url])
        try await target.stop()

        #expect(report.runs.count == 2, "the calm run, then the attacked one")
        #expect(report.runs[0].attack == nil)
        #expect(report.label(ofRun: 0) == "10 clients, no attack")
        #expect(report.label(ofRun: 1) == "10 clients, 50 half-open attack sockets")
        let attack = try #require(report.runs[1].attack)
        #expect(attack.halfOpen == 50)
        // A 1 s header timeout in a run of 2 s and more: every attack socket was closed at least
        // once, and each was opened again.
        #expect(attack.closedByServer >= 50, "\(attack)")
        #expect(attack.opened >= 100, "\(attack)")
        for run in report.runs {
            #expect(run.overall.lost == 0)
            let held = run.thresholds.allSatisfy { $0.passed }
            #expect(held)
        }
        #expect(ReportPrinter.summary(report).contains("attack: 50 half-open sockets"))
    }

    @Test func theScenarioKeyIsCheckedLikeEveryOther() throws {
        let base = "name: a\nclients: 2\nphases:\n  - { name: p, duration: 1s, publishers: 1, rate: 1/s }\n"
        let parser = ScenarioParser(file: "a.yaml")
        let parsed = try parser.parse(base + "attack:\n  halfOpen: 300\n  baseline: false\n")
        #expect(parsed.attack == Scenario.Attack(halfOpen: 300, baseline: false))
        #expect(throws: ScenarioError.self) { try parser.parse(base + "attack:\n  halfOpen: 0\n") }
        #expect(throws: ScenarioError.self) { try parser.parse(base + "attack:\n  slowloris: 3\n") }
    }
}
