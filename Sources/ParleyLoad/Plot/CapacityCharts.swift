import Foundation

/// The capacity search in the HTML report: the answer in a sentence, each latency SLO's metric
/// against the load with the SLO's line and every step marked pass or fail, and throughput.
extension HTMLReport {
    static func capacitySection(_ entry: Entry, _ capacity: CapacityReport) -> String {
        var out = "<section><h2>Capacity — \(xml(entry.label))</h2>"
        out += "<p class=\"verdict \(capacity.capacity == nil ? "fail" : "pass")\">\(xml(capacity.sentence))</p>"
        out +=
            "<p>\(capacity.steps.count) steps, doubling then bisecting to \(Quantities.trimmed(capacity.precision * 100, digits: 1)) %; every step ran the whole scenario.</p>"
        for threshold in capacity.slos.compactMap({ try? Threshold(expression: $0) }) where Metrics.unit(of: threshold.metric) == .micros {
            out += capacityLatency(entry.report, capacity, slo: threshold).svg()
        }
        out += capacityThroughput(entry.report, capacity).svg()
        return out + "</section>"
    }

    /// One latency metric at every step (log x), the SLO's limit across, the capacity marked.
    static func capacityLatency(_ report: LoadReport, _ capacity: CapacityReport, slo: Threshold) -> LineChart {
        let steps = capacity.steps.sorted { $0.value < $1.value }
        let values = steps.map { report.runs[$0.run].metrics[slo.metric] ?? 0 }
        let top = Swift.max(values.max() ?? 1, slo.limit) * 1.1
        let axis = DurationAxis(maximumMicros: top)
        var chart = LineChart(
            title: "\(slo.metric) against \(capacity.unit)", xLabel: "\(capacity.unit) (log scale)", yLabel: "latency (\(axis.unit))",
            xDomain: stepDomain(steps), yDomain: 0...top, xTicks: stepTicks(steps, capacity.vary),
            yTicks: axis.ticks(upToMicros: top).map { .init($0, axis.label($0)) })
        chart.series = [.init(name: slo.metric, points: zip(steps, values).map { (log10($0.value), $1) }, colour: LineChart.palette[1])]
        chart.marks = zip(steps, values).map { step, value in
            .init(
                x: log10(step.value), y: value, passed: step.passed,
                label:
                    "\(CapacityReport.describe(step.value, vary: capacity.vary)): \(Metrics.format(value, metric: slo.metric)) — \(step.passed ? "pass" : "fail")"
            )
        }
        chart.rules.append(.init(.horizontal, at: slo.limit, "SLO \(slo.comparison.rawValue) \(Quantities.formatMicros(slo.limit))"))
        if let found = capacity.capacity {
            chart.rules.append(.init(.vertical, at: log10(found), "capacity"))
        }
        return chart
    }

    static func capacityThroughput(_ report: LoadReport, _ capacity: CapacityReport) -> LineChart {
        let steps = capacity.steps.sorted { $0.value < $1.value }
        let values = steps.map { report.runs[$0.run].overall.deliveriesPerSecond }
        let top = Swift.max(values.max() ?? 1, 1) * 1.05
        var chart = LineChart(
            title: "deliveries per second against \(capacity.unit)", xLabel: "\(capacity.unit) (log scale)", yLabel: "deliveries/s",
            xDomain: stepDomain(steps), yDomain: 0...top, xTicks: stepTicks(steps, capacity.vary),
            yTicks: Ticks.nice(from: 0, to: top).map { .init($0, compact($0)) })
        chart.series = [.init(name: "deliveries/s", points: zip(steps, values).map { (log10($0.value), $1) }, colour: LineChart.palette[3])]
        chart.marks = zip(steps, values).map { step, value in
            .init(
                x: log10(step.value), y: value, passed: step.passed,
                label: "\(CapacityReport.describe(step.value, vary: capacity.vary)): \(compact(value))/s")
        }
        return chart
    }

    static func stepDomain(_ steps: [CapacityStep]) -> ClosedRange<Double> {
        let logs = steps.map { log10(Swift.max($0.value, 1e-9)) }
        let lower = logs.min() ?? 0, upper = logs.max() ?? 1
        return upper > lower ? lower...upper : (lower - 0.5)...(upper + 0.5)
    }

    static func stepTicks(_ steps: [CapacityStep], _ vary: CapacitySearch.Variable) -> [LineChart.Tick] {
        let values = steps.map(\.value)
        return Ticks.logarithmic(from: values.min() ?? 1, to: values.max() ?? 1).map { .init(log10($0), compact($0)) }
    }
}
