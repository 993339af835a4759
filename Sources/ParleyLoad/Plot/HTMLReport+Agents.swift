extension HTMLReport {
    /// A split run's load agents: each one's part, its view of the fan-out and its clock error;
    /// an agent that could not keep up in red.
    static func agentTable(_ agents: [AgentReport]) -> String {
        var out =
            "<h3>Load agents</h3><p>The figures above merge every agent's histograms exactly; a delivery timed on another agent than its publisher's carries that agent's clock error.</p>"
        out +=
            "<table><thead><tr><th>agent</th><th>clients</th><th>publishers</th><th>sent</th><th>received</th><th>fan-out p50</th><th>p99</th><th>clock offset</th><th>± error</th><th>generator</th></tr></thead><tbody>"
        for agent in agents {
            let bound = agent.validity == .generatorBound
            out +=
                "<tr\(bound ? " class=\"warning\"" : "")><td>\(xml(agent.address))</td><td>\(agent.clients)</td><td>\(agent.publishers)</td>"
            out += "<td>\(agent.messagesSent)</td><td>\(agent.received)</td>"
            out +=
                "<td>\(agent.fanoutP50Micros.map(Quantities.formatMicros) ?? "–")</td><td>\(agent.fanoutP99Micros.map(Quantities.formatMicros) ?? "–")</td>"
            out +=
                "<td>\(Quantities.trimmed(agent.clockOffsetMicros, digits: 0)) µs</td><td>\(Quantities.trimmed(agent.clockErrorMicros, digits: 0)) µs</td>"
            out += "<td>\(bound ? "GENERATOR-BOUND: " + xml(agent.reasons.joined(separator: "; ")) : "kept up")</td></tr>"
        }
        return out + "</tbody></table>"
    }
}

extension HTMLReport {
    /// Against a cluster: fan-out on the publisher's node, on the others, and per node.
    static func nodeTable(_ nodes: NodeFanoutReport) -> String {
        func row(_ name: String, _ histogram: HistogramReport) -> String {
            "<tr><td>\(xml(name))</td><td>\(histogram.count)</td><td>\(histogram.count > 0 ? Quantities.formatMicros(histogram.p50) : "–")</td><td>\(histogram.count > 0 ? Quantities.formatMicros(histogram.p99) : "–")</td></tr>"
        }
        var out =
            "<h3>Fan-out by node</h3><table><thead><tr><th>receivers</th><th>deliveries</th><th>p50</th><th>p99</th></tr></thead><tbody>"
        out += row("on the publisher's node", nodes.sameNode) + row("on other nodes", nodes.otherNodes)
        for node in nodes.perNode { out += row("on \(node.target)", node.fanout) }
        return out + "</tbody></table>"
    }
}
