import Foundation

/// The report page's charts: percentiles on HdrHistogram's axis, latency and load over time,
/// and the scaling curves of a sweep.
extension HTMLReport {
    /// (percentile, µs) pairs along HdrHistogram's percentile axis: 5 points per halving of the
    /// remaining tail, up to the last recorded value.
    public static func percentilePoints(_ recorded: HistogramReport) -> [(percentile: Double, micros: Double)] {
        let histogram = recorded.rebuild()
        guard histogram.totalCount > 0 else { return [] }
        let last = 1 - 1 / Double(histogram.totalCount)
        var points: [(Double, Double)] = []
        var step = 0
        while true {
            let percentile = 1 - pow(0.5, Double(step) / 5)
            if percentile > Swift.min(last, 0.99999) { break }
            points.append((percentile, Double(histogram.valueAtPercentile(percentile * 100))))
            step += 1
        }
        let top = Swift.min(Swift.max(last, points.last?.0 ?? 0), 0.99999)
        points.append((top, Double(histogram.max)))
        return points
    }

    static func percentileChart(_ entries: [Entry]) -> LineChart {
        // One line per report; a sweep's report gives one per client count.
        let lines = entries.flatMap { entry in
            runOrder(entry.report).map { index in
                let report = entry.report
                let name =
                    report.runs.count == 1
                    ? entry.label
                    : entries.count == 1 ? report.label(ofRun: index) : "\(entry.label) — \(report.label(ofRun: index))"
                return (name, percentilePoints(report.runs[index].overall.fanout))
            }
        }
        let maximumMicros = lines.flatMap { $0.1.map(\.micros) }.max() ?? 1
        let axis = DurationAxis(maximumMicros: maximumMicros)
        let lastPercentile = lines.flatMap { $0.1.map(\.percentile) }.max() ?? 0.99
        let xTicks = PercentileAxis.ticks.filter { $0 <= lastPercentile + 1e-9 || $0 == 0.99 }
        let xUpper = PercentileAxis.position(Swift.max(lastPercentile, xTicks.last ?? 0.99))
        var chart = LineChart(
            title: "fan-out latency by percentile", xLabel: "percentile", yLabel: "latency (\(axis.unit))",
            xDomain: 0...xUpper, yDomain: 0...(maximumMicros * 1.05),
            xTicks: xTicks.map { .init(PercentileAxis.position($0), PercentileAxis.label($0)) },
            yTicks: axis.ticks(upToMicros: maximumMicros * 1.05).map { .init($0, axis.label($0)) })
        chart.series = lines.enumerated().map { index, line in
            LineChart.Series(
                name: line.0, points: line.1.map { (PercentileAxis.position($0.percentile), $0.micros) },
                colour: LineChart.palette[index % LineChart.palette.count])
        }
        return chart
    }

    static func latencyOverTime(_ run: RunReport) -> LineChart {
        let seconds = Double(run.series.last?.second ?? 1)
        let maximumMicros = run.series.compactMap(\.p99Micros).max() ?? 1
        let axis = DurationAxis(maximumMicros: maximumMicros)
        var chart = LineChart(
            title: "fan-out latency per second", xLabel: "seconds", yLabel: "latency (\(axis.unit))",
            xDomain: 0...Swift.max(seconds, 1), yDomain: 0...(maximumMicros * 1.05),
            xTicks: Ticks.nice(from: 0, to: seconds).map { .init($0, Quantities.trimmed($0, digits: 1)) },
            yTicks: axis.ticks(upToMicros: maximumMicros * 1.05).map { .init($0, axis.label($0)) })
        chart.series = [
            .init(
                name: "p50", points: run.series.compactMap { s in s.p50Micros.map { (Double(s.second), $0) } }, colour: LineChart.palette[0]
            ),
            .init(
                name: "p99", points: run.series.compactMap { s in s.p99Micros.map { (Double(s.second), $0) } }, colour: LineChart.palette[1]
            ),
        ]
        return chart
    }

    static func loadOverTime(_ run: RunReport) -> LineChart {
        let seconds = Double(run.series.last?.second ?? 1)
        let top = Double(run.series.map { Swift.max($0.connected, $0.deliveries) }.max() ?? 1) * 1.05
        var chart = LineChart(
            title: "connected clients and deliveries per second", xLabel: "seconds", yLabel: "count",
            xDomain: 0...Swift.max(seconds, 1), yDomain: 0...Swift.max(top, 1),
            xTicks: Ticks.nice(from: 0, to: seconds).map { .init($0, Quantities.trimmed($0, digits: 1)) },
            yTicks: Ticks.nice(from: 0, to: Swift.max(top, 1)).map { .init($0, compact($0)) })
        chart.series = [
            .init(name: "connected", points: run.series.map { (Double($0.second), Double($0.connected)) }, colour: LineChart.palette[2]),
            .init(
                name: "deliveries/s", points: run.series.map { (Double($0.second), Double($0.deliveries)) }, colour: LineChart.palette[3]),
        ]
        return chart
    }

    /// Clients on a log axis; the first step whose thresholds failed is marked.
    static func scalingLatency(_ report: LoadReport) -> LineChart {
        let runs = report.runs
        let maximumMicros = runs.map(\.overall.fanout.p99).max() ?? 1
        let axis = DurationAxis(maximumMicros: maximumMicros)
        var chart = LineChart(
            title: "fan-out latency against clients", xLabel: "clients (log scale)", yLabel: "latency (\(axis.unit))",
            xDomain: clientDomain(runs), yDomain: 0...(maximumMicros * 1.05),
            xTicks: runs.map { .init(log10(Double($0.clients)), String($0.clients)) },
            yTicks: axis.ticks(upToMicros: maximumMicros * 1.05).map { .init($0, axis.label($0)) })
        chart.series = [
            .init(name: "p50", points: runs.map { (log10(Double($0.clients)), $0.overall.fanout.p50) }, colour: LineChart.palette[0]),
            .init(name: "p99", points: runs.map { (log10(Double($0.clients)), $0.overall.fanout.p99) }, colour: LineChart.palette[1]),
        ]
        if let failing = runs.first(where: { $0.thresholds.contains { !$0.passed } }) {
            chart.rules.append(.init(.vertical, at: log10(Double(failing.clients)), "first threshold failure"))
        }
        return chart
    }

    static func scalingThroughput(_ report: LoadReport) -> LineChart {
        let runs = report.runs
        let top = (runs.map(\.overall.deliveriesPerSecond).max() ?? 1) * 1.05
        var chart = LineChart(
            title: "deliveries per second against clients", xLabel: "clients (log scale)", yLabel: "deliveries/s",
            xDomain: clientDomain(runs), yDomain: 0...Swift.max(top, 1),
            xTicks: runs.map { .init(log10(Double($0.clients)), String($0.clients)) },
            yTicks: Ticks.nice(from: 0, to: Swift.max(top, 1)).map { .init($0, compact($0)) })
        chart.series = [
            .init(
                name: "deliveries/s", points: runs.map { (log10(Double($0.clients)), $0.overall.deliveriesPerSecond) },
                colour: LineChart.palette[3])
        ]
        return chart
    }
}
