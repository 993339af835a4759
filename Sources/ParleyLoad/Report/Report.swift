import Foundation
import Histogram

/// The JSON report of `parley-load run` (docs/LOAD.md, "Report"). Versioned; holds the scenario as
/// run, the environment, and per phase the histograms themselves so reports can be merged or
/// re-analysed, with their percentiles, counters, verdicts and a per-second series.
public struct LoadReport: Codable, Sendable {
    public static let currentSchemaVersion = 1

    public var schemaVersion = LoadReport.currentSchemaVersion
    public var tool = "parley-load"
    public var scenario: Scenario
    /// The scenario file as written.
    public var scenarioSource: String
    /// FNV-1a 64 of the scenario as run (canonical JSON): equal digests, same scenario.
    public var scenarioDigest: String
    public var environment: Environment
    public var startedAt: Date
    /// One run, or one per client count of a sweep.
    public var runs: [RunReport]
    /// Verdicts of the thresholds, over every run (for a capacity search: at its answer).
    public var thresholds: [ThresholdVerdict]
    /// Set by `parley-load capacity`: the search, its steps (one run each) and its answer.
    public var capacity: CapacityReport? = nil
    /// "generator-bound" when any run was (see each run's `generator`), else "valid".
    public var validity: GeneratorHealth.Validity? = nil

    public var passed: Bool { thresholds.allSatisfy(\.passed) }
}

public struct Environment: Codable, Sendable {
    public var cores: Int
    public var os: String
    public var swift: String
    public var commit: String?
    public var targets: [String]
    public var hostname: String
    public var eventLoops: Int
    /// True when wss:// certificates were not checked (`--insecure`); absent otherwise.
    public var insecureTLS: Bool? = nil
    /// The processor's model name (/proc/cpuinfo) and the memory, rounded to GiB: with `cores`,
    /// what makes two machines comparable (a CI runner's hostname changes every job).
    public var cpuModel: String? = nil
    public var memoryGiB: Int? = nil
    public var parleyVersion: String? = nil
}

public struct RunReport: Codable, Sendable {
    public var clients: Int
    public var connect: ConnectReport
    public var phases: [PhaseReport]
    /// All phases together.
    public var overall: PhaseReport
    public var series: [SecondSample]
    /// Frames and payload bytes all clients received over the run, presence included.
    public var framesReceived: Int
    public var bytesReceived: Int
    /// With `measurePresence`: when clients first held the complete member list.
    public var presence: PresenceReport?
    /// Clients that stopped reading (`slowConsumers`), and how many the server closed.
    public var slowConsumers: SlowConsumerReport? = nil
    /// Clients that read their sockets on the direct receive path once ready (`--receive`);
    /// absent when every client stayed on NIO's.
    public var directReaders: Int? = nil
    /// The slowloris beside the members (`attack`), and what the server did to it.
    public var attack: AttackReport? = nil
    /// Clients that came back (`reconnect`): how they resumed, what they missed or got twice.
    public var resume: ResumeReport? = nil
    /// Metric name → value, the names thresholds and `compare` use.
    public var metrics: [String: Double]
    public var thresholds: [ThresholdVerdict]
    /// "valid", or "generator-bound" when the generator was the bottleneck (`generator` says
    /// why). Absent in reports written before the generator watched itself.
    public var validity: GeneratorHealth.Validity? = nil
    public var generator: GeneratorHealth? = nil
    /// A run split over load agents (`run --agents`): each agent's part. The figures above are
    /// the merged ones.
    public var agents: [AgentReport]? = nil
    /// Against several targets (a cluster): fan-out on the publisher's node vs other nodes, and
    /// per node.
    public var nodes: NodeFanoutReport? = nil
}

/// Reconnects and resumes over a run (docs/LOAD.md, "Reconnects and resume").
public struct ResumeReport: Codable, Sendable {
    /// Connections the harness dropped, and those the server closed (a node killed).
    public var dropped: Int
    public var serverClosed: Int
    /// Dials that failed (a dead node's address) before another target took the client.
    public var dialFailures: Int
    /// How each reconnect ended: "resumed", "failed: epoch", "failed: expired", "error", …
    public var outcomes: [String: Int]
    /// Messages the room delivered that a client which came back was due and never received:
    /// 0 when resume works within the history.
    public var gaps: Int
    /// The same message twice at a client that came back.
    public var duplicates: Int
    /// Deliveries that arrived as a resume's replay (counted as received, not as fan-out latency).
    public var replayed: Int
    /// From a reconnect's dial until its marker: connect, name, replay.
    public var latency: HistogramReport

