import Foundation

/// The terminal summary of a report: one table of phases, connect figures, and verdicts.
public enum ReportPrinter {
    public static func summary(_ report: LoadReport) -> String {
        var out = "\(report.scenario.name) — \(report.scenario.description)\n"
        out += "target: \(report.environment.targets.joined(separator: ", "))  cores: \(report.environment.cores)"
        out += "  digest: \(report.scenarioDigest)\n"
        if report.environment.insecureTLS == true {
            out += "WARNING: --insecure: the servers' TLS certificates were NOT checked\n"
        }
        for (index, run) in report.runs.enumerated() {
            out +=
                "\n\(report.label(ofRun: index)): connected \(run.connect.connected)/\(run.connect.attempted), ready \(run.connect.ready)"
            out +=
                ", connect p50 \(Quantities.formatMicros(run.connect.latency.p50)) p99 \(Quantities.formatMicros(run.connect.latency.p99))"
            if !run.connect.errors.isEmpty {
                out += ", errors: " + run.connect.errors.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            }
            if let refreshes = run.connect.tokenRefreshes { out += ", \(refreshes) token refreshes" }
            out += "\n"
            out += table(run)
            if let refused = run.overall.refused, refused > 0 {
                out +=
                    "  refused: \(refused) public messages the server said it did not send (unavailable; nobody received them), not counted as lost\n"
            }
            let cpu = run.overall.process.cpuSeconds
            if run.framesReceived > 0 {
                out += "  load process: \(Quantities.trimmed(cpu, digits: 2)) CPU s over the phases"
                out += ", RSS \(Metrics.format(Double(run.overall.process.rssBytes), metric: "process.rss"))"
                out += ", \(run.framesReceived) frames received (\(Metrics.format(Double(run.bytesReceived), metric: "received.bytes")))"
                out += run.directReaders.map { ", \($0) of \(run.clients) clients read on the direct path" } ?? ""
                out += "\n"
            }
            if let generator = run.generator { out += generatorLine(generator) }
            if let agents = run.agents { out += agentTable(agents) }
            if let nodes = run.nodes { out += nodeLine(nodes) }
            if let attack = run.attack {
                out += "  attack: \(attack.halfOpen) half-open sockets, \(attack.opened) opened in all, the server closed "
                out +=
                    "\(attack.closedByServer), \(attack.heldAtEnd) held at the end\(attack.failedToOpen > 0 ? ", \(attack.failedToOpen) failed to open" : "")\n"
            }
            if let resume = run.resume { out += resumeLine(resume) }
            if let faults = run.faults { out += faultLines(faults) }
            if let rooms = run.rooms { out += roomsLines(rooms) }
            if let slow = run.slowConsumers {
                out += "  slow consumers: \(slow.count) stopped reading (\(slow.joined) joined); the server closed \(slow.closedByServer)\n"
            }
            if let presence = run.presence {
                out += "  presence: \(presence.complete)/\(presence.of) clients saw the complete member list;"
                out += " p50 \(Quantities.formatMicros(presence.completion.p50)), last \(Quantities.formatMicros(presence.completion.max))"
                out +=
                    " after the first connect; \(Metrics.format(Double(run.bytesReceived), metric: "received.bytes")) in \(run.framesReceived) frames\n"
            }
            for verdict in run.thresholds {
                out += "  \(verdict.passed ? "✓ pass" : "✗ FAIL")  \(verdict.threshold)  (measured \(verdict.measured))"
                out += verdict.reason.map { " — not judged: \($0)\n" } ?? "\n"
            }
        }
        if let capacity = report.capacity { out += "\n" + CapacityPrinter.table(capacity, runs: report.runs) }
        return out
    }

    /// The generator's own health; a generator-bound run says so in capitals, with the evidence.
    static func generatorLine(_ generator: GeneratorHealth) -> String {
        let evidence =
            "loop lag p99 \(Quantities.formatMicros(generator.loopLag.p99)), "
            + "loops busy " + generator.loopBusy.map { "\(Int(($0 * 100).rounded())) %" }.joined(separator: ", ")
            + " (\(generator.usableCores) usable core\(generator.usableCores == 1 ? "" : "s")), "
            + "send lag p99 \(Quantities.formatMicros(generator.sendLagP99Micros))"
        if generator.validity == .valid { return "  generator: kept up — \(evidence)\n" }
        return "  GENERATOR-BOUND: \(generator.reasons.joined(separator: "; ")). These figures measure the load "
            + "generator, not the server — \(evidence). Use more --threads or machines, or fewer clients.\n"
    }

    static func table(_ run: RunReport) -> String {
        let header = [
            "phase", "secs", "sent", "expected", "received", "lost", "dup", "ratio", "fanout p50", "p90", "p99", "p99.9", "max",
            "completion p99", "send lag p99", "deliv/s", "cpu",
        ]
        var rows: [[String]] = []
        for phase in run.phases + [run.overall] {
            rows.append([
                phase.name, Quantities.trimmed(phase.seconds, digits: 1), "\(phase.messagesSent)", "\(phase.expected)",
                "\(phase.received)", "\(phase.lost)", "\(phase.duplicates)",
                phase.ratio.map { Quantities.trimmed($0, digits: 4) } ?? "-",
                Quantities.formatMicros(phase.fanout.p50), Quantities.formatMicros(phase.fanout.p90),
                Quantities.formatMicros(phase.fanout.p99), Quantities.formatMicros(phase.fanout.p999),
                Quantities.formatMicros(phase.fanout.max), Quantities.formatMicros(phase.completion.p99),
                Quantities.formatMicros(phase.sendLag.p99), Quantities.trimmed(phase.deliveriesPerSecond, digits: 0),
                "\(Int((phase.process.cpuPerSecond * 100).rounded()))%",
            ])
        }
        return align([header] + rows)
    }

