import ArgumentParser
import Foundation
import ParleyGateway
import ParleyLoad

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario and print its summary (optionally write the JSON report).",
        discussion: """
            Every client is a real WebSocket connection. Publishers send on an open-model
            timetable; every receiver records receive time minus scheduled send time.

            Examples:
              parley-load run scenarios/default.yaml --out out/default.json
              parley-load run scenarios/smoke.yaml --threshold 'fanout.p99 < 50ms'
              parley-load run scenarios/broadcast-1k.yaml --target ws://127.0.0.1:8080/ws
              parley-load run scenarios/raw-echo.yaml --target ws://127.0.0.1:9001/ --clients 200
            """
    )

    @Argument(help: "The scenario file (YAML).") var scenario: String
    @Option(help: "A ws:// URL to test; repeat to spread clients over several. Overrides the scenario's target.")
    var target: [String] = []
    @Flag(help: "Start a gateway inside this process on a free loopback port (the default when the scenario names no target).")
    var embedded = false
    @Option(help: "Clients to connect, overriding the scenario (and its sweep).") var clients: Int?
    @Option(help: "Total phase time, e.g. 20s; phases are scaled to fit.") var duration: String?
    @Option(help: "Write the JSON report here.") var out: String?
    @Option(help: "Also write HdrHistogram percentile-distribution files (.hgrm, ms) per phase into this folder.")
    var hgrm: String?
    @Option(help: "Also write a self-contained HTML page with plots and tables.") var html: String?
    @Option(help: "An extra threshold, e.g. 'fanout.p99 < 50ms'; repeatable.") var threshold: [String] = []
    @Flag(help: "No progress line on stderr.") var quiet = false
    @Option(help: "Event loops for the clients; one per core by default.") var eventLoops = ProcessInfo.processInfo.activeProcessorCount

    func run() async throws {
        let (parsed, source) = try ScenarioParser.load(path: scenario)
        var options = LoadTest.Options()
        options.clients = clients
        options.quiet = quiet
        options.eventLoops = eventLoops
        options.commit = Self.commit()
        if let duration {
            guard let value = Quantities.duration(duration), value > .zero else {
                throw BadInput(description: "--duration: expected a duration like 20s, got \"\(duration)\"")
            }
            options.duration = value
        }
        for expression in threshold {
            do {
                options.extraThresholds.append(try Threshold(expression: expression))
            } catch {
                throw BadInput(description: "--threshold \(expression): \(error.message)")
            }
        }
        if let clients, clients < 1 { throw BadInput(description: "--clients must be at least 1") }

        let limit = OpenFilesLimit.raiseToHardLimit()
        let test = LoadTest(scenario: parsed, source: source, options: options)
        let needed = (test.scenario.sweepClients?.max() ?? test.scenario.clients) + 64
        let useEmbedded = embedded || (target.isEmpty && test.scenario.target == .embedded)
        if limit > 0 && needed * (useEmbedded ? 2 : 1) > limit {
            FileHandle.standardError.write(Data(
                "parley-load: warning: \(needed) clients need about \(needed * (useEmbedded ? 2 : 1)) descriptors; the limit is \(limit)\n".utf8))
        }

        let report: LoadReport
        if useEmbedded {
            let gateway = try await EmbeddedGateway.start()
            do {
                report = try await test.run(targets: [gateway.url])
            } catch {
                try? await gateway.stop()
                throw error
            }
            try? await gateway.stop()
        } else {
            let targets: [String]
            if !target.isEmpty {
                targets = target
            } else if case .urls(let urls) = test.scenario.target {
                targets = urls
            } else {
                targets = []
            }
            report = try await test.run(targets: targets)
        }

        print(ReportPrinter.summary(report), terminator: "")
        if let out {
            let url = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try report.encoded().write(to: url)
            print("report: \(out)")
        }
        if let hgrm {
            for file in try PercentileFiles.write(report, to: hgrm) { print("hgrm: \(file)") }
        }
        if let html {
            try HTMLOutput.write([.init(label: report.scenario.name, report: report)], comparison: nil, to: html)
        }
        if !report.passed { throw ExitCode(LoadExit.thresholdFailed) }
    }

    static func commit() -> String? {
        if let commit = ProcessInfo.processInfo.environment["PARLEY_COMMIT"] { return commit }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "rev-parse", "--short", "HEAD"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
