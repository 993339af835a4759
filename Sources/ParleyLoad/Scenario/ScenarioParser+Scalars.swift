import Foundation
import ParleyProtocol
import Yams

/// Reading one scalar or mapping of a scenario, each failure an error at its file, line and key.
extension ScenarioParser {
    // MARK: scalars

    func string(_ node: Node, _ key: String) throws -> String {
        guard let scalar = node.scalar else { throw error(node, key, "expected text") }
        return scalar.string
    }

    func int(_ node: Node, _ key: String, min: Int) throws -> Int {
        guard let scalar = node.scalar, let value = Int(scalar.string.replacingOccurrences(of: "_", with: "")) else {
            throw error(node, key, "expected a whole number, got \"\(node.scalar?.string ?? "a \(node.kindName)")\"")
        }
        guard value >= min else { throw error(node, key, "must be at least \(min), got \(value)") }
        return value
    }

    func duration(_ node: Node, _ key: String) throws -> Duration {
        let text = try string(node, key)
        guard let duration = Quantities.duration(text) else {
            throw error(node, key, "expected a duration like 30s, 2m or 500ms, got \"\(text)\"")
        }
        return duration
    }

    func rate(_ node: Node, _ key: String) throws -> Double {
        let text = try string(node, key)
        guard let rate = Quantities.rate(text) else {
            throw error(node, key, "expected a rate like 50/s, got \"\(text)\"")
        }
        return rate
    }

    /// A share written as a percentage (`20%`) or a fraction (`0.2`), 0…1.
    func share(_ node: Node, _ key: String) throws -> Double {
        let text = try string(node, key).trimmingCharacters(in: .whitespaces)
        let value = text.hasSuffix("%") ? Double(text.dropLast()).map { $0 / 100 } : Double(text)
        guard let value, value >= 0, value <= 1 else {
            throw error(node, key, "expected a share like 20% or 0.2 (0 to 100 %), got \"\(text)\"")
        }
        return value
    }

    func mapping(_ node: Node, _ key: String) throws -> Node.Mapping {
        guard let mapping = node.mapping else { throw error(node, key, "expected a mapping of keys") }
        return mapping
    }

    func error(_ node: Node, _ key: String, _ message: String) -> ScenarioError {
        ScenarioError(file: file, line: (node.mark?.line ?? 0), column: (node.mark?.column ?? 0), key: key, message: message)
    }
}
