import ArgumentParser
import Foundation
import ParleyLoad

struct Compare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two reports (or two sets of runs) metric by metric; exit 99 when one is worse than the tolerance.",
        discussion: """
            Latencies and counts are worse when higher; ratio and throughput when lower.
            With several runs per side (--base/--new, repeated) the medians are compared, and a
            change is WORSE only when it passes the tolerance and every new run is on the wrong
            side of every base run; otherwise it is "within the runs' spread". On a shared machine
            one run per side often cannot tell a 30 % p99 change from noise; three can.

            Examples:
              parley-load compare out/base.json out/new.json
              parley-load compare base.json new.json --tolerance 5% --metric fanout.p99 --metric delivery.ratio
              parley-load compare base.json new.json --markdown >> pr-comment.md
              parley-load compare --base a1.json --base a2.json --base a3.json --new b1.json --new b2.json --new b3.json
            """
    )

    @Argument(help: "The baseline report, then the new one (or use --base and --new).") var reports: [String] = []
    @Option(name: .customLong("base"), help: "A baseline run's report; repeat for several runs.") var bases: [String] = []
    @Option(name: .customLong("new"), help: "A new run's report; repeat for several runs.") var news: [String] = []
    @Option(help: "How much worse a metric may be, e.g. 10% or 0.1.") var tolerance = "10%"
    @Option(help: "A metric to compare; repeatable (default: the headline metrics).") var metric: [String] = []
    @Flag(help: "Print the table as Markdown (for a pull request).") var markdown = false
    @Option(help: "Also write an HTML page: both runs' plots and the comparison table.") var html: String?

    func run() async throws {
        guard let fraction = Quantities.fraction(tolerance) else {
            throw BadInput(description: "--tolerance: expected a percentage like 10%, got \"\(tolerance)\"")
        }
        for name in metric where Metrics.unit(of: name) == nil {
            throw BadInput(description: "--metric: unknown metric \"\(name)\" (known: \(Metrics.names.joined(separator: ", ")))")
        }
        let (basePaths, newPaths): ([String], [String])
        switch (reports.count, bases.isEmpty, news.isEmpty) {
        case (2, true, true): (basePaths, newPaths) = ([reports[0]], [reports[1]])
        case (0, false, false): (basePaths, newPaths) = (bases, news)
        default:
            throw BadInput(description: "give two reports (BASE NEW), or --base … and --new … (each repeatable), not a mix")
        }
        let baseReports: [LoadReport], newReports: [LoadReport]
        do {
            baseReports = try basePaths.map { try LoadReport.load(path: $0) }
            newReports = try newPaths.map { try LoadReport.load(path: $0) }
        } catch let error as ReportError {
            throw BadInput(description: error.description)
        }
        let comparison = Comparison(
            bases: baseReports, news: newReports, tolerance: fraction,
            metrics: metric.isEmpty ? Comparison.defaultMetrics : metric)
        if let html {
            let entries = zip(basePaths, baseReports).map { HTMLReport.Entry(label: "base: \($0)", report: $1) }
                + zip(newPaths, newReports).map { HTMLReport.Entry(label: "new: \($0)", report: $1) }
            try HTMLOutput.write(entries, comparison: comparison, to: html)
        }
        if markdown {
            print(comparison.markdown(), terminator: "")
        } else {
            print(comparison.table(colour: isatty(STDOUT_FILENO) != 0), terminator: "")
        }
        if comparison.failed { throw ExitCode(LoadExit.thresholdFailed) }
    }
}

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the summary of one or more saved reports.",
        discussion: """
            Examples:
              parley-load report out/default.json
              parley-load report out/default.json --hgrm out/hgrm   # then plot with HdrHistogram's plotter
              parley-load report out/base.json out/new.json --html out/runs.html   # curves overlaid
            """
    )

    @Argument(help: "Report files (JSON).") var reports: [String]
    @Option(help: "Also write HdrHistogram percentile-distribution files (.hgrm, ms) per phase into this folder.")
    var hgrm: String?
    @Option(help: "Write one self-contained HTML page with every report's plots (overlaid) and tables.")
    var html: String?

    func run() async throws {
        guard !reports.isEmpty else { throw BadInput(description: "give at least one report file") }
        var entries: [HTMLReport.Entry] = []
        for path in reports {
            do {
                let report = try LoadReport.load(path: path)
                entries.append(.init(label: path, report: report))
                print(ReportPrinter.summary(report))
                if let hgrm {
                    for file in try PercentileFiles.write(report, to: hgrm) { print("hgrm: \(file)") }
                }
            } catch let error as ReportError {
                throw BadInput(description: error.description)
            }
        }
        if let html { try HTMLOutput.write(entries, comparison: nil, to: html) }
    }
}

/// Writes an HTML report and says where.
enum HTMLOutput {
    static func write(_ entries: [HTMLReport.Entry], comparison: Comparison?, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(HTMLReport.render(entries, comparison: comparison).utf8).write(to: url)
        print("html: \(path)")
    }
}
