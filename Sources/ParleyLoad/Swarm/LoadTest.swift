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

        public init() {}
    }

    public let scenario: Scenario
    public let source: String
    public let options: Options

    public init(scenario: Scenario, source: String, options: Options) {
        var scenario = scenario
        if let clients = options.clients {
            scenario.clients = clients
            scenario.sweepClients = nil
        }
        if let duration = options.duration {
            // --duration scales every phase so the run lasts about that long.
            let total = scenario.totalDuration.seconds
            for index in scenario.phases.indices {
                let share = scenario.phases[index].duration.seconds / total
                scenario.phases[index].duration = .nanoseconds(Int64(duration.seconds * share * 1e9))
            }
        }
        self.scenario = scenario
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

    /// Runs steps of a test against its targets and assembles the report.
    public struct Harness: Sendable {
        let test: LoadTest
        let targets: [TargetURL]
        /// The targets as agents are told them.
        let targetTexts: [String]
        let group: MultiThreadedEventLoopGroup
        let tls: NIOSSLContext?
        let startedAt: Date
        /// Set when runs are split over load agents.
        let coordinator: Coordinator?

        /// One run of `scenario` (the test's, or a variant of it) with `clients`, judged by `thresholds`.
        public func run(_ scenario: Scenario, clients: Int, label: String, thresholds: [Threshold]) async throws -> RunReport {
            var report: RunReport
            if let coordinator {
                let (merged, agents) = try await coordinator.run(
                    scenario, clients: clients, targets: targetTexts, label: label, bounds: test.options.generatorBounds)
                report = RunAnalysis.report(merged, scenario: scenario, bounds: test.options.generatorBounds, targets: targetTexts)
                report.attach(agents)
            } else {
                let progress = ProgressLine.forTerminal(label: label, quiet: test.options.quiet)
                let run = LoadRun(
                    scenario: scenario, clients: clients, targets: targets, group: group, tls: tls, progress: progress,
                    live: test.options.live, receivePath: test.options.receivePath)
                report = RunAnalysis.report(
                    try await run.run(), scenario: scenario, bounds: test.options.generatorBounds, targets: targetTexts)
            }
            let verdicts = thresholds.map { $0.verdict(in: report.metrics) }
            report.thresholds =
                report.generator.map { generator in
                    verdicts.map { generator.judge($0, allowGeneratorBound: test.options.allowGeneratorBound) }
                } ?? verdicts
            return report
        }

        /// An agent's share of a coordinator's run: its clients only, phases started when
        /// `startGate` answers. The result stays raw (local time): the coordinator analyses the
        /// merge of every agent's.
        func runShare(
            _ scenario: Scenario, share: RunShare, startGate: @escaping @Sendable (Int) async throws -> UInt64
        ) async throws -> LoadRun.Result {
            var mine = scenario
            // Arrivals keep the scenario's total rate: each agent connects its part of it.
            mine.connect.rate = scenario.connect.rate * Double(max(share.clients, 1)) / Double(max(share.totalClients, 1))
            let run = LoadRun(
                scenario: mine, clients: share.clients, targets: targets, group: group, tls: tls, progress: nil, share: share,
                startGate: startGate)
            return try await run.run()
        }

        public func report(runs: [RunReport], thresholds: [ThresholdVerdict]) -> LoadReport {
            let scenario = test.scenario
            return LoadReport(
                scenario: scenario, scenarioSource: test.source, scenarioDigest: Digest.of(scenario),
                environment: Environment.current(
                    targets: targets.map(\.description), eventLoops: test.options.eventLoops, commit: test.options.commit,
                    insecureTLS: tls != nil && test.options.tlsInsecure),
                startedAt: startedAt, runs: runs, thresholds: thresholds,
                validity: runs.contains { $0.validity == .generatorBound } ? .generatorBound : .valid)
        }
    }
}

extension Environment {
    static func current(targets: [String], eventLoops: Int, commit: String?, insecureTLS: Bool) -> Environment {
        var uts = utsname()
        uname(&uts)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        #if swift(>=6.3)
        let swift = "6.3+"
        #else
        let swift = "< 6.3"
        #endif
        return Environment(
            cores: System.coreCount, os: "\(text(uts.sysname)) \(text(uts.release))", swift: swift,
            commit: commit, targets: targets, hostname: ProcessInfo.processInfo.hostName, eventLoops: eventLoops,
            insecureTLS: insecureTLS ? true : nil, cpuModel: Machine.cpuModel(),
            memoryGiB: Int((Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824).rounded()),
            parleyVersion: ParleyVersion.current)
    }
}

extension LoadTest {
    /// The client side of TLS for wss:// targets: the system's roots plus `--ca`, or no checks
    /// at all with `--insecure`.
    func makeTLSContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let file = options.tlsCAFile {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(file)
            } catch {
                throw ReportError("--ca \(file): not a readable PEM certificate file (\(error))")
            }
            configuration.additionalTrustRoots = [.certificates(certificates)]
        }
        if options.tlsInsecure { configuration.certificateVerification = .none }
        return try NIOSSLContext(configuration: configuration)
    }
}
