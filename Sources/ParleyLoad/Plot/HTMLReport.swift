import Foundation

/// One self-contained HTML page for one or more reports: the headline with threshold verdicts,
/// the fan-out percentile distribution (one line per report), latency, clients and deliveries over
/// time, the scaling curve of a sweep, every metric with its unit, and — given two reports — the
/// comparison table. Inline SVG and CSS only: no script, no font or file from the network.
public enum HTMLReport {
    public struct Entry: Sendable {
        public var label: String
        public var report: LoadReport

        public init(label: String, report: LoadReport) {
            self.label = label
            self.report = report
        }
    }

    public static func render(_ entries: [Entry], comparison: Comparison? = nil) -> String {
        var body = ""
        let title = entries.map { $0.report.scenario.name }.uniqued().joined(separator: " vs ")
        body += "<h1>\(xml(title))</h1>"
        for entry in entries { body += headline(entry) }
        for entry in entries {
            if let capacity = entry.report.capacity { body += capacitySection(entry, capacity) }
        }
        if let comparison { body += comparisonTable(comparison, entries) }
        body += "<section><h2>Fan-out latency by percentile</h2>" + percentileChart(entries).svg() + "</section>"
        for entry in entries {
            // A sweep's largest step is the one whose time course matters; a capacity search's,
            // the step at its answer.
            let index = timeCourseRun(entry.report)
            let run = entry.report.runs[index]
            guard !run.series.isEmpty else { continue }
            body += "<section><h2>Over time — \(xml(entry.label)), \(xml(entry.report.label(ofRun: index)))</h2>"
            body += latencyOverTime(run).svg() + loadOverTime(run).svg()
            if let resume = run.resume { body += resumeSummary(resume, scenario: entry.report.scenario) }
            if let agents = run.agents { body += agentTable(agents) }
            if let nodes = run.nodes { body += nodeTable(nodes) }
            body += "</section>"
        }
        for entry in entries where entry.report.runs.count > 1 && entry.report.capacity == nil {
            body += "<section><h2>Scaling — \(xml(entry.label))</h2>"
            body += scalingLatency(entry.report).svg() + scalingThroughput(entry.report).svg() + "</section>"
        }
        for entry in entries { body += metricsTables(entry) }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>
            <title>\(xml(title)) — parley-load</title><style>\(style)</style></head>
            <body>\(body)<footer>parley-load report, schema \(LoadReport.currentSchemaVersion)</footer></body></html>

            """
    }

    // MARK: sections

    static func headline(_ entry: Entry) -> String {
        let report = entry.report
        let order = runOrder(report)
        // In a sweep each verdict says which client count it is about; a capacity search shows
        // those of the step it answered with (its failing steps are in its own section).
        let shown = report.capacity == nil ? order : [timeCourseRun(report)]
        let verdicts = shown.flatMap { index in
            report.runs[index].thresholds.map { verdict in
                (label: report.runs.count > 1 ? "[\(report.label(ofRun: index))] \(verdict.threshold)" : verdict.threshold, verdict)
            }
        }
        // A capacity search expects its last steps to fail; its verdict is whether it found one.
        let passed = report.capacity.map { $0.capacity != nil } ?? verdicts.allSatisfy(\.1.passed)
        let outcome = report.capacity.map { capacity in
            capacity.capacity.map { "capacity \(CapacityReport.describe($0, vary: capacity.vary))" } ?? "no step held every SLO"
        }
        var out = "<section class=\"headline\"><h2>\(xml(entry.label))</h2>"
        if !report.scenario.description.isEmpty { out += "<p>\(xml(report.scenario.description))</p>" }
        out += "<dl>"
        out += "<dt>target</dt><dd>\(xml(report.environment.targets.joined(separator: ", ")))</dd>"
        if report.environment.insecureTLS == true {
            out += "<dt>TLS</dt><dd class=\"warning\">certificates NOT checked (--insecure)</dd>"
        }
        out += "<dt>clients</dt><dd>\(order.map { String(report.runs[$0].clients) }.uniqued().joined(separator: ", "))</dd>"
        let runs = report.runs
        out += "<dt>delivered</dt><dd>\(runs.map(\.overall.received).reduce(0, +)) of \(runs.map(\.overall.expected).reduce(0, +))</dd>"
        let p99s = order.map {
            (runs.count > 1 ? "\(report.label(ofRun: $0)): " : "") + Quantities.formatMicros(runs[$0].overall.fanout.p99)
        }
        out += "<dt>fan-out p99</dt><dd>\(xml(p99s.joined(separator: ", ")))</dd>"
        out += "<dt>started</dt><dd>\(ISO8601DateFormatter().string(from: report.startedAt))</dd>"
        out +=
            "<dt>machine</dt><dd>\(report.environment.cores) cores, \(xml(report.environment.os))\(report.environment.commit.map { ", commit \(xml($0))" } ?? "")</dd>"
        out += "</dl>"
        out += generatorBanner(report, runs: order)
        if verdicts.isEmpty {
            out += "<p class=\"verdict none\">no thresholds</p>"
        } else {
            out +=
                "<p class=\"verdict \(passed ? "pass" : "fail")\">\(passed ? "PASS" : "FAIL") — \(outcome.map { xml($0) + ": " } ?? "")\(verdicts.filter(\.1.passed).count) of \(verdicts.count) thresholds held\(outcome == nil ? "" : " at that step")</p><ul class=\"verdicts\">"
            for (label, verdict) in verdicts {
                out +=
                    "<li class=\"\(verdict.passed ? "pass" : "fail")\">\(verdict.passed ? "✓" : "✗") \(xml(label)) <span>(measured \(xml(verdict.measured)))\(verdict.reason.map { " — not judged: " + xml($0) } ?? "")</span></li>"
            }
            out += "</ul>"
        }
        return out + "</section>"
    }

    /// Under the time course: when the drop came, how the clients came back, and whether any
    /// missed a message (in red) or got one twice.
    static func resumeSummary(_ resume: ResumeReport, scenario: Scenario) -> String {
        var out = "<h3>Reconnects and resume</h3><dl>"
        if let reconnect = scenario.reconnect, reconnect.drop > 0, let at = reconnect.at {
            out +=
                "<dt>drop</dt><dd>\(Quantities.trimmed(reconnect.drop * 100, digits: 1)) % of members at \(Quantities.formatMicros(at.seconds * 1e6)), back after \(Quantities.formatMicros(reconnect.away.seconds * 1e6))\(reconnect.resume ? ", resuming" : ", without resume")</dd>"
        }
        out +=
            "<dt>reconnects</dt><dd>\(resume.dropped) dropped, \(resume.serverClosed) closed by the server\(resume.dialFailures > 0 ? ", \(resume.dialFailures) dials failed first" : "")</dd>"
        out += "<dt>answers</dt><dd>\(xml(resume.outcomesText))</dd>"
        if resume.latency.count > 0 {
            out +=
                "<dt>caught up</dt><dd>p50 \(Quantities.formatMicros(resume.latency.p50)), p99 \(Quantities.formatMicros(resume.latency.p99)), last \(Quantities.formatMicros(resume.latency.max)) after the dial</dd>"
        }
        out +=
            "<dt>gaps</dt><dd\(resume.gaps > 0 ? " class=\"warning\"" : "")>\(resume.gaps) messages missed by clients that came back</dd>"
        out += "<dt>duplicates</dt><dd\(resume.duplicates > 0 ? " class=\"warning\"" : "")>\(resume.duplicates)</dd>"
        out += "<dt>replayed</dt><dd>\(resume.replayed) deliveries (received; not in the fan-out latency)</dd></dl>"
        return out
    }

    /// In red when the generator was the bottleneck of any run, with the evidence; a quiet line
    /// of the same evidence otherwise.
    static func generatorBanner(_ report: LoadReport, runs order: [Int]) -> String {
        let judged = order.compactMap { index in report.runs[index].generator.map { (index, $0) } }
        guard !judged.isEmpty else { return "" }
        let bound = judged.filter { $0.1.validity == .generatorBound }
        func label(_ index: Int) -> String { report.runs.count > 1 ? "\(report.label(ofRun: index)): " : "" }
        if bound.isEmpty {
            let lags = judged.map { label($0.0) + "loop lag p99 " + Quantities.formatMicros($0.1.loopLag.p99) }
            return "<p class=\"generator ok\">generator kept up — \(xml(lags.joined(separator: ", ")))</p>"
        }
        var out =
            "<div class=\"generator bound\"><strong>GENERATOR-BOUND</strong> — these figures measure the load generator, "
            + "not the server.<ul>"
        for (index, generator) in bound {
            out += "<li>\(xml(label(index) + generator.reasons.joined(separator: "; ")))</li>"
        }
        return out + "</ul></div>"
    }

    static func metricsTables(_ entry: Entry) -> String {
        var out = "<section><h2>Every metric — \(xml(entry.label))</h2>"
        let order = runOrder(entry.report)
        let runs = order.map { entry.report.runs[$0] }
        out +=
            "<table><thead><tr><th>metric</th>" + order.map { "<th>\(xml(entry.report.label(ofRun: $0)))</th>" }.joined()
            + "</tr></thead><tbody>"
        for name in Metrics.names where runs.contains(where: { $0.metrics[name] != nil }) {
            out += "<tr><td>\(xml(name))</td>"
            out += runs.map { run in "<td>\(run.metrics[name].map { xml(Metrics.format($0, metric: name)) } ?? "–")</td>" }.joined()
            out += "</tr>"
        }
        return out + "</tbody></table></section>"
    }

    static func comparisonTable(_ comparison: Comparison, _ entries: [Entry]) -> String {
        let title =
            comparison.isMultiRun
            ? "\(comparison.baseCount) base runs → \(comparison.newCount) new runs (medians; a change is worse only outside the runs' spread)"
            : "\(entries.first?.label ?? "base") → \(entries.last?.label ?? "new")"
        var out = "<section><h2>Comparison: \(xml(title))</h2>"
        for note in comparison.notes { out += "<p class=\"note\">note: \(xml(note))</p>" }
        out += "<table><thead><tr>" + comparison.header.map { "<th>\($0)</th>" }.joined() + "</tr></thead><tbody>"
        for row in comparison.rows {
            let kind = row.verdict == .worse ? "fail" : row.verdict == .better ? "pass" : ""
            out += "<tr class=\"\(kind)\">" + row.cells(spread: comparison.isMultiRun).map { "<td>\(xml($0))</td>" }.joined() + "</tr>"
        }
        return out + "</tbody></table></section>"
    }

    // MARK: helpers

    /// Runs in order of load: as run for a sweep, by step value for a capacity search.
    static func runOrder(_ report: LoadReport) -> [Int] {
        guard let capacity = report.capacity else { return Array(report.runs.indices) }
        return capacity.steps.sorted { $0.value < $1.value }.map(\.run)
    }

    static func timeCourseRun(_ report: LoadReport) -> Int {
        if let capacity = report.capacity {
            let answer = capacity.steps.first { $0.value == capacity.capacity } ?? capacity.steps.min { $0.value < $1.value }
            if let answer { return answer.run }
        }
        return report.runs.indices.max { report.runs[$0].clients < report.runs[$1].clients } ?? 0
    }

    static func clientDomain(_ runs: [RunReport]) -> ClosedRange<Double> {
        let logs = runs.map { log10(Double(Swift.max($0.clients, 1))) }
        let lower = logs.min() ?? 0, upper = logs.max() ?? 1
        return upper > lower ? lower...upper : (lower - 0.5)...(upper + 0.5)
    }

    /// 1200 → "1.2k", 2000000 → "2M": tick labels that fit.
    static func compact(_ value: Double) -> String {
        if value >= 1_000_000 { return Quantities.trimmed(value / 1_000_000, digits: 2) + "M" }
        if value >= 1_000 { return Quantities.trimmed(value / 1_000, digits: 2) + "k" }
        return Quantities.trimmed(value, digits: 2)
    }

    static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1c2330}
        h1{font-size:1.6rem}h2{font-size:1.15rem;margin-top:2rem}section{margin-bottom:1.5rem}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{color:#5a6475}dd{margin:0}
        .verdict{font-weight:700;font-size:1.1rem;padding:.4rem .7rem;border-radius:.4rem;display:inline-block}
        .verdict.pass{background:#e3f4ea;color:#1d8a4a}.verdict.fail{background:#fbe4e2;color:#b3261e}.verdict.none{background:#eef0f3}
        .verdicts{list-style:none;padding:0}.verdicts li.pass{color:#1d8a4a}.verdicts li.fail{color:#b3261e;font-weight:600}.verdicts span{color:#5a6475;font-weight:400}
        table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .7rem;border-bottom:1px solid #d9dee6;text-align:right}td:first-child,th:first-child{text-align:left}
        tr.fail td{color:#b3261e;font-weight:600}tr.pass td{color:#1d8a4a}
        svg{display:block;margin:.5rem 0;max-width:100%;height:auto}.grid{stroke:#eef0f3}.axis{stroke:#5a6475}
        .tick{font-size:11px;fill:#5a6475}.axis-label{font-size:12px;fill:#1c2330}.chart-title{font-size:13px;font-weight:600}
        .legend{font-size:12px}.rule{stroke:#b3261e;stroke-dasharray:5 4}.rule-label{font-size:11px;fill:#b3261e}
        .mark.pass{fill:#1d8a4a}.mark.fail{fill:#b3261e}.note{color:#b7791f}.warning{color:#b3261e;font-weight:700}.generator.bound{background:#fbe4e2;color:#b3261e;border:2px solid #b3261e;padding:.5rem 1rem;border-radius:6px}.generator.ok{color:#5a6475}footer{color:#5a6475;font-size:.8rem;margin-top:3rem}
        """
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
