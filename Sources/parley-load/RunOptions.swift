import ArgumentParser
import Foundation
import ParleyLoad

/// What `run` and `capacity` share: where the clients go, how long phases last, and the
/// output files every run can write.
struct RunOptions: ParsableArguments {
    @Option(help: "A ws:// URL to test; repeat to spread clients over several. Overrides the scenario's target.")
    var target: [String] = []
    @Flag(help: "Start a gateway inside this process on a free loopback port (the default when the scenario names no target).")
    var embedded = false
    @Option(help: "Total phase time, e.g. 20s; phases are scaled to fit.") var duration: String?
    @Option(help: "wss:// targets: also trust the CA certificate(s) in this PEM file.") var ca: String?
    @Flag(help: "wss:// targets: accept any certificate (self-signed, expired, another host's); the report says so.")
    var insecure = false
    @Option(help: "Write the JSON report here.") var out: String?
    @Option(help: "Also write a self-contained HTML page with plots and tables.") var html: String?
    @Flag(help: "No progress on stderr.") var quiet = false
    @Option(
        name: [.customLong("threads"), .customLong("event-loops")],
        help: "Event loops (threads) the clients are dealt over; one per usable core by default.")
    var eventLoops = LoadTest.Options().eventLoops
    @Option(
        help: """
            How ready clients read their sockets: direct (an epoll thread per event loop, the C \
            probe client's cost per frame) or nio (NIO's channels, as before). TLS, reconnect, churn \
            and presence scenarios, and publishers, always use nio.
            """)
    var receive: ReceivePath = .direct
    @Option(help: "A run whose event loops ran a 10 ms timer later than this at p99 is generator-bound.")
    var maxLoopLag = "10ms"
    @Option(
        help:
            "A run where an event loop was busy at least this share of a phase (or the loops together this share of their cores) is generator-bound, e.g. 90%."
    )
    var maxGeneratorCpu = "90%"
    @Flag(help: "Judge thresholds even on a generator-bound run (by default they fail, saying why).")
    var allowGeneratorBound = false
    @Option(
        help:
            "Split every run over these load agents (HOST:PORT,HOST:PORT; each running `parley-load agent --listen`); their figures are merged exactly."
    )
    var agents: String?
    @Option(
        help:
            "The lab the scenario's faults: act on: its description file (Benchmarks/lab.py up writes /run/plab/lab.json). Needs root."
    )
    var lab: String?

    func loadOptions() throws -> LoadTest.Options {
        var options = LoadTest.Options()
        options.quiet = quiet
        options.eventLoops = eventLoops
        options.receivePath = receive
        options.commit = Self.commit()
        options.tlsCAFile = ca
        options.tlsInsecure = insecure
        options.allowGeneratorBound = allowGeneratorBound
        if let lab { options.lab = NamespaceLab(try LabDescription.load(path: lab)) }
        if let agents {
            let list = agents.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !list.isEmpty else { throw BadInput(description: "--agents: expected HOST:PORT[,HOST:PORT…], got \"\(agents)\"") }
            for address in list where AgentAddress.split(address) == nil {
                throw BadInput(description: "--agents: \"\(address)\" is not HOST:PORT")
            }
            guard Set(list).count == list.count else { throw BadInput(description: "--agents: an agent is listed twice") }
            options.agents = list
        }
        guard let lag = Quantities.duration(maxLoopLag), lag > .zero else {
            throw BadInput(description: "--max-loop-lag: expected a duration like 20ms, got \"\(maxLoopLag)\"")
        }
        options.generatorBounds.maximumLoopLag = lag
        guard let share = Quantities.fraction(maxGeneratorCpu), share > 0, share <= 1 else {
            throw BadInput(description: "--max-generator-cpu: expected a share like 90%, got \"\(maxGeneratorCpu)\"")
        }
        options.generatorBounds.cpuShare = share
        if let duration {
            guard let value = Quantities.duration(duration), value > .zero else {
                throw BadInput(description: "--duration: expected a duration like 20s, got \"\(duration)\"")
            }
            options.duration = value
        }
        return options
    }

    /// Writes the JSON report and the HTML page when asked, saying where.
    func write(_ report: LoadReport) throws { try write(report, out: out, html: html) }

    /// The same to given paths (one of several runs gets its own name; their page is written once).
    func write(_ report: LoadReport, out: String?, html: String?) throws {
        if let out {
            let url = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try report.encoded().write(to: url)
            print("report: \(out)")
        }
        if let html {
            try HTMLOutput.write([.init(label: report.scenario.name, report: report)], comparison: nil, to: html)
        }
    }

    static func thresholds(_ expressions: [String], flag: String) throws -> [Threshold] {
        try expressions.map { expression in
            do throws(ThresholdError) {
                return try Threshold(expression: expression)
            } catch {
                throw BadInput(description: "\(flag) \(expression): \(error.message)")
            }
        }
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
