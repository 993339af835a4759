import Foundation

/// A lab's hosts as its description file has them — `Benchmarks/lab.py` writes one while a lab
/// is up (`/run/plab/lab.json`): each host's network namespace and address.
///
///     {"hosts": {"pg": {"namespace": "plab-pg", "address": "169.254.77.1"}, …}}
public struct LabDescription: Codable, Sendable, Equatable {
    public struct Host: Codable, Sendable, Equatable {
        public var namespace: String
        public var address: String

        public init(namespace: String, address: String) {
            self.namespace = namespace
            self.address = address
        }
    }

    public var hosts: [String: Host]

    public init(hosts: [String: Host]) {
        self.hosts = hosts
    }

    public static func load(path: String) throws -> LabDescription {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReportError("--lab \(path): cannot read the file (Benchmarks/lab.py up writes one while a lab is up)")
        }
        do {
            return try JSONDecoder().decode(LabDescription.self, from: data)
        } catch {
            throw ReportError(
                "--lab \(path): not a lab description ({\"hosts\": {\"n1\": {\"namespace\": …, \"address\": …}}}): \(error)")
        }
    }
}
