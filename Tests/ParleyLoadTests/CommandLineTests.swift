import Foundation
import Testing

/// `parley-load` as CI calls it: exit codes and messages (docs/LOAD.md's contract).
@Suite(.timeLimit(.minutes(2))) struct CommandLineTests {
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    func parleyLoad(_ arguments: [String]) throws -> Outcome {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [directory, URL(fileURLWithPath: ".build/debug")].map { $0.appendingPathComponent("parley-load") }
        let binary = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) })
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    func temporaryFile(_ name: String, _ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("parley-\(UUID().uuidString)-\(name)")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func badScenarioExits2NamingFileLineAndKey() throws {
        let path = try temporaryFile("bad.yaml", "name: x\nclients: 5\nphases:\n  - { name: a, duration: 1s, publishers: 9, rate: 5/s }\n")
        let outcome = try parleyLoad(["run", path, "--quiet"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("\(path):4:"))
        #expect(outcome.stderr.contains("phases[0].publishers: 9 publishers but only 5 clients"))
    }

    @Test func badArgumentsExit2() throws {
        #expect(try parleyLoad(["run"]).status == 2)
        let path = try temporaryFile("ok.yaml", "name: x\nclients: 2\nphases:\n  - { name: a, duration: 1s, publishers: 1, rate: 5/s }\n")
        let outcome = try parleyLoad(["run", path, "--threshold", "fanout.p42 < 1ms"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("unknown metric"))
        #expect(try parleyLoad(["run", "/nonexistent.yaml"]).status == 2)
        let mixed = try parleyLoad(["compare", "a.json", "--new", "b.json"])
        #expect(mixed.status == 2 && mixed.stderr.contains("not a mix"), "\(mixed.stderr)")
    }

    @Test func aCapacitySearchNeedsSomethingToSearchAgainst() throws {
        let path = try temporaryFile(
            "plain.yaml", "name: x\nclients: 2\nphases:\n  - { name: a, duration: 1s, publishers: 1, rate: 5/s }\n")
        let bare = try parleyLoad(["capacity", path, "--quiet"])
        #expect(bare.status == 2)
        #expect(bare.stderr.contains("no thresholds to search against; give --slo"), "\(bare.stderr)")
        let precision = try parleyLoad(["capacity", path, "--slo", "fanout.p99 < 10ms", "--precision", "150%"])
        #expect(precision.status == 2 && precision.stderr.contains("--precision"), "\(precision.stderr)")
        let slo = try parleyLoad(["capacity", path, "--slo", "fanout.p99 < soon"])
        #expect(slo.status == 2 && slo.stderr.contains("--slo fanout.p99 < soon"), "\(slo.stderr)")
        #expect(try parleyLoad(["capacity", path, "--slo", "fanout.p99 < 10ms", "--vary", "nodes"]).status == 2)
    }

    @Test func thresholdsGateTheRunAndCompareGatesChanges() throws {
        let scenario = try temporaryFile(
            "tiny.yaml",
            """
            name: tiny
            description: a gate test
            clients: 5
            settle: 100ms
            phases:
              - { name: steady, duration: 1s, publishers: 1, rate: 5/s }
            """)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("parley-\(UUID().uuidString).json").path
        let passing = try parleyLoad(["run", scenario, "--quiet", "--out", out, "--threshold", "delivery.ratio >= 1"])
        #expect(passing.status == 0, "\(passing.stderr)")
        #expect(passing.stdout.contains("✓ pass  delivery.ratio >= 1"))
        // Judged on its figures even if the busy test machine made the run generator-bound (that
        // exit code, 3, is harness-self-check's to test).
        let failing = try parleyLoad(["run", scenario, "--quiet", "--threshold", "fanout.p99 < 1us", "--allow-generator-bound"])
        #expect(failing.status == 99)
        #expect(failing.stdout.contains("✗ FAIL  fanout.p99 < 1us"))

        #expect(try parleyLoad(["compare", out, out]).status == 0)
        // A copy whose fan-out is ten times slower must fail the comparison.
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        var runs = try #require(json["runs"] as? [[String: Any]])
        var metrics = try #require(runs[0]["metrics"] as? [String: Double])
        metrics["fanout.p99"] = (metrics["fanout.p99"] ?? 1) * 10
        runs[0]["metrics"] = metrics
        json["runs"] = runs
        let slower = out + ".slower.json"
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: slower))
        let compared = try parleyLoad(["compare", out, slower, "--metric", "fanout.p99"])
        #expect(compared.status == 99)
        #expect(compared.stdout.contains("WORSE"))
        let report = try parleyLoad(["report", out])
        #expect(report.status == 0)
        #expect(report.stdout.contains("tiny"))
    }
}
