import Foundation

/// The scaling table for people (terminal), and its page (HTML): measured capacity per node
/// count, efficiency, the fitted law, the verdicts.
public enum ScalePrinter {
    public static func summary(_ report: ScaleReport) -> String {
        var rows = [["nodes", "capacity (\(report.unit))", "deliveries/s", "efficiency", "USL predicted", "fan-out p99", "lost", "dup"]]
        for point in report.points {
            let capacity: String
            if let value = point.capacity {
                let number = Int(value).formatted(.number.grouping(.automatic))
                capacity =
                    point.generatorBound ? "≥ \(number) (generator-bound)" : point.reachedMaximum ? "≥ \(number) (the maximum)" : number
            } else {
                capacity = point.generatorBound ? "— (generator-bound)" : "— (no step held)"
            }
            rows.append([
                "\(point.nodes)", capacity, point.deliveriesPerSecond.map { Int($0).formatted(.number.grouping(.automatic)) } ?? "–",
                point.efficiency.map { Quantities.trimmed($0, digits: 2) } ?? "–",
                point.predicted.map { Int($0).formatted(.number.grouping(.automatic)) } ?? "–",
                point.fanoutP99Micros.map(Quantities.formatMicros) ?? "–", "\(point.lost)", "\(point.duplicates)",
            ])
        }
        var out =
            "capacity per node count" + (report.cpuPerNode.map { ", \(Quantities.trimmed($0, digits: 2)) core per node" } ?? "") + ":\n"
        out += ReportPrinter.align(rows)
        out += "  " + fitSentence(report) + "\n"
        for verdict in report.thresholds {
            let measured = verdict.value.map { "measured \(Quantities.trimmed($0, digits: 4))" } ?? (verdict.note ?? "not measured")
            out += "  \(verdict.passed ? "✓ pass" : "✗ FAIL")  \(verdict.text)  (\(measured))\n"
        }
        return out
    }

    static func fitSentence(_ report: ScaleReport) -> String {
        guard let fit = report.fit else { return "USL fit: needs the one-node capacity and one more node count measured" }
        var text =
            "USL fit: contention σ = \(Quantities.trimmed(fit.sigma, digits: 4)), coherency κ = \(Quantities.trimmed(fit.kappa, digits: 5))"
        if let peak = fit.peakNodes {
            text +=
                "; capacity peaks at \(Quantities.trimmed(peak, digits: 1)) nodes (\(Int(fit.capacity(at: peak)).formatted(.number.grouping(.automatic))) \(report.unit))"
        } else {
            text +=
                "; no peak (κ = 0: capacity keeps growing, by at most 1/σ = \(fit.sigma > 0 ? Quantities.trimmed(1 / fit.sigma, digits: 1) + "×" : "unbounded"))"
        }
        return text
    }

    /// A page with the curve: measured points, the fitted law, linear scaling dashed.
    public static func html(_ report: ScaleReport) -> String {
        let measured = report.points.compactMap { point in point.measured.map { (x: Double(point.nodes), y: $0) } }
        let maxNodes = Double(report.points.map(\.nodes).max() ?? 1)
        let single = report.points.first { $0.nodes == 1 }?.measured
        var top = measured.map(\.y).max() ?? 1
        if let single { top = max(top, single * maxNodes) }
        var chart = LineChart(
            title: "Capacity per node count", xLabel: "nodes", yLabel: report.unit, xDomain: 0...maxNodes + 0.5,
            yDomain: 0...top * 1.1, xTicks: report.points.map { .init(Double($0.nodes), "\($0.nodes)") },
            yTicks: Ticks.nice(from: 0, to: top * 1.1).map { .init($0, Int($0).formatted(.number.grouping(.automatic))) })
        if let single {
            chart.series.append(
                .init(name: "linear scaling", points: [(1, single), (maxNodes, single * maxNodes)], colour: "#94a3b8", dashed: true))
        }
        if let fit = report.fit {
            let curve = stride(from: 1.0, through: maxNodes, by: max(maxNodes / 40, 0.05)).map { (x: $0, y: fit.capacity(at: $0)) }
            chart.series.append(.init(name: "USL fit", points: curve, colour: "#2857c5"))
        }
        chart.marks = report.points.compactMap { point in
            point.capacity.map {
                .init(
                    x: Double(point.nodes), y: $0, passed: point.measured != nil, label: "\(point.nodes) nodes: \(Int($0)) \(report.unit)")
            }
        }
        var body = "<h1>Capacity per node count</h1><section>\(chart.svg())</section><section><pre>\(xml(summary(report)))</pre></section>"
        body += "<section><p>Each point is a capacity search (parley-load capacity) against that many nodes; its report: "
        body += report.points.map { "<code>\(xml($0.report))</code>" }.joined(separator: ", ") + ".</p></section>"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"/><title>Capacity per node count — parley-load</title><style>\(HTMLReport.style)</style></head>
            <body>\(body)</body></html>

            """
    }
}
