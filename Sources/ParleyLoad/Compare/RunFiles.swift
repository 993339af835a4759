import Foundation

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
            throw ReportError(
                "\(file): baseline schema version \(version); this parley-load reads version \(Baseline.currentSchemaVersion)")
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
