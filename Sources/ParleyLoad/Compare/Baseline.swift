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
        var reasons: [String] = []
        for digest in Set(reports.map(\.scenarioDigest)) where digest != scenarioDigest {
            reasons.append("the baseline ran scenario \(scenarioName) (digest \(scenarioDigest)), this run digest \(digest)")
        }
        for machine in Set(reports.map { Machine($0.environment).description }) where machine != self.machine.description {
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

/// Reads a file that is either one report or a baseline (several): wherever `compare` and
/// `run --baseline` take runs, either will do.
public enum RunFiles {
    public static func load(path: String) throws -> [LoadReport] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ReportError("\(path): cannot read the file") }
        return try decode(data, file: path)
    }

    public static func baseline(path: String) throws -> Baseline {
        guard let data = FileManager.default.contents(atPath: path) else { throw ReportError("\(path): cannot read the file") }
        if let baseline = try decodeBaseline(data, file: path) { return baseline }
        let report = try LoadReport.decode(data, file: path)
        return Baseline(reports: [report], createdAt: report.startedAt)
    }

    static func decode(_ data: Data, file: String) throws -> [LoadReport] {
        if let baseline = try decodeBaseline(data, file: file) { return baseline.reports }
        return [try LoadReport.decode(data, file: file)]
    }

    private static func decodeBaseline(_ data: Data, file: String) throws -> Baseline? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            object["kind"] as? String == Baseline.kindName
        else { return nil }
        if let version = object["schemaVersion"] as? Int, version != Baseline.currentSchemaVersion {
            throw ReportError("\(file): baseline schema version \(version); this parley-load reads version \(Baseline.currentSchemaVersion)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            let baseline = try decoder.decode(Baseline.self, from: data)
            guard !baseline.reports.isEmpty else { throw ReportError("\(file): a baseline with no runs") }
            return baseline
        } catch let error as ReportError {
            throw error
        } catch {
            throw ReportError("\(file): not a parley-load baseline (\(error))")
        }
    }
}