    /// "444 resumed, 2 failed: epoch" — or "none answered".
    public var outcomesText: String {
        let text = outcomes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return text.isEmpty ? "none answered" : text
    }
}

public struct PresenceReport: Codable, Sendable {
    /// Clients that saw a complete member list, of how many.
    public var complete: Int
    public var of: Int
    /// Time from the start of the run (the first client's connect) to each client's complete list.
    public var completion: HistogramReport
}

public struct ConnectReport: Codable, Sendable {
    public var attempted: Int
    public var connected: Int
    public var ready: Int
    /// Error kind → count (timeouts, refusals, HTTP statuses, closes by the server).
    public var errors: [String: Int]
    public var latency: HistogramReport
}

public struct PhaseReport: Codable, Sendable {
    public var name: String
    public var seconds: Double
    public var publishers: Int
    public var ratePerPublisher: Double
    public var rampTo: Double?
    public var messagesSent: Int
    public var expected: Int
    public var received: Int
    public var lost: Int
    public var duplicates: Int
    /// Deliveries to clients that were not members when the message was due (not counted).
    public var unexpected: Int
    public var ratio: Double?
    public var fanout: HistogramReport
    public var completion: HistogramReport
    public var sendLag: HistogramReport
    public var deliveriesPerSecond: Double
    public var messagesPerSecond: Double
    public var process: ProcessReport
}

public struct ProcessReport: Codable, Sendable {
    /// CPU seconds the load process used (user + system).
    public var cpuSeconds: Double
    /// CPU seconds per wall second: 1.0 is one core busy.
    public var cpuPerSecond: Double
    public var rssBytes: Int
}

public struct SecondSample: Codable, Sendable {
    public var second: Int
    public var deliveries: Int
    public var messages: Int
    public var connected: Int
    public var p50Micros: Double?
    public var p99Micros: Double?
}

/// Percentiles in microseconds, and the histogram's recorded values so it can be rebuilt.
public struct HistogramReport: Codable, Sendable {
    public var count: UInt64
    public var mean: Double
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var p999: Double
    public var max: Double
    /// Values past one hour, recorded as one hour.
    public var clamped: Int
    /// [value µs, count] for every recorded value bucket.
    public var values: [[UInt64]]

    init(_ latency: LatencyHistogram) {
        let histogram = latency.histogram
        count = histogram.totalCount
        mean = count == 0 ? 0 : histogram.mean
        p50 = count == 0 ? 0 : Double(histogram.valueAtPercentile(50))
        p90 = count == 0 ? 0 : Double(histogram.valueAtPercentile(90))
        p99 = count == 0 ? 0 : Double(histogram.valueAtPercentile(99))
        p999 = count == 0 ? 0 : Double(histogram.valueAtPercentile(99.9))
        max = count == 0 ? 0 : Double(histogram.max)
        clamped = latency.clamped
        values = histogram.recordedValues().map { [$0.value, UInt64($0.count)] }
    }

    /// The histogram again, from its recorded values.
    public func rebuild() -> Histogram<UInt64> {
        var histogram = Histogram<UInt64>(
            lowestDiscernibleValue: 1, highestTrackableValue: LatencyHistogram.highest, numberOfSignificantValueDigits: .three)
        for pair in values where pair.count == 2 { _ = histogram.record(pair[0], count: pair[1]) }
        return histogram
    }
}

extension LoadReport {
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data, file: String) throws -> LoadReport {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        if let version = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["schemaVersion"] as? Int,
            version != currentSchemaVersion
        {
            throw ReportError("\(file): report schema version \(version); this parley-load reads version \(currentSchemaVersion)")
        }
        do {
            return try decoder.decode(LoadReport.self, from: data)
        } catch {
            throw ReportError("\(file): not a parley-load report (\(error))")
        }
    }

    public static func load(path: String) throws -> LoadReport {
        guard let data = FileManager.default.contents(atPath: path) else { throw ReportError("\(path): cannot read the file") }
        return try decode(data, file: path)
    }
}

public struct ReportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// FNV-1a 64-bit: an identity digest for scenarios (not for security).
enum Digest {
    static func fnv1a64(_ bytes: some Sequence<UInt8>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The scenario as run: its tolerances are how it is judged, so changing one keeps the
    /// baselines comparable.
    static func of(_ scenario: Scenario) -> String {
        var scenario = scenario
        scenario.compare = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return fnv1a64((try? encoder.encode(scenario)) ?? Data())
    }
}
