import ArgumentParser
import Foundation
import ParleyLoad

struct Compare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two reports (or two sets of runs, or a baseline) metric by metric; exit 99 on a regression.",
        discussion: """
            Latencies and counts are worse when higher; ratio and throughput when lower. Each
            metric has its own tolerance (the new report's scenario compare: block, else the
            metric's default; --tolerance overrides). Medians of each side are compared, and a
            change is WORSE (or better) only when it passes the tolerance and the bootstrap 95 %
            interval of the change excludes zero; otherwise it is "within the runs' spread".
            A baseline file counts as all of its runs. Reports of another scenario or machine
            are refused unless --force.

            Examples:
              parley-load compare out/base.json out/new.json
              parley-load compare base.json new.json --tolerance 5% --metric fanout.p99 --metric delivery.ratio
              parley-load compare base.json new.json --tolerance fanout.p99=20% --tolerance connect.p99=ignore
              parley-load compare base.json new.json --markdown >> pr-comment.md
              parley-load compare --base a1.json --base a2.json --base a3.json --new b1.json --new b2.json --new b3.json
              parley-load compare --base baselines/ci-gate.json --new n1.json --new n2.json --new n3.json --junit out/junit.xml
            """
    )

    @Argument(help: "The baseline report, then the new one (or use --base and --new).") var reports: [String] = []
    @Option(name: .customLong("base"), help: "A baseline run's report, or a baseline file; repeat for several runs.") var bases: [String] =
        []
    @Option(name: .customLong("new"), help: "A new run's report; repeat for several runs.") var news: [String] = []
    @OptionGroup var gate: GateOptions
    @Flag(help: "Print the table as Markdown (for a pull request).") var markdown = false
    @Option(help: "Also write an HTML page: both runs' plots and the comparison table.") var html: String?

    func run() async throws {
        let metrics = try gate.metrics()
        let (basePaths, newPaths): ([String], [String])
        switch (reports.count, bases.isEmpty, news.isEmpty) {
        case (2, true, true): (basePaths, newPaths) = ([reports[0]], [reports[1]])
        case (0, false, false): (basePaths, newPaths) = (bases, news)
        default:
            throw BadInput(description: "give two reports (BASE NEW), or --base … and --new … (each repeatable), not a mix")
        }
        let baseFiles: [[LoadReport]], newFiles: [[LoadReport]]
        do {
            baseFiles = try basePaths.map { try RunFiles.load(path: $0) }
            newFiles = try newPaths.map { try RunFiles.load(path: $0) }
        } catch let error as ReportError {
            throw BadInput(description: error.description)
        }
        let baseReports = baseFiles.flatMap { $0 }
        let newReports = newFiles.flatMap { $0 }
        try gate.check(Baseline(reports: baseReports).mismatches(with: newReports))
        let tolerances = try gate.tolerances(scenario: newReports.first?.scenario.compare ?? [:])
        let comparison = Comparison(bases: baseReports, news: newReports, tolerances: tolerances, metrics: metrics)
        if let html {
            let label = { (path: String, count: Int, index: Int) in count > 1 ? "\(path) #\(index + 1)" : path }
            let entries =
                zip(basePaths, baseFiles).flatMap { path, reports in
                    reports.enumerated().map {
                        HTMLReport.Entry(label: "base: " + label(path, reports.count, $0.offset), report: $0.element)
                    }
                }
                + zip(newPaths, newFiles).flatMap { path, reports in
                    reports.enumerated().map {
                        HTMLReport.Entry(label: "new: " + label(path, reports.count, $0.offset), report: $0.element)
                    }
                }
            try HTMLOutput.write(entries, comparison: comparison, to: html)
        }
        if markdown {
            print(comparison.markdown(), terminator: "")
        } else {
            print(comparison.table(colour: isatty(STDOUT_FILENO) != 0), terminator: "")
        }
        try gate.publish(reports: [], comparison: comparison)
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
