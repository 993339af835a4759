import Foundation
import ParleyLoad
import Testing

/// The harness's reconnects against a cluster: members dropped for 2 s under 10 msg/s come back
/// on another node, and a node that goes away sends its members to the others; every one of them
/// resumes from PostgreSQL's history with nothing missed and nothing doubled.
extension ClusterTests {
    @Test func droppedMembersAndAStoppedNodesMembersResumeOnOtherNodesWithoutGaps() async throws {
        try await withPostgres { postgres in
            try await withCluster(postgres, nodes: 2) { nodes in
                let leaving = try await ClusterNode.start(postgres, name: "c")
                var scenario = Scenario(
                    name: "cluster-reconnect", clients: 45, phases: [.init(name: "steady", duration: .seconds(5), publishers: 2, rate: 5)])
                scenario.settle = .milliseconds(300)
                scenario.reconnect = Scenario.Reconnect(drop: 0.2, at: .seconds(1), away: .seconds(2))
                var options = LoadTest.Options()
                options.quiet = true
                options.eventLoops = 2
                let targets = (nodes + [leaving]).map { "ws://127.0.0.1:\($0.port)/ws" }
                let load = Task { try await LoadTest(scenario: scenario, source: "", options: options).run(targets: targets) }
                // About 2.5 s into the phases: its members are closed (1001) and come back elsewhere.
                try await Task.sleep(for: .seconds(3))
                await leaving.stop()
                let report = try await load.value
                let run = report.runs[0]
                let resume = try #require(run.resume)
                #expect(resume.dropped == 9, "20 % of 45: \(resume)")
                // Node c held 15 of the 45; at most the 9 dropped were among them.
                #expect(resume.serverClosed >= 6, "node c's members came back: \(resume)")
                #expect(resume.outcomes == ["resumed": resume.dropped + resume.serverClosed], "\(resume.outcomes)")
                #expect(resume.gaps == 0 && resume.duplicates == 0, "\(resume)")
                // Two seconds away at 10 msg/s: about 20 replayed to each dropped member.
                #expect(resume.replayed >= 9 * 15, "replayed \(resume.replayed)")
                #expect(run.overall.duplicates == 0)
                // No publisher was on the node that went (publishers are the lowest indices: nodes a and b).
                #expect(run.overall.expected > 0 && run.overall.received == run.overall.expected)
            }
        }
    }
}
