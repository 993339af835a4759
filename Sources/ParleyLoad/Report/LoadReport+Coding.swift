import Foundation

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
