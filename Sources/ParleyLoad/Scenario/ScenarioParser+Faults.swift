import Foundation
import Yams

/// The `faults:` block: a list of `{at: 8s, cut: [n1, pg], for: 5s}` and `{at: 8s, kill: n2}`,
/// every key checked at its file, line and key.
extension ScenarioParser {
    func faults(_ node: Node, _ key: String) throws -> [ScenarioFault] {
        guard let list = node.sequence, !list.isEmpty else {
            throw error(node, key, "expected a list of faults, like - { at: 8s, cut: [n1, pg], for: 5s } or - { at: 8s, kill: n2 }")
        }
        return try list.enumerated().map { index, item in try fault(item, "\(key)[\(index)]") }
    }

    private func fault(_ node: Node, _ key: String) throws -> ScenarioFault {
        let fields = try Fields(try mapping(node, key), path: key, parser: self)
        try fields.allow(["at", "cut", "for", "kill"])
        let at = try fields.require("at", duration)
        switch (fields.node("cut"), fields.node("kill")) {
        case (let cut?, nil):
            guard let pair = cut.sequence, pair.count == 2 else {
                throw error(cut, "\(key).cut", "expected the two hosts to cut apart, like [n1, pg]")
            }
            let a = try host(pair[0], "\(key).cut[0]"), b = try host(pair[1], "\(key).cut[1]")
            guard a != b else { throw error(pair[1], "\(key).cut[1]", "a host cannot be cut from itself (\(a))") }
            guard fields.node("for") != nil else {
                throw error(node, "\(key).for", "a cut needs its length: for: 5s (then the hosts reach each other again)")
            }
            let lasting = try fields.require("for", duration)
            guard lasting > .zero else { throw error(fields.node("for")!, "\(key).for", "must be longer than 0s") }
            return ScenarioFault(at: at, action: .cut(a, b, lasting: lasting))
        case (nil, let kill?):
            if let extra = fields.node("for") {
                throw error(extra, "\(key).for", "a kill has no length: the host's processes stay dead (start them again outside the run)")
            }
            return ScenarioFault(at: at, action: .kill(try host(kill, "\(key).kill")))
        case (nil, nil):
            throw error(node, key, "expected cut: [a, b] (with for:) or kill: host")
        case (_?, _?):
            throw error(node, key, "one fault an entry: cut or kill, not both")
        }
    }

    /// A lab host's name: letters and digits, as the lab names its hosts.
    private func host(_ node: Node, _ key: String) throws -> String {
        let name = try string(node, key)
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw error(node, key, "expected a lab host's name (letters and digits, like n1 or pg), got \"\(name)\"")
        }
        return name
    }
}
