import Foundation
import NIOCore
import NIOPosix

/// `run --agents A,B`: splits each run over load agents, starts them at one common instant,
/// and merges what they measured into the result one process would have measured (exactly:
/// histograms add, expected deliveries come from every member and every message). An agent
/// that fails, closes or goes silent fails the whole run, naming the agent — partial figures
/// are never passed off as whole.
public final class Coordinator: Sendable {
    let links: [AgentLink]
    let log: @Sendable (String) -> Void

    init(links: [AgentLink], log: @escaping @Sendable (String) -> Void) {
        self.links = links
        self.log = log
    }

    public var addresses: [String] { links.map(\.address) }

    /// Connects to every agent (hello, version check).
    public static func connect(
        to addresses: [String], group: any EventLoopGroup, log: @escaping @Sendable (String) -> Void
    ) async throws -> Coordinator {
        var links: [AgentLink] = []
        do {
            for address in addresses { links.append(try await AgentLink.connect(to: address, group: group)) }
        } catch {
            for link in links { link.close() }
            throw error
        }
        return Coordinator(links: links, log: log)
    }

    public func close() { for link in links { link.close() } }

    /// What a split run cannot do yet, said before anything starts.
    public static func unsupported(in scenario: Scenario) -> String? {
        if scenario.reconnect != nil { return "reconnect scenarios" }
        if scenario.churn != nil { return "churn" }
        if (scenario.slowConsumers ?? 0) > 0 { return "slowConsumers" }
        if scenario.attack != nil { return "attack" }
        return nil
    }

    /// One run of `clients` split over the agents.
    func run(
        _ scenario: Scenario, clients: Int, targets: [String], label: String, bounds: GeneratorHealth.Bounds,
        silence: Duration = .seconds(15)
    ) async throws -> (LoadRun.Result, [AgentReport]) {
        if let what = Self.unsupported(in: scenario) {
            throw ReportError("--agents: \(what) run in one process only (drop --agents for this scenario)")
        }
        let fewest = scenario.phases.map(\.publishers).max() ?? 0
        if clients < links.count || clients < fewest {
            throw ReportError("--agents: \(clients) clients cannot be split over \(links.count) agents")
        }
        var clocks: [ClockEstimate] = []
        for link in links { clocks.append(try await link.estimateClock()) }
        let commonStart = NIODeadline.now().uptimeNanoseconds
        var shares = RunShare.plan(scenario: scenario, clients: clients, agents: links.count, runID: UInt32.random(in: 1...UInt32.max))
        for index in shares.indices {
            shares[index].shift = clocks[index].shift
            shares[index].commonRunStart = commonStart
        }
        log("\(label): \(clients) clients over \(links.count) agents; clock error ≤ \(Self.micros(clocks.map(\.errorBound).max() ?? 0)) µs")
        for (link, share) in zip(links, shares) {
            var prepare = AgentMessage(.prepare)
            prepare.scenario = scenario
            prepare.share = share
            prepare.targets = targets
            prepare.label = label
            try await link.send(prepare)
        }
        let connectWait = scenario.connect.timeout + silence
        try await eachAgent { link in
            let ready = try await link.receive(.ready, timeout: connectWait, stage: "while its clients connected")
            return ready.connected ?? 0
        }
        // Far enough ahead that every agent hears it first, plus the worst clock error.
        let startAt = NIODeadline.now().uptimeNanoseconds + 300_000_000 + (clocks.map(\.errorBound).max() ?? 0)
        for link in links {
            var start = AgentMessage(.start)
            start.startAt = startAt
            try await link.send(start)
        }
        let results = try await eachAgent { link -> LoadRun.Result in
            let answer = try await link.receive(
                .result, timeout: silence, stage: "during the phases (its clients' figures are lost; the run has no result)")
            guard let result = answer.result else {
                throw AgentFailure(agent: link.address, "sent a result without measurements")
            }
            return result
        }
        let reports = zip(links.indices, results).map { index, result in
            agentReport(result, link: links[index], share: shares[index], clock: clocks[index], bounds: bounds)
        }
        return (LoadRun.Result.merged(results), reports)
    }

    /// `body` for every agent at once; the first failure ends the run (and stops the others).
    private func eachAgent<T: Sendable>(_ body: @escaping @Sendable (AgentLink) async throws -> T) async throws -> [T] {
        do {
            return try await withThrowingTaskGroup(of: (Int, T).self) { group in
                for (index, link) in links.enumerated() { group.addTask { (index, try await body(link)) } }
                var answers = [T?](repeating: nil, count: links.count)
                for try await (index, answer) in group { answers[index] = answer }
                return answers.map { $0! }
            }
        } catch {
            close()
            throw error
        }
    }

    func agentReport(
        _ result: LoadRun.Result, link: AgentLink, share: RunShare, clock: ClockEstimate,
        bounds: GeneratorHealth.Bounds
    ) -> AgentReport {
        var fanout = LatencyHistogram()
        for loop in result.loops { for phase in loop.fanout { fanout.add(phase) } }
        let generator = RunAnalysis.generatorHealth(result, bounds: bounds, usableCores: link.cores)
        return AgentReport(
            address: link.address, clients: share.clients, publishers: share.publishers.max() ?? 0, connected: result.connected,
            received: result.loops.reduce(0) { $0 + $1.received.reduce(0, +) },
            messagesSent: result.loops.reduce(0) { $0 + $1.sent.count },
            fanoutP50Micros: fanout.count > 0 ? Double(fanout.histogram.valueAtPercentile(50)) : nil,
            fanoutP99Micros: fanout.count > 0 ? Double(fanout.histogram.valueAtPercentile(99)) : nil,
            clockOffsetMicros: Double(clock.offset) / 1000, clockErrorMicros: Double(clock.errorBound) / 1000,
            validity: generator.validity, reasons: generator.reasons, loopBusy: generator.loopBusy)
    }

    static func micros(_ nanos: UInt64) -> String { String(format: "%.0f", Double(nanos) / 1000) }
}
