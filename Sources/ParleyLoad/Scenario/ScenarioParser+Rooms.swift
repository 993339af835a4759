import Foundation
import Yams

/// The `rooms:` block, every key checked at its file, line and key.
extension ScenarioParser {
    func rooms(_ node: Node, _ key: String, clients: Int) throws -> ScenarioRooms {
        let fields = try Fields(try mapping(node, key), path: key, parser: self)
        try fields.allow(["count", "size", "perClient", "seed", "private"])
        let count = try fields.require("count") { try int($0, $1, min: 1) }
        let size = try fields.require("size") { try roomSize($0, $1) }
        var rooms = ScenarioRooms(count: count, size: size)
        rooms.writtenFor = clients
        if let perClient = try fields.optional("perClient", { try int($0, $1, min: 1) }) {
            guard perClient <= count else {
                throw error(fields.node("perClient")!, "\(key).perClient", "a client can be in at most the \(count) rooms there are")
            }
            rooms.perClient = perClient
        }
        if let seed = try fields.optional("seed", { try int($0, $1, min: 0) }) { rooms.seed = UInt64(seed) }
        if let share = try fields.optional("private", { try privateShare($0, $1) }) { rooms.privateShare = share }
        return rooms
    }

    /// `private: 10%` (or `0.1`): a share from 0 to 100 %.
    private func privateShare(_ node: Node, _ key: String) throws -> Double {
        let text = try string(node, key).trimmingCharacters(in: .whitespaces)
        let value = text.hasSuffix("%") ? Double(text.dropLast()).map { $0 / 100 } : Double(text)
        guard let value, value >= 0, value <= 1 else {
            throw error(node, key, "expected a share of the messages from 0 % to 100 %, like 10%, got \"\(text)\"")
        }
        return value
    }

    /// `fixed: 10`, `uniform: [2, 50]` or `zipf: {exponent: 1.1, max: 500}`.
    private func roomSize(_ node: Node, _ key: String) throws -> ScenarioRooms.Size {
        let fields = try Fields(try mapping(node, key), path: key, parser: self)
        try fields.allow(["fixed", "uniform", "zipf"])
        guard fields.entries.count == 1, let (kind, value) = fields.entries.first.map({ ($0.0, $0.1.node) }) else {
            throw error(node, key, "expected one of fixed: N, uniform: [a, b] or zipf: {exponent: s, max: N}")
        }
        switch kind {
        case "fixed":
            return .fixed(try int(value, "\(key).fixed", min: 1))
        case "uniform":
            guard let list = value.sequence, list.count == 2 else { throw error(value, "\(key).uniform", "expected [a, b]") }
            let low = try int(list[0], "\(key).uniform[0]", min: 1)
            let high = try int(list[1], "\(key).uniform[1]", min: low)
            return .uniform(low, high)
        default:
            let zipf = try Fields(try mapping(value, "\(key).zipf"), path: "\(key).zipf", parser: self)
            try zipf.allow(["exponent", "max"])
            let exponent = try zipf.require("exponent") { node, key -> Double in
                guard let value = Double(try string(node, key)), value > 0, value <= 5 else {
                    throw error(node, key, "expected an exponent above 0 and at most 5, like 1.1")
                }
                return value
            }
            return .zipf(exponent: exponent, max: try zipf.require("max") { try int($0, $1, min: 1) })
        }
    }
}
