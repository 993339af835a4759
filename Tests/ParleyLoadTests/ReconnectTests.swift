import ParleyChat
import ParleyGateway
import ParleyLoad
import Testing

/// `reconnect:` measured against a real gateway: dropped clients come back, resume, and miss
/// nothing; without resume the same drop shows as gaps — the metric can fail.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ReconnectTests {
    private func run(resume: Bool) async throws -> RunReport { try await report(resume: resume).runs[0] }

    private func report(resume: Bool) async throws -> LoadReport {
        let gateway = try await HarnessTarget.start { connections, scheduler in
            ChatHandler(connections: connections, scheduler: scheduler)
        }
        var scenario = Scenario(
            name: "reconnect", clients: 60, phases: [.init(name: "steady", duration: .seconds(3), publishers: 3, rate: 10)])
        scenario.settle = .milliseconds(300)
        scenario.reconnect = Scenario.Reconnect(drop: 0.25, at: .milliseconds(800), away: .milliseconds(700), resume: resume)
        let report = try await LoadTest(scenario: scenario, source: "", options: quietOptions()).run(targets: [gateway.url])
        try await gateway.stop()
        return report
    }

    @Test func droppedClientsComeBackAndResumeWithoutGapsOrDuplicates() async throws {
        let report = try await report(resume: true)
        let run = report.runs[0]
        let resume = try #require(run.resume)
        // 25 % of the 60 members, chosen among the 57 that do not publish.
        #expect(resume.dropped == 15 && resume.serverClosed == 0, "\(resume)")
        #expect(resume.outcomes == ["resumed": 15], "\(resume.outcomes)")
        #expect(resume.gaps == 0 && resume.duplicates == 0)
        // They were away 0.7 s of 30 msg/s: what was sent meanwhile came as replays.
        #expect(resume.replayed >= 15 * 10, "replayed \(resume.replayed)")
        #expect(run.overall.expected > 0 && run.overall.received == run.overall.expected)
        #expect(run.metrics["resume.gaps"] == 0 && run.metrics["resume.failed"] == 0)
        #expect(resume.latency.count == 15)
        // The summary and the page say how they came back.
        #expect(ReportPrinter.summary(report).contains("reconnects: 15 dropped, 0 closed by the server; 15 resumed"))
        #expect(HTMLReport.render([.init(label: "run", report: report)]).contains("<dt>answers</dt><dd>15 resumed</dd>"))
    }

    @Test func withoutResumeTheSameDropShowsAsGaps() async throws {
        let run = try await run(resume: false)
        let resume = try #require(run.resume)
        #expect(resume.dropped == 15)
        #expect(resume.replayed == 0)
        // Each missed about 0.7 s × 30 msg/s; the same count is lost from the delivery ratio.
        #expect(resume.gaps >= 15 * 10, "gaps \(resume.gaps)")
        #expect(run.overall.lost == resume.gaps)
    }
}
