import ArgumentParser
import Foundation
import ParleyLoad

struct Capacity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the highest load at which every SLO holds (the capacity).",
        discussion: """
            Runs the scenario once per step: doubles the load (clients, or the offered message
            rate) until a step fails an SLO, then bisects between the last pass and the first
            failure until they are within --precision. Every step's run is in the report; the
            HTML page draws the curve with each SLO's line. Each step lasts the scenario's
            phases (or --duration): long enough that one step is a stable measurement.

            Exit codes: 0 a capacity was found (and met --require); 99 no step passed, or the
            capacity is below --require; 2 bad arguments.

            Examples:
              parley-load capacity scenarios/capacity.yaml --slo 'fanout.p99 < 100ms' --slo 'delivery.ratio >= 1'
              parley-load capacity scenarios/broadcast-1k.yaml --vary rate --slo 'fanout.p99 < 50ms' --html out/rate.html
              parley-load capacity scenarios/capacity.yaml --max 4000 --precision 5% --require 1000 --out out/capacity.json
            """
    )

    @Argument(help: "The scenario file (YAML); its clients (or rate) is the first step.") var scenario: String
    @Option(help: "A service-level objective, e.g. 'fanout.p99 < 100ms'; repeatable (default: the scenario's thresholds).")
    var slo: [String] = []
    @Option(help: "What to step up: clients, or rate (the offered msg/s; phases keep their proportions).")
    var vary: CapacitySearch.Variable = .clients
    @Option(help: "The first step (default: the scenario's clients, or its offered rate).") var start: Double?
    @Option(help: "The highest step to try (default: clients this process can hold, or 1000× the offered rate).")
    var max: Double?
    @Option(help: "How much each step grows before the first failure.") var factor = 2.0
    @Option(help: "Stop bisecting when the first failure is within this of the capacity, e.g. 10% or 0.1.")
    var precision = "10%"
    @Option(help: "Exit 99 unless the capacity is at least this (for CI).") var require: Double?
    @Option(help: "Wait this long between steps, e.g. 5s (a cluster frees the last step's members through its database).")
    var pause: String?
    @OptionGroup var options: RunOptions

    func run() async throws {
        let (parsed, source) = try ScenarioParser.load(path: scenario)
        let test = LoadTest(scenario: parsed, source: source, options: try options.loadOptions())
        var settings = CapacitySearch.Settings()
        settings.vary = vary
        settings.slos = try RunOptions.thresholds(slo, flag: "--slo")
        if settings.slos.isEmpty { settings.slos = try test.thresholds() }
        guard !settings.slos.isEmpty else {
            throw BadInput(description: "\(scenario): no thresholds to search against; give --slo 'fanout.p99 < 100ms' (repeatable)")
        }
        settings.start = start
        settings.maximum =
            max ?? (vary == .clients ? Double(Targets.clientLimit(test, target: options.target, embedded: options.embedded)) : nil)
        guard factor > 1 else { throw BadInput(description: "--factor must be more than 1, got \(factor)") }
        settings.factor = factor
        settings.precision = try Self.fraction(precision)
        if let pause {
            guard let value = Quantities.duration(pause), value >= .zero else {
                throw BadInput(description: "--pause: expected a duration like 5s, got \"\(pause)\"")
            }
            settings.pause = value
        }
        if let start, start <= 0 { throw BadInput(description: "--start must be positive") }
        if vary == .rate && CapacitySearch.offeredRate(test.scenario) <= 0 {
            throw BadInput(description: "\(scenario): no phase publishes, so there is no rate to vary")
        }
        let search = CapacitySearch(test: test, settings: settings)
        let quiet = options.quiet, variable = vary
        let needed = Int(search.steps().maximum)
        let report = try await Targets.with(test, target: options.target, embedded: options.embedded, clients: needed) { targets in
            try await search.run(targets: targets) { step, run in
                guard !quiet else { return }
                FileHandle.standardError.write(Data((CapacityPrinter.stepLine(step, run: run, vary: variable) + "\n").utf8))
            }
        }
        print(ReportPrinter.summary(report), terminator: "")
        try options.write(report)
        let found = report.capacity?.capacity
        if found == nil { throw ExitCode(LoadExit.thresholdFailed) }
        if let require, let found, found < require {
            print(
                "capacity \(CapacityReport.describe(found, vary: vary)) is below --require \(CapacityReport.describe(require, vary: vary))")
            throw ExitCode(LoadExit.thresholdFailed)
        }
    }

    static func fraction(_ text: String) throws -> Double {
        guard let value = Quantities.fraction(text), value > 0, value < 1 else {
            throw BadInput(description: "--precision: expected a fraction like 10% or 0.1, got \"\(text)\"")
        }
        return value
    }
}

extension CapacitySearch.Variable: ExpressibleByArgument {}
extension ReceivePath: ExpressibleByArgument {}
