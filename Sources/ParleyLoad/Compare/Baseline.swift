import Foundation

/// A baseline file (`parley-load baseline update`): several runs of one scenario on one machine,
/// kept in the repository or as a CI artifact, that `run --baseline` and `compare` judge new
/// runs against (docs/LOAD.md, "Gating performance in CI"). The reports are whole, histograms
/// included, so a comparison can resample them.
public struct Baseline: Codable, Sendable {
    public static let currentSchemaVersion = 1
    static let kindName = "parley-load baseline"

    public var kind = Baseline.kindName
    public var schemaVersion = Baseline.currentSchemaVersion
    public var scenarioName: String
    public var scenarioDigest: String
    public var machine: Machine
    public var commit: String?
    public var parleyVersion: String?
    public var createdAt: Date
    public var reports: [LoadReport]

    /// - Precondition: `reports` is not empty.
    public init(reports: [LoadReport], createdAt: Date = Date()) {
        let first = reports[0]
        scenarioName = first.scenario.name
        scenarioDigest = first.scenarioDigest
        machine = Machine(first.environment)
        commit = first.environment.commit
        parleyVersion = first.environment.parleyVersion
        self.createdAt = createdAt
        self.reports = reports
    }

    /// Why `reports` should not be judged against this baseline (empty when they may be): a
    /// different scenario measures something else, and another machine's timings are another
    /// machine's.
    public func mismatches(with reports: [LoadReport]) -> [String] {
        mismatches(digests: reports.map(\.scenarioDigest), machines: reports.map { Machine($0.environment) })
    }

    /// The same, before running: the digest of the scenario as it will run, on this machine.
    public func mismatches(digests: [String], machines: [Machine]) -> [String] {
        var reasons: [String] = []
        for digest in Set(digests) where digest != scenarioDigest {
            reasons.append("the baseline ran scenario \(scenarioName) (digest \(scenarioDigest)), this run digest \(digest)")
        }
        for machine in Set(machines) where machine != self.machine {
            reasons.append("the baseline was measured on \(self.machine), this run on \(machine)")
        }
        return reasons
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    public func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoded().write(to: url)
    }
}
