import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import ParleyHost
import Synchronization

/// Runs a scenario (each client count of a sweep in turn) against resolved targets and builds
/// the report with its threshold verdicts.
public struct LoadTest: Sendable {
    public struct Options: Sendable {
        public var clients: Int?
        public var duration: Duration?
        public var extraThresholds: [Threshold] = []
        public var quiet = false
        /// One loop per core the process may use (`taskset` and cgroup limits included).
        public var eventLoops = UsableCores.count
        /// How ready clients read their sockets (`--receive`).
        public var receivePath = ReceivePath.direct
        /// What makes a run generator-bound (docs/LOAD.md, "Is the generator keeping up?").
        public var generatorBounds = GeneratorHealth.Bounds()
        /// Judge thresholds on generator-bound runs instead of failing them.
        public var allowGeneratorBound = false
        public var commit: String?
        /// wss:// targets: trust the CA certificates in this PEM file (besides the system's).
        public var tlsCAFile: String?
        /// wss:// targets: accept any certificate (self-signed, expired, another host's). Said
        /// loudly in the report.
        public var tlsInsecure = false
        /// Event loops to run the clients on instead of making `eventLoops` of its own: for
        /// programs that embed the harness and already have a group. The caller owns it (and
        /// shuts it down); `eventLoops` is ignored.
        public var eventLoopGroup: MultiThreadedEventLoopGroup?
        /// Where each run keeps its live figures (`run --metrics-port`); nil for none.
        public var live: LiveFigures?
        /// Load agents (host:port) to split every run over (`run --agents`); empty: this process
        /// runs the clients itself.
        public var agents: [String] = []
        /// The lab whose hosts the scenario's `faults:` act on (`run --lab`); nil: none given.
        public var lab: (any LabActions)?

        public init() {}
    }

    public let scenario: Scenario
    public let source: String
    public let options: Options

    public init(scenario: Scenario, source: String, options: Options) {
        self.scenario = scenario.overridden(clients: options.clients, duration: options.duration)
        self.source = source
        self.options = options
    }

    /// The digest its reports will carry: known before running, so a baseline of another
    /// scenario is refused before minutes are spent.
    public var scenarioDigest: String { Digest.of(scenario) }

    /// The thresholds in force: the scenario's, then the command line's.
    public func thresholds() throws -> [Threshold] {
        var thresholds: [Threshold] = []
        for (metric, condition) in scenario.thresholds.sorted(by: { $0.key < $1.key }) {
            thresholds.append(try Threshold(metric: metric, condition: condition))
        }
        return thresholds + options.extraThresholds
    }

    public func run(targets: [String]) async throws -> LoadReport {
        let thresholds = try thresholds()
        try checkFaults()
        return try await withHarness(targets: targets) { harness in
            var runs: [RunReport] = []
            for clients in scenario.sweepClients ?? [scenario.clients] {
                if let attack = scenario.attack, attack.baseline {
                    // The same run without the attacker first: the comparison the attack is for.
                    var calm = scenario
                    calm.attack = nil
                    runs.append(
                        try await harness.run(
                            calm, clients: clients, label: "\(scenario.name) ×\(clients), no attack", thresholds: thresholds))
                }
                let label = "\(scenario.name) ×\(clients)" + (scenario.attack.map { ", \($0.halfOpen) half-open sockets" } ?? "")
                runs.append(try await harness.run(scenario, clients: clients, label: label, thresholds: thresholds))
            }
            return harness.report(runs: runs, thresholds: runs.flatMap(\.thresholds))
        }
    }

    /// A scenario with `faults:` needs a lab that has its hosts, and one process that keeps the
    /// phases' clock: checked before minutes are spent.
    func checkFaults() throws {
        guard let faults = scenario.faults, !faults.isEmpty else { return }
        guard let lab = options.lab else {
            throw ReportError(
                "the scenario has faults: (\(faults[0].summary)…): pass --lab FILE, the lab's description (Benchmarks/lab.py writes /run/plab/lab.json)"
            )
        }
        guard options.agents.isEmpty else { throw ReportError("faults: not with --agents yet: run the scenario from one process") }
        try lab.check(hosts: faults.flatMap(\.hosts))
        let total = scenario.totalDuration
        for fault in faults where fault.ends >= total {
            throw ReportError(
                "faults: \(fault.summary) at \(Quantities.formatMicros(fault.at.seconds * 1e6)) is not over before the phases end (\(Quantities.formatMicros(total.seconds * 1e6)), --duration included)"
            )
        }
    }

    /// The faults' timetable for one run; nil when the scenario has none.
    func faultSchedule(for scenario: Scenario) -> FaultSchedule? {
        guard let faults = scenario.faults, !faults.isEmpty, let lab = options.lab else { return nil }
        return FaultSchedule(faults: faults, lab: lab)
    }

    /// Resolves the targets and gives `body` event loops to run steps on, shut down afterwards.
    public func withHarness<Result: Sendable>(
        targets: [String], _ body: (Harness) async throws -> Result
    ) async throws -> Result {
        let defaultQuery = scenario.message.kind == .raw ? nil : scenario.members.map { "members=\($0)" }
        var resolved: [TargetURL] = []
        for text in targets {
            guard let url = TargetURL(text, defaultQuery: defaultQuery) else {
                throw ReportError("\(text): not a ws:// URL")
            }
            resolved.append(url)
        }
        let tls = resolved.contains(where: \.isSecure) ? try makeTLSContext() : nil
        let ownsGroup = options.eventLoopGroup == nil
        let group = options.eventLoopGroup ?? MultiThreadedEventLoopGroup(numberOfThreads: max(1, options.eventLoops))
        var coordinator: Coordinator?
        if !options.agents.isEmpty {
            let quiet = options.quiet
            do {
                coordinator = try await Coordinator.connect(to: options.agents, group: group) { line in
                    if !quiet { FileHandle.standardError.write(Data("agents: \(line)\n".utf8)) }
                }
            } catch {
                if ownsGroup { try? await group.shutdownGracefully() }
                throw error
            }
        }
        let harness = Harness(
            test: self, targets: resolved, targetTexts: resolved.map(\.description), group: group, tls: tls,
            startedAt: Date(), coordinator: coordinator)
        do {
            let result = try await body(harness)
            coordinator?.close()
            if ownsGroup { try? await group.shutdownGracefully() }
            return result
        } catch {
            coordinator?.close()
            if ownsGroup { try? await group.shutdownGracefully() }
            throw error
        }
    }
}
