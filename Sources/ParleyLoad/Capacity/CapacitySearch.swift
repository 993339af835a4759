import Foundation

/// `parley-load capacity`: the highest load at which every SLO holds. Steps the load up (clients,
/// or the offered message rate) with `CapacitySteps`, runs the scenario once per step, and keeps
/// every step's run in one report, whose `capacity` says what was found.
public struct CapacitySearch: Sendable {
    public enum Variable: String, Sendable, Codable, CaseIterable {
        /// Members in the room; the publishers and their rates stay as written.
        case clients
        /// The offered message rate (publishers × rate of the busiest phase); every phase's rate
        /// scales by the same factor, the clients stay as written.
        case rate
    }

    public struct Settings: Sendable {
        public var vary: Variable = .clients
        public var slos: [Threshold] = []
        public var start: Double?
        public var maximum: Double?
        public var factor = 2.0
        public var precision = 0.1
        /// A wait between steps: a cluster releases the last step's members (and their names,
        /// which the next step's clients take again) through its database, which takes a while
        /// on a node with a small CPU budget.
        public var pause: Duration = .zero

        public init() {}
    }

    public let test: LoadTest
    public let settings: Settings

    public init(test: LoadTest, settings: Settings) {
        self.test = test
        self.settings = settings
    }

    /// The steps this search takes, before any has run.
    public func steps() -> CapacitySteps {
        let scenario = test.scenario
        switch settings.vary {
        case .clients:
            let fewest = Double(max(1, scenario.phases.map(\.publishers).max() ?? 1))
            return CapacitySteps(
                start: settings.start ?? Double(scenario.sweepClients?.min() ?? scenario.clients), minimum: fewest,
                maximum: settings.maximum ?? 10_000, factor: settings.factor, precision: settings.precision, integral: true)
        case .rate:
            let written = Self.offeredRate(scenario)
            return CapacitySteps(
                start: settings.start ?? written, minimum: written / 1_000, maximum: settings.maximum ?? written * 1_000,
                factor: settings.factor, precision: settings.precision, integral: false)
        }
    }

    /// Runs the search; `onStep` hears of each step as it ends (for progress lines).
    public func run(targets: [String], onStep: @Sendable (CapacityStep, RunReport) -> Void = { _, _ in }) async throws -> LoadReport {
        let slos = settings.slos
        var steps = steps()
        return try await test.withHarness(targets: targets) { harness in
            var runs: [RunReport] = []
            var record: [CapacityStep] = []
            var generatorLimit: Double?
            while generatorLimit == nil, let value = steps.next {
                if !record.isEmpty && settings.pause > .zero { try await Task.sleep(for: settings.pause) }
                let (scenario, clients) = variant(at: value)
                let run = try await harness.run(
                    scenario, clients: clients, label: "\(test.scenario.name) step \(record.count + 1): \(describe(value))",
                    thresholds: slos)
                let step = CapacityStep(value: value, passed: run.thresholds.allSatisfy(\.passed), run: runs.count)
                runs.append(run)
                record.append(step)
                steps.record(value, passed: step.passed)
                onStep(step, run)
                // Past the generator's own limit every step would measure the generator: stop,
                // and answer with what the generator could show.
                if run.validity == .generatorBound && !test.options.allowGeneratorBound { generatorLimit = value }
            }
            let answer =
                steps.highestPass.flatMap { pass in record.first { $0.value == pass } }
                ?? record.min { $0.value < $1.value }
            var report = harness.report(runs: runs, thresholds: answer.map { runs[$0.run].thresholds } ?? [])
            report.capacity = CapacityReport(
                vary: settings.vary, slos: slos.map(\.text), capacity: steps.highestPass, firstFailure: steps.lowestFailure,
                reachedMaximum: steps.reachedMaximum, maximum: steps.maximum, precision: steps.precision, steps: record,
                generatorBoundAt: generatorLimit)
            return report
        }
    }

    /// The scenario and client count of the step at `value`.
    func variant(at value: Double) -> (Scenario, Int) {
        switch settings.vary {
        case .clients:
            return (test.scenario, Int(value))
        case .rate:
            return (Self.scaled(test.scenario, toOfferedRate: value), test.scenario.clients)
        }
    }

