import Foundation
import NIOPosix
import NIOSSL

extension LoadTest {
    /// Runs steps of a test against its targets and assembles the report.
    public struct Harness: Sendable {
        let test: LoadTest
        let targets: [TargetURL]
        /// The targets as agents are told them.
        let targetTexts: [String]
        let group: MultiThreadedEventLoopGroup
        let tls: NIOSSLContext?
        let startedAt: Date
        /// Set when runs are split over load agents.
        let coordinator: Coordinator?

        /// One run of `scenario` (the test's, or a variant of it) with `clients`, judged by `thresholds`.
        public func run(_ scenario: Scenario, clients: Int, label: String, thresholds: [Threshold]) async throws -> RunReport {
            var report: RunReport
            if let coordinator {
                let (merged, agents) = try await coordinator.run(
                    scenario, clients: clients, targets: targetTexts, label: label, bounds: test.options.generatorBounds)
                report = RunAnalysis.report(merged, scenario: scenario, bounds: test.options.generatorBounds, targets: targetTexts)
                report.attach(agents)
            } else {
                let progress = ProgressLine.forTerminal(label: label, quiet: test.options.quiet)
                let run = LoadRun(
                    scenario: scenario, clients: clients, targets: targets, group: group, tls: tls, progress: progress,
                    live: test.options.live, receivePath: test.options.receivePath, faults: test.faultSchedule(for: scenario))
                report = RunAnalysis.report(
                    try await run.run(), scenario: scenario, bounds: test.options.generatorBounds, targets: targetTexts)
            }
            let verdicts = thresholds.map { $0.verdict(in: report.metrics) }
            report.thresholds =
                report.generator.map { generator in
                    verdicts.map { generator.judge($0, allowGeneratorBound: test.options.allowGeneratorBound) }
                } ?? verdicts
            return report
        }

        /// An agent's share of a coordinator's run: its clients only, phases started when
        /// `startGate` answers. The result stays raw (local time): the coordinator analyses the
        /// merge of every agent's.
        func runShare(
            _ scenario: Scenario, share: RunShare, startGate: @escaping @Sendable (Int) async throws -> UInt64
        ) async throws -> LoadRun.Result {
            var mine = scenario
            // Arrivals keep the scenario's total rate: each agent connects its part of it.
            mine.connect.rate = scenario.connect.rate * Double(max(share.clients, 1)) / Double(max(share.totalClients, 1))
            let run = LoadRun(
                scenario: mine, clients: share.clients, targets: targets, group: group, tls: tls, progress: nil, share: share,
                startGate: startGate)
            return try await run.run()
        }

        public func report(runs: [RunReport], thresholds: [ThresholdVerdict]) -> LoadReport {
            let scenario = test.scenario
            return LoadReport(
                scenario: scenario, scenarioSource: test.source, scenarioDigest: Digest.of(scenario),
                environment: Environment.current(
                    targets: targets.map(\.description), eventLoops: test.options.eventLoops, commit: test.options.commit,
                    insecureTLS: tls != nil && test.options.tlsInsecure),
                startedAt: startedAt, runs: runs, thresholds: thresholds,
                validity: runs.contains { $0.validity == .generatorBound } ? .generatorBound : .valid)
        }
    }
}