    /// Columns padded to their widest cell; the first left-aligned, the rest right-aligned.
    static func align(_ rows: [[String]]) -> String {
        guard let columns = rows.first?.count else { return "" }
        var widths = Array(repeating: 0, count: columns)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            "  "
                + row.enumerated().map { index, cell in
                    let pad = String(repeating: " ", count: widths[index] - cell.count)
                    return index == 0 ? cell + pad : pad + cell
                }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// Against a cluster: the fan-out on the publisher's node and on the others, and per node.
    static func nodeLine(_ nodes: NodeFanoutReport) -> String {
        func figures(_ histogram: HistogramReport) -> String {
            histogram.count > 0 ? "p50 \(Quantities.formatMicros(histogram.p50)), p99 \(Quantities.formatMicros(histogram.p99))" : "none"
        }
        var out = "  by node: on the publisher's node \(figures(nodes.sameNode)); on other nodes \(figures(nodes.otherNodes))\n"
        out += "    " + nodes.perNode.map { "\($0.target) \(figures($0.fanout))" }.joined(separator: "; ") + "\n"
        return out
    }

    /// A split run's agents: each one's part, its own view of the fan-out, its clock's error.
    static func agentTable(_ agents: [AgentReport]) -> String {
        var rows = [["agent", "clients", "publishers", "sent", "received", "fanout p50", "p99", "clock offset", "± error", "generator"]]
        for agent in agents {
            rows.append([
                agent.address, "\(agent.clients)", "\(agent.publishers)", "\(agent.messagesSent)", "\(agent.received)",
                agent.fanoutP50Micros.map(Quantities.formatMicros) ?? "-", agent.fanoutP99Micros.map(Quantities.formatMicros) ?? "-",
                (agent.clockOffsetMicros < 0 ? "-" : "") + Quantities.formatMicros(abs(agent.clockOffsetMicros)),
                Quantities.formatMicros(agent.clockErrorMicros),
                agent.validity == .valid ? "kept up" : "GENERATOR-BOUND",
            ])
        }
        return "  load agents (merged above; deliveries timed across agents carry the clock error):\n" + align(rows)
    }

    /// The rooms as dealt, then per size class of room: messages, due, arrived, lost, fan-out.
    static func roomsLines(_ rooms: RoomsReport) -> String {
        var out = "  rooms: \(rooms.rooms), \(rooms.memberships) memberships, members per room \(rooms.smallest)-\(rooms.largest)"
        out += " (median \(rooms.median)); rooms with a loss: \(rooms.roomsWithLoss)\n"
        var rows = [["  size", "rooms", "messages", "due", "received", "lost", "p50", "p99"]]
        for size in rooms.classes + (rooms.privateMessages.map { [$0] } ?? []) {
            rows.append([
                "  \(size.name)", size.name == "private" ? "-" : "\(size.rooms)", "\(size.messages)", "\(size.expected)",
                "\(size.received)", "\(size.lost)", Quantities.formatMicros(size.fanout.p50), Quantities.formatMicros(size.fanout.p99),
            ])
        }
        return out + align(rows)
    }

    /// Reconnects, how they resumed, and what the clients that came back missed or got twice.
    /// Each fault as it happened, in seconds from the start of the phases.
    static func faultLines(_ faults: [FaultReport]) -> String {
        func seconds(_ value: Double) -> String { Quantities.trimmed(value, digits: 2) + " s" }
        return faults.map { fault in
            var line = "  fault: \(fault.fault), due at \(seconds(fault.at))"
            if let applied = fault.appliedAt { line += ", done at \(seconds(applied))" }
            if let killed = fault.killed { line += " (\(killed) process\(killed == 1 ? "" : "es") killed)" }
            if let healed = fault.healedAt { line += ", healed at \(seconds(healed))" }
            if let error = fault.error { line += "; FAILED: \(error)" }
            return line + "\n"
        }.joined()
    }

    static func resumeLine(_ resume: ResumeReport) -> String {
        var out = "  reconnects: \(resume.dropped) dropped, \(resume.serverClosed) closed by the server"
        out += resume.dialFailures > 0 ? " (\(resume.dialFailures) dials failed first)" : ""
        out += "; \(resume.outcomesText)"
        if resume.latency.count > 0 {
            out += "; caught up p50 \(Quantities.formatMicros(resume.latency.p50)), p99 \(Quantities.formatMicros(resume.latency.p99))"
        }
        out += "\n  resume: \(resume.gaps) gaps, \(resume.duplicates) duplicates, \(resume.replayed) deliveries replayed\n"
        return out
    }
}
