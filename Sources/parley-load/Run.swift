import ArgumentParser
import Foundation
import ParleyLoad

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario and print its summary (optionally write the JSON report).",
        discussion: """
            Every client is a real WebSocket connection. Publishers send on an open-model
            timetable; every receiver records receive time minus scheduled send time.
            The harness watches itself: a run where its own event loops fell behind (lag p99
            over --max-loop-lag, or a loop over --max-generator-cpu busy) is marked
            GENERATOR-BOUND, and its time and rate thresholds fail saying so.

            Examples:
              parley-load run scenarios/default.yaml --out out/default.json
              parley-load run scenarios/smoke.yaml --threshold 'fanout.p99 < 50ms'
              parley-load run scenarios/broadcast-1k.yaml --target ws://127.0.0.1:8080/ws
              parley-load run scenarios/raw-echo.yaml --target ws://127.0.0.1:9001/ --clients 200
              parley-load run scenarios/scaling-sweep.yaml --html out/sweep.html
              parley-load run scenarios/broadcast-10k.yaml --threads 2 --max-loop-lag 20ms
            """
    )

    @Argument(help: "The scenario file (YAML).") var scenario: String
    @OptionGroup var options: RunOptions
    @Option(help: "Clients to connect, overriding the scenario (and its sweep).") var clients: Int?
    @Option(help: "Also write HdrHistogram percentile-distribution files (.hgrm, ms) per phase into this folder.")
    var hgrm: String?
    @Option(help: "An extra threshold, e.g. 'fanout.p99 < 50ms'; repeatable.") var threshold: [String] = []

    func run() async throws {
        let (parsed, source) = try ScenarioParser.load(path: scenario)
        var loadOptions = try options.loadOptions()
        loadOptions.clients = clients
        loadOptions.extraThresholds = try RunOptions.thresholds(threshold, flag: "--threshold")
        if let clients, clients < 1 { throw BadInput(description: "--clients must be at least 1") }

        let test = LoadTest(scenario: parsed, source: source, options: loadOptions)
        let needed = test.scenario.sweepClients?.max() ?? test.scenario.clients
        let report = try await Targets.with(test, target: options.target, embedded: options.embedded, clients: needed) { targets in
            try await test.run(targets: targets)
        }

        print(ReportPrinter.summary(report), terminator: "")
        try options.write(report)
        if let hgrm {
            for file in try PercentileFiles.write(report, to: hgrm) { print("hgrm: \(file)") }
        }
        if !report.passed {
            throw ExitCode(report.validity == .generatorBound && !loadOptions.allowGeneratorBound ? LoadExit.invalidRun : LoadExit.thresholdFailed)
        }
    }
}
