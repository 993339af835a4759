import Foundation
import ParleyLoad
import Testing

/// The harness against a cluster: clients spread over four nodes, one clock. (Part of the
/// serialized cluster suite: one PostgreSQL and its nodes at a time on a small machine.)
extension ClusterTests {
    @Test func theSmokeScenarioOverFourNodesDeliversEverything() async throws {
        try await withPostgres { postgres in
            try await withCluster(postgres, nodes: 4) { nodes in
                let report = FileManager.default.temporaryDirectory.appendingPathComponent("cluster-smoke-\(UUID().uuidString).json")
                defer { try? FileManager.default.removeItem(at: report) }
                var arguments = ["run", "scenarios/smoke.yaml", "--quiet", "--out", report.path]
                for node in nodes { arguments += ["--target", "ws://127.0.0.1:\(node.port)/ws"] }
                let status = try await runLoad(arguments)
                #expect(status == 0, "parley-load exited \(status) (thresholds: delivery ratio 1, no duplicates)")
                let decoded = try LoadReport.decode(Data(contentsOf: report), file: report.path)
                #expect(decoded.runs[0].connect.ready == 50)
                #expect(decoded.runs[0].overall.expected > 0)
                #expect(decoded.runs[0].overall.received == decoded.runs[0].overall.expected)
                #expect(decoded.runs[0].overall.duplicates == 0)
                #expect(decoded.environment.targets.count == 4)
            }
        }
    }

    private func runLoad(_ arguments: [String]) async throws -> Int32 {
        let binary = FileManager.default.currentDirectoryPath + "/.build/debug/parley-load"
        let result = try await Spawn.run(binary, arguments)
        if result.status != 0 { print(result.output) }
        return result.status
    }
}