    func describe(_ value: Double) -> String {
        CapacityReport.describe(value, vary: settings.vary)
    }

    /// Publishers × rate of the busiest moment of any phase (a ramp's end counts).
    public static func offeredRate(_ scenario: Scenario) -> Double {
        scenario.phases.map { Double($0.publishers) * max($0.rate, $0.rampTo ?? 0) }.max() ?? 0
    }

    /// Every phase's rate (and ramp) multiplied so that the busiest moment offers `rate` msg/s.
    public static func scaled(_ scenario: Scenario, toOfferedRate rate: Double) -> Scenario {
        let written = offeredRate(scenario)
        guard written > 0 else { return scenario }
        let factor = rate / written
        var scaled = scenario
        for index in scaled.phases.indices {
            scaled.phases[index].rate *= factor
            scaled.phases[index].rampTo = scaled.phases[index].rampTo.map { $0 * factor }
        }
        return scaled
    }
}

/// What a capacity search found, with every step it took (in the order run).
public struct CapacityReport: Codable, Sendable, Equatable {
    public var vary: CapacitySearch.Variable
    public var slos: [String]
    /// The highest step where every SLO held; nil when none did.
    public var capacity: Double?
    /// The lowest step where an SLO failed; nil when none did (up to `maximum`).
    public var firstFailure: Double?
    public var reachedMaximum: Bool
    public var maximum: Double
    public var precision: Double
    public var steps: [CapacityStep]
    /// The step at which the generator itself became the bottleneck, where the search stopped:
    /// the capacity is then a lower bound. Nil when the generator kept up throughout.
    public var generatorBoundAt: Double? = nil

    public var unit: String { vary == .clients ? "clients" : "msg/s offered" }

    /// "1,536 clients", "420 msg/s offered".
    public static func describe(_ value: Double, vary: CapacitySearch.Variable) -> String {
        let number = vary == .clients ? Int(value).formatted(.number.grouping(.automatic)) : Quantities.trimmed(value, digits: 2)
        return "\(number) \(vary == .clients ? "clients" : "msg/s offered")"
    }

    /// One line: the answer, the first failure, and how precise it is.
    public var sentence: String {
        if let generatorBoundAt {
            let limit = "the generator was the bottleneck at \(Self.describe(generatorBoundAt, vary: vary)), so the search stopped there"
            guard let capacity else { return "no capacity shown: \(limit), before any step held \(slos.joined(separator: ", "))" }
            return
                "capacity at least \(Self.describe(capacity, vary: vary)) (generator-bound): \(limit) (add --threads or load machines to look further)"
        }
        guard let capacity else {
            return
                "no capacity: the lowest step tried (\(Self.describe(steps.map(\.value).min() ?? 0, vary: vary))) already failed \(slos.joined(separator: ", "))"
        }
        if reachedMaximum {
            return
                "capacity at least \(Self.describe(capacity, vary: vary)): every step up to the maximum held \(slos.joined(separator: ", ")) (raise --max to look further)"
        }
        var text = "capacity \(Self.describe(capacity, vary: vary)): the highest step where \(slos.joined(separator: ", ")) held"
        if let firstFailure {
            text += "; the first failure at \(Self.describe(firstFailure, vary: vary))"
        }
        return text
    }
}

public struct CapacityStep: Codable, Sendable, Equatable {
    public var value: Double
    public var passed: Bool
    /// Its run in the report's `runs`.
    public var run: Int
}

extension LoadReport {
    /// How a run is named in summaries and charts: its client count, or for a capacity search
    /// over rate, its step's offered rate.
    public func label(ofRun index: Int) -> String {
        if let capacity, capacity.vary == .rate, let step = capacity.steps.first(where: { $0.run == index }) {
            return CapacityReport.describe(step.value, vary: .rate)
        }
        let clients = "\(runs[index].clients) clients"
        guard scenario.attack != nil else { return clients }
        return clients + (runs[index].attack.map { ", \($0.halfOpen) half-open attack sockets" } ?? ", no attack")
    }
}
