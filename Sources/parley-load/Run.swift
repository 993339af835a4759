import ArgumentParser
import Foundation
import NIOPosix
import ParleyLoad

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario and print its summary (optionally write the JSON report, compare with a baseline).",
        discussion: """
            Every client is a real WebSocket connection. Publishers send on an open-model
            timetable; every receiver records receive time minus scheduled send time.
            The harness watches itself: a run where its own event loops fell behind (lag p99
            over --max-loop-lag, or a loop over --max-generator-cpu busy) is marked
            GENERATOR-BOUND, and its time and rate thresholds fail saying so.

            With --baseline the new run(s) are compared with stored runs (parley-load baseline
            update): a metric is WORSE when its change passes its tolerance and the bootstrap
            95 % interval of the change excludes zero; then the exit code is 99.

            Examples:
              parley-load run scenarios/default.yaml --out out/default.json
              parley-load run scenarios/smoke.yaml --threshold 'fanout.p99 < 50ms'
              parley-load run scenarios/broadcast-1k.yaml --target ws://127.0.0.1:8080/ws
              parley-load run scenarios/raw-echo.yaml --target ws://127.0.0.1:9001/ --clients 200
              parley-load run scenarios/scaling-sweep.yaml --html out/sweep.html
              parley-load run scenarios/broadcast-10k.yaml --threads 2 --max-loop-lag 20ms
              parley-load run scenarios/ci-gate.yaml --runs 3 --baseline baselines/ci-gate.json --junit out/junit.xml --github-summary
              parley-load run scenarios/ci-gate.yaml --runs 3 --baseline b.json --tolerance fanout.p99=20% --tolerance connect.p99=ignore
            """
    )

    @Argument(help: "The scenario file (YAML).") var scenario: String
    @OptionGroup var options: RunOptions
    @Option(help: "Clients to connect, overriding the scenario (and its sweep).") var clients: Int?
    @Option(help: "Also write HdrHistogram percentile-distribution files (.hgrm, ms) per phase into this folder.")
    var hgrm: String?
    @Option(help: "An extra threshold, e.g. 'fanout.p99 < 50ms'; repeatable.") var threshold: [String] = []
    @Option(help: "Run the scenario this many times (reports: --out x.json becomes x-1.json, x-2.json, …).") var runs = 1
    @Option(help: "A baseline file (or a single report) to compare the run(s) with; repeatable.") var baseline: [String] = []
    @OptionGroup var gate: GateOptions
    @Option(help: "Serve the run's live figures in Prometheus text at http://HOST:PORT/metrics while it runs.") var metricsPort: Int?
    @Option(help: "The address --metrics-port listens on.") var metricsHost = "127.0.0.1"

    func run() async throws {
        let baselines: [Baseline]
        do {
            baselines = try baseline.map { try RunFiles.baseline(path: $0) }
        } catch let error as ReportError {
            throw BadInput(description: error.description)
        }
        var tolerances = Tolerances()
        let metrics = try gate.metrics()
        let live = metricsPort.map { _ in LiveFigures() }
        var server: LiveMetricsServer?
        if let metricsPort, let live {
            do {
                server = try await LiveMetricsServer.start(
                    host: metricsHost, port: metricsPort, figures: live, group: MultiThreadedEventLoopGroup.singleton)
            } catch {
                throw BadInput(description: "--metrics-port \(metricsPort): cannot listen on \(metricsHost):\(metricsPort) (\(error))")
            }
            FileHandle.standardError.write(Data("parley-load: live figures at http://\(metricsHost):\(metricsPort)/metrics\n".utf8))
        }
        let reports = try await RepeatedRuns.run(
            scenario: scenario, options: options, clients: clients, thresholds: threshold, times: runs, live: live
        ) { test in
            tolerances = try gate.tolerances(scenario: test.scenario.compare ?? [:])
            // Refuse another scenario's or machine's baseline before spending the run's minutes.
            try gate.check(baselines.flatMap { $0.mismatches(digests: [test.scenarioDigest], machines: [Machine.current]) })
        }
        for (index, report) in reports.enumerated() {
            print(ReportPrinter.summary(report), terminator: "")
            try options.write(
                report, out: options.out.map { RepeatedRuns.path($0, index: index, of: reports.count) },
                html: reports.count == 1 ? options.html : nil)
            if let hgrm {
                let folder = reports.count > 1 ? "\(hgrm)/run-\(index + 1)" : hgrm
                for file in try PercentileFiles.write(report, to: folder) { print("hgrm: \(file)") }
            }
        }
        if reports.count > 1, let html = options.html {
            let entries = reports.enumerated().map { HTMLReport.Entry(label: "run \($0.offset + 1)", report: $0.element) }
            try HTMLOutput.write(entries, comparison: nil, to: html)
        }
        var comparison: Comparison?
        if !baselines.isEmpty {
            let compared = Comparison(bases: baselines.flatMap(\.reports), news: reports, tolerances: tolerances, metrics: metrics)
            print(
                "\ncompared with \(baseline.joined(separator: ", ")) (\(compared.baseCount) run(s)) over \(compared.newCount) new run(s):")
            print(compared.table(colour: isatty(STDOUT_FILENO) != 0), terminator: "")
            comparison = compared
        }
        // Scrapers see "done" until here; then the port is let go.
        await server?.stop()
        try gate.publish(reports: reports, comparison: comparison)
        let code = GateOptions.exitCode(reports: reports, comparison: comparison, allowGeneratorBound: options.allowGeneratorBound)
        if code != 0 { throw ExitCode(code) }
    }
}
