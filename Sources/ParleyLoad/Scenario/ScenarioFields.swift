import Yams

/// The keys of one mapping, with the checks every section shares.
struct Fields {
    struct Entry {
        let keyNode: Node
        let node: Node
    }

    let entries: [(String, Entry)]
    let path: String
    let parser: ScenarioParser
    let mappingNode: Node

    init(_ mapping: Node.Mapping, path: String, parser: ScenarioParser) throws {
        var entries: [(String, Entry)] = []
        var seen = Set<String>()
        for (key, value) in mapping {
            let name = key.scalar?.string ?? ""
            guard seen.insert(name).inserted else {
                throw parser.error(key, path.isEmpty ? name : "\(path).\(name)", "the key appears twice")
            }
            entries.append((name, Entry(keyNode: key, node: value)))
        }
        self.entries = entries
        self.path = path
        self.parser = parser
        self.mappingNode = .mapping(mapping)
    }

    func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    func node(_ name: String) -> Node? { entries.first { $0.0 == name }?.1.node }

    func allow(_ names: Set<String>) throws {
        for (name, entry) in entries where !names.contains(name) {
            throw parser.error(entry.keyNode, key(name), "unknown key (known: \(names.sorted().joined(separator: ", ")))")
        }
    }

    func require<T>(_ name: String, _ read: (Node, String) throws -> T) throws -> T {
        guard let node = node(name) else { throw parser.error(mappingNode, key(name), "is required") }
        return try read(node, key(name))
    }

    func optional<T>(_ name: String, _ read: (Node, String) throws -> T) throws -> T? {
        guard let node = node(name) else { return nil }
        return try read(node, key(name))
    }
}

extension Node {
    var isNull: Bool {
        guard let scalar else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    var kindName: String {
        switch self {
        case .scalar: "scalar"
        case .mapping: "mapping"
        case .sequence: "list"
        case .alias: "alias"
        }
    }
}
