import ArgumentParser
import Foundation
import ParleyLoad

struct BaselineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Write and inspect baseline files: several runs of a scenario that `run --baseline` judges new runs against.",
        subcommands: [Update.self, Show.self]
    )

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the scenario several times and write the runs as a baseline file.",
            discussion: """
                The file holds every run whole (histograms included), the scenario's digest, the
                machine (processor, cores, memory), the commit and Parley's version; `run
                --baseline` refuses another scenario's or machine's baseline unless --force.
                Three runs or more: one run per side cannot tell a change from the noise.

                Examples:
                  parley-load baseline update scenarios/ci-gate.yaml --runs 3 --out baselines/ci-gate.json
                  parley-load baseline update scenarios/broadcast-1k.yaml --target ws://127.0.0.1:8080/ws --runs 5 --out b.json
                """
        )

        @Argument(help: "The scenario file (YAML).") var scenario: String
        @OptionGroup var options: RunOptions
        @Option(help: "Clients to connect, overriding the scenario (and its sweep).") var clients: Int?
        @Option(help: "How many runs the baseline holds.") var runs = 3

        func run() async throws {
            guard let out = options.out else { throw BadInput(description: "baseline update: give --out FILE for the baseline") }
            let reports = try await RepeatedRuns.run(scenario: scenario, options: options, clients: clients, thresholds: [], times: runs)
            for report in reports { print(ReportPrinter.summary(report), terminator: "") }
            let invalid = reports.filter { $0.validity == .generatorBound }.count
            if invalid > 0 && !options.allowGeneratorBound {
                FileHandle.standardError.write(
                    Data(
                        "parley-load: \(invalid) of \(reports.count) runs were generator-bound: not written as a baseline (--allow-generator-bound to keep them)\n"
                            .utf8))
                throw ExitCode(LoadExit.invalidRun)
            }
            try Baseline(reports: reports).write(to: out)
            print("baseline: \(out) (\(reports.count) runs)")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say what a baseline file holds.")

        @Argument(help: "The baseline file.") var file: String

        func run() async throws {
            let baseline: Baseline
            do {
                baseline = try RunFiles.baseline(path: file)
            } catch let error as ReportError {
                throw BadInput(description: error.description)
            }
            print("\(file): \(baseline.reports.count) run(s) of \(baseline.scenarioName) (digest \(baseline.scenarioDigest))")
            print("  machine: \(baseline.machine)")
            print(
                "  commit: \(baseline.commit ?? "unknown"), Parley \(baseline.parleyVersion ?? "unknown"), written \(ISO8601DateFormatter().string(from: baseline.createdAt))"
            )
            for metric in ["fanout.p50", "fanout.p99", "delivery.ratio"] {
                let values = baseline.reports.compactMap { $0.runs.first?.metrics[metric] }
                print("  \(metric): " + values.map { Metrics.format($0, metric: metric) }.joined(separator: ", "))
            }
        }
    }
}

struct Noise: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure this runner's A/A noise per metric and suggest tolerances.",
        discussion: """
            Runs the scenario N times against the same server, splits the runs every way into
            two halves and measures the change between the halves' medians: what `compare`
            would see between two identical builds on this machine. The suggested tolerance
            clears the 95th percentile of those changes by a quarter, rounded up to 5 %.
            Paste the printed compare: block into the scenario (or --out writes it).

            Examples:
              parley-load noise scenarios/ci-gate.yaml --runs 6
              parley-load noise scenarios/broadcast-1k.yaml --target ws://127.0.0.1:8080/ws --runs 8 --out out/tolerances.yaml --markdown
            """
    )

    @Argument(help: "The scenario file (YAML).") var scenario: String
    @OptionGroup var options: RunOptions
    @Option(help: "Clients to connect, overriding the scenario.") var clients: Int?
    @Option(help: "Runs (at least 4: two halves of two).") var runs = 6
    @Option(help: "A metric to measure; repeatable (default: the headline metrics).") var metric: [String] = []
    @Flag(help: "Print the table as Markdown.") var markdown = false

    func run() async throws {
        guard runs >= 4 else { throw BadInput(description: "--runs must be at least 4 (two halves of two runs)") }
        for name in metric where Metrics.unit(of: name) == nil {
            throw BadInput(description: "--metric: unknown metric \"\(name)\" (known: \(Metrics.names.joined(separator: ", ")))")
        }
        var quiet = options
        let out = options.out
        quiet.out = nil
        let reports = try await RepeatedRuns.run(scenario: scenario, options: quiet, clients: clients, thresholds: [], times: runs)
        let invalid = reports.filter { $0.validity == .generatorBound }.count
        if invalid > 0 {
            FileHandle.standardError.write(
                Data("parley-load: warning: \(invalid) of \(runs) runs were generator-bound: this noise is partly parley-load's\n".utf8))
        }
        let floor = NoiseFloor(reports: reports, metrics: metric.isEmpty ? Comparison.defaultMetrics : metric)
        print("A/A noise of \(reports.first?.scenario.name ?? scenario) over \(runs) runs on \(Machine.current):")
        print(markdown ? floor.markdown() : floor.table(), terminator: "")
        print("\n" + floor.yaml(), terminator: "")
        if let out {
            let url = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(floor.yaml().utf8).write(to: url)
            print("tolerances: \(out)")
        }
    }
}
