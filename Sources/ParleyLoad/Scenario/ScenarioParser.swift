import Foundation
import ParleyProtocol
import Yams

/// Reads a scenario file into a `Scenario`, checking every key: unknown keys, wrong types and
/// impossible values are errors naming the file, line and key, never silently ignored.
///
/// Over 250 lines on purpose: one reader per section of the format, each a few lines, all using
/// the same private key checks and node helpers (`ScenarioParser+Scalars` has the scalars'); the
/// file reads as the format's table of contents.
public struct ScenarioParser {
    let file: String

    public init(file: String) {
        self.file = file
    }

    public static func load(path: String) throws -> (Scenario, source: String) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioError(file: path, line: 0, column: 0, key: "", message: "cannot read the file")
        }
        let source = String(decoding: data, as: UTF8.self)
        return (try ScenarioParser(file: path).parse(source), source)
    }

    public func parse(_ yaml: String) throws -> Scenario {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw self.error(yamlError: error)
        }
        guard let root, let top = root.mapping else {
            throw ScenarioError(file: file, line: 1, column: 1, key: "", message: "expected a mapping of keys (name, clients, phases, …)")
        }
        let map = try Fields(top, path: "", parser: self)
        try map.allow([
            "name", "description", "target", "clients", "connect", "members", "hello", "ready", "message",
            "phases", "churn", "settle", "sweep", "thresholds", "measurePresence", "slowConsumers", "attack",
            "compare", "reconnect", "rooms", "auth", "faults",
        ])

        let name = try map.require("name") { try string($0, $1) }
        let clients = try map.require("clients") { try int($0, $1, min: 1) }
        let phases = try map.require("phases") { node, key in
            guard let list = node.sequence, !list.isEmpty else {
                throw self.error(node, key, "expected a list of phases")
            }
            return try list.enumerated().map { index, phase in try self.phase(phase, "\(key)[\(index)]", clients: clients) }
        }
        var scenario = Scenario(name: name, clients: clients, phases: phases)
        scenario.description = try map.optional("description") { try string($0, $1) } ?? ""
        if let target = try map.optional("target", target) { scenario.target = target }
        if let connect = try map.optional("connect", connect) { scenario.connect = connect }
        if let node = map.node("members") {
            if node.isNull {
                scenario.members = nil
            } else {
                let value = try string(node, "members")
                guard ["full", "delta", "none"].contains(value) else {
                    throw self.error(node, "members", "expected full, delta or none, got \"\(value)\"")
                }
                scenario.members = value
            }
        }
        if let node = map.node("hello") {
            scenario.hello = node.isNull ? nil : try string(node, "hello")
        }
        scenario.ready = try map.optional("ready", ready)
        if let message = try map.optional("message", message) { scenario.message = message }
        scenario.churn = try map.optional("churn") { node, key in
            let fields = try Fields(try mapping(node, key), path: key, parser: self)
            try fields.allow(["rate"])
            return Scenario.Churn(rate: try fields.require("rate") { try rate($0, $1) })
        }
        if let settle = try map.optional("settle", duration) { scenario.settle = settle }
        scenario.slowConsumers = try map.optional("slowConsumers") { try int($0, $1, min: 0) }
        scenario.attack = try map.optional("attack") { node, key in
            let fields = try Fields(try mapping(node, key), path: key, parser: self)
            try fields.allow(["halfOpen", "baseline"])
            var attack = Scenario.Attack(halfOpen: try fields.require("halfOpen") { try int($0, $1, min: 1) })
            if let baseline = try fields.optional(
                "baseline",
                { node, key -> Bool in
                    guard let value = node.bool else { throw self.error(node, key, "expected true or false") }
                    return value
                })
            {
                attack.baseline = baseline
            }
            return attack
        }
        scenario.reconnect = try map.optional("reconnect", reconnect)
        scenario.rooms = try map.optional("rooms") { try rooms($0, $1, clients: clients) }
        scenario.auth = try map.optional("auth") { try auth($0, $1) }
        scenario.faults = try map.optional("faults") { try faults($0, $1) }
        if let measure = try map.optional(
            "measurePresence",
            { node, key -> Bool in
                guard let value = node.bool else { throw self.error(node, key, "expected true or false") }
                return value
            })
        {
            scenario.measurePresence = measure
        }
        scenario.sweepClients = try map.optional("sweep") { node, key in
            let fields = try Fields(try mapping(node, key), path: key, parser: self)
            try fields.allow(["clients"])
            return try fields.require("clients") { node, key in
                guard let list = node.sequence, !list.isEmpty else { throw self.error(node, key, "expected a list of client counts") }
                return try list.enumerated().map { index, item in try int(item, "\(key)[\(index)]", min: 1) }
            }
        }
        scenario.thresholds =
            try map.optional("thresholds") { node, key in
                let fields = try Fields(try mapping(node, key), path: key, parser: self)
                var thresholds: [String: String] = [:]
                for (metric, value) in fields.entries {
                    let condition = try string(value.node, "\(key).\(metric)")
                    do {
                        _ = try Threshold(metric: metric, condition: condition)
                    } catch let problem as ThresholdError {
                        throw self.error(value.node, "\(key).\(metric)", problem.message)
                    }
                    thresholds[metric] = condition
                }
                return thresholds
            } ?? [:]
        scenario.compare = try map.optional("compare") { node, key in
            let fields = try Fields(try mapping(node, key), path: key, parser: self)
            var tolerances: [String: Tolerance] = [:]
            for (metric, value) in fields.entries {
                guard Metrics.metric(named: metric) != nil else {
                    throw self.error(value.keyNode, "\(key).\(metric)", "unknown metric (known: \(Metrics.names.joined(separator: ", ")))")
                }
                let text = try string(value.node, "\(key).\(metric)")
                guard let tolerance = Tolerance(text) else {
                    throw self.error(value.node, "\(key).\(metric)", "expected a tolerance like 15% or ignore, got \"\(text)\"")
                }
                tolerances[metric] = tolerance
            }
            return tolerances
        }

        try check(scenario, map)
        return scenario
    }

    // MARK: sections

    private func target(_ node: Node, _ key: String) throws -> Scenario.Target {
        if let text = node.scalar?.string, node.scalar != nil {
            if text == "embedded" { return .embedded }
            return .urls([try url(node, key)])
        }
        guard let list = node.sequence, !list.isEmpty else {
            throw error(node, key, "expected embedded, a ws:// URL, or a list of them")
        }
        return .urls(try list.enumerated().map { index, item in try url(item, "\(key)[\(index)]") })
    }

    private func url(_ node: Node, _ key: String) throws -> String {
        let text = try string(node, key)
        guard let components = URLComponents(string: text), ["ws", "wss"].contains(components.scheme ?? ""),
            components.host?.isEmpty == false
        else {
            throw error(node, key, "expected a ws:// or wss:// URL, got \"\(text)\"")
        }
        return text
    }

    private func connect(_ node: Node, _ key: String) throws -> Scenario.Connect {
        let fields = try Fields(try mapping(node, key), path: key, parser: self)
        try fields.allow(["rate", "sources", "timeout"])
        var connect = Scenario.Connect()
        if let rate = try fields.optional("rate", rate) {
            guard rate > 0 else { throw error(fields.node("rate")!, "\(key).rate", "must be more than 0/s") }
            connect.rate = rate
        }
        if let sources = try fields.optional("sources", sources) { connect.sources = sources }
        if let timeout = try fields.optional("timeout", duration) { connect.timeout = timeout }
        return connect
    }

    /// `127.0.0.1-127.0.0.4`, one address, or a list of addresses; loopback only.
    private func sources(_ node: Node, _ key: String) throws -> [String] {
        var addresses: [String] = []
        if let list = node.sequence {
            for (index, item) in list.enumerated() { addresses.append(try string(item, "\(key)[\(index)]")) }
        } else {
            let text = try string(node, key)
            let ends = text.split(separator: "-").map(String.init)
            if ends.count == 2, let first = IPv4(ends[0]), let last = IPv4(ends[1]), first.value <= last.value,
                last.value - first.value < 65536
            {
                addresses = (first.value...last.value).map { IPv4(value: $0).text }
            } else {
                addresses = [text]
            }
        }
        for address in addresses {
            guard let ip = IPv4(address), ip.value >> 24 == 127 else {
                throw error(node, key, "source addresses must be IPv4 loopback (127.x.y.z), got \"\(address)\"")
            }
        }
        return addresses
    }

    private func ready(_ node: Node, _ key: String) throws -> Scenario.Ready {
        let fields = try Fields(try mapping(node, key), path: key, parser: self)
        try fields.allow(["send", "expect"])
        return Scenario.Ready(
            send: try fields.require("send") { try string($0, $1) },
            expect: try fields.require("expect") { try string($0, $1) })
    }

    private func message(_ node: Node, _ key: String) throws -> Scenario.Message {
        let fields = try Fields(try mapping(node, key), path: key, parser: self)
        try fields.allow(["kind", "size", "template", "includeSender"])
        var message = Scenario.Message()
        if let kind = try fields.optional(
            "kind",
            { node, key -> Scenario.MessageKind in
                let text = try string(node, key)
                guard let kind = Scenario.MessageKind(rawValue: text) else {
                    throw error(node, key, "expected public, private or raw, got \"\(text)\"")
                }
                return kind
            })
        {
            message.kind = kind
        }
        if let size = try fields.optional("size", { try int($0, $1, min: ProbeToken.maximumTextLength + 1) }) {
            message.size = size
        }
        if let node = fields.node("template"), !node.isNull {
            message.template = try string(node, "\(key).template")
        }
        message.includeSender = try fields.optional("includeSender") { node, key -> Bool in
            guard let value = node.bool else { throw error(node, key, "expected true or false") }
            return value
        }
        if message.kind == .raw {
            guard let template = message.template else {
                throw error(node, key, "kind raw needs a template with {token} in it")
            }
            guard template.contains("{token}") else {
                throw error(fields.node("template")!, "\(key).template", "the template has no {token}")
            }
        } else if message.template != nil {
            throw error(fields.node("template")!, "\(key).template", "a template is for kind raw only")
        }
        return message
    }

    private func phase(_ node: Node, _ key: String, clients: Int) throws -> Scenario.Phase {
        let fields = try Fields(try mapping(node, key), path: key, parser: self)
        try fields.allow(["name", "duration", "publishers", "rate", "rampTo"])
        let name = try fields.require("name") { try string($0, $1) }
        let length = try fields.require("duration", duration)
        guard length > .zero else { throw error(fields.node("duration")!, "\(key).duration", "must be longer than 0s") }
        let publishers = try fields.require("publishers") { try int($0, $1, min: 0) }
        guard publishers <= clients else {
            throw error(fields.node("publishers")!, "\(key).publishers", "\(publishers) publishers but only \(clients) clients")
        }
        let startRate = try fields.require("rate", rate)
        let rampTo = try fields.optional("rampTo", rate)
        return Scenario.Phase(name: name, duration: length, publishers: publishers, rate: startRate, rampTo: rampTo)
    }

    /// Checks across sections.
    private func reconnect(_ node: Node, _ key: String) throws -> Scenario.Reconnect {
        let fields = try Fields(try mapping(node, key), path: key, parser: self)
        try fields.allow(["drop", "at", "away", "resume"])
        var reconnect = Scenario.Reconnect()
        if let drop = try fields.optional("drop", share) { reconnect.drop = drop }
        reconnect.at = try fields.optional("at", duration)
        if let away = try fields.optional("away", duration) { reconnect.away = away }
        if let resume = try fields.optional(
            "resume",
            { node, key -> Bool in
                guard let value = node.bool else { throw self.error(node, key, "expected true or false") }
                return value
            })
        {
            reconnect.resume = resume
        }
        if reconnect.drop > 0 && reconnect.at == nil {
            throw error(node, "\(key).at", "a drop needs a time: at: 10s (from the start of the phases)")
        }
        return reconnect
    }

    private func check(_ scenario: Scenario, _ map: Fields) throws {
        var names = Set<String>()
        for (index, phase) in scenario.phases.enumerated() where !names.insert(phase.name).inserted {
            let node = map.node("phases")!.sequence![index]
            throw error(node, "phases[\(index)].name", "phase name \"\(phase.name)\" is used twice")
        }
        if let sweep = scenario.sweepClients, let most = scenario.phases.map(\.publishers).max(),
            let smallest = sweep.min(), smallest < most
        {
            throw error(map.node("sweep")!, "sweep.clients", "\(smallest) clients cannot hold \(most) publishers")
        }
        if scenario.measurePresence && !["full", "delta"].contains(scenario.members ?? "") {
            throw error(map.node("measurePresence")!, "measurePresence", "needs members: full or delta (a none feed gets no member lists)")
        }
        if let reconnect = scenario.reconnect {
            if scenario.message.kind != .public || scenario.hello == nil {
                throw error(
                    map.node("reconnect")!, "reconnect", "resume is for public chat: needs message.kind public and a hello (a name)")
            }
            if let at = reconnect.at, at >= scenario.totalDuration {
                throw error(
                    map.node("reconnect")!, "reconnect.at",
                    "\(Quantities.formatMicros(at.seconds * 1e6)) is past the phases' end (\(Quantities.formatMicros(scenario.totalDuration.seconds * 1e6)))"
                )
            }
        }
        for (index, fault) in (scenario.faults ?? []).enumerated() where fault.ends >= scenario.totalDuration {
            let node = map.node("faults")!.sequence![index]
            let total = Quantities.formatMicros(scenario.totalDuration.seconds * 1e6)
            throw error(
                node, "faults[\(index)]",
                "\(fault.summary) at \(Quantities.formatMicros(fault.at.seconds * 1e6)) is not over before the phases end (\(total)): a fault's aftermath is the measurement"
            )
        }
        if scenario.rooms != nil {
            let node = map.node("rooms")!
            if scenario.message.kind != .public || scenario.hello == nil {
                throw error(node, "rooms", "rooms are for public chat: needs message.kind public and a hello (a name)")
            }
            // Not yet: what a comeback or a newcomer joins, and where it resumes, per room.
            if scenario.reconnect != nil || scenario.churn != nil {
                throw error(node, "rooms", "rooms do not go with reconnect or churn yet")
            }
            if scenario.sweepClients != nil { throw error(node, "rooms", "rooms do not go with sweep yet") }
            let publishers = (scenario.phases.map(\.publishers).max() ?? 0) * scenario.rooms!.count
            if publishers > scenario.clients {
                throw error(
                    node, "rooms.count",
                    "\(scenario.rooms!.count) rooms × \(publishers / scenario.rooms!.count) publishers each (a phase's publishers are per room) need \(publishers) clients; there are \(scenario.clients)"
                )
            }
        }
        if scenario.message.kind == .private && scenario.hello == nil {
            throw error(map.node("message") ?? map.node("hello")!, "message.kind", "private messages need named clients (a hello)")
        }
    }

    private func error(yamlError: YamlError) -> ScenarioError {
        switch yamlError {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            return ScenarioError(file: file, line: mark.line, column: mark.column, key: "", message: "not valid YAML: \(problem)")
        default:
            return ScenarioError(file: file, line: 0, column: 0, key: "", message: "not valid YAML: \(yamlError)")
        }
    }
}
