import ArgumentParser
import Foundation
import ParleyLoad

struct Scale: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Capacity per node count: efficiency, the Universal Scalability Law fit, the curve, thresholds.",
        discussion: """
            Reads one `parley-load capacity --out` report per node count (the same scenario and
            SLOs against 1, 2, 4… nodes, each node with the same resources) and prints the table:
            capacity, deliveries per second, efficiency capacity(N) / (N × capacity(1)), the USL
            prediction; then the fit (contention σ, coherency κ, the peak node count). A count
            whose search stopped at the generator's limit is shown as a floor and left out of the
            fit. `make scale` builds the lab of simulated hosts and runs it all
            (Benchmarks/scale.py).

            Exit codes: 0 every --threshold held; 99 one failed; 2 bad arguments or reports.

            Examples:
              parley-load scale --point 1=out/scale/capacity-1.json --point 2=out/scale/capacity-2.json --point 4=out/scale/capacity-4.json --threshold 'scale.efficiency@4 >= 0.8'
              parley-load scale --point 1=a.json --point 4=b.json --html out/scale.html --out out/scale.json
            """
    )

    @Option(help: "NODES=REPORT: a capacity search's JSON report at that node count; repeat per count.") var point: [String] = []
    @Option(help: "A condition on the curve: scale.efficiency@N, scale.capacity@N, scale.sigma, scale.kappa; repeatable.")
    var threshold: [String] = []
    @Option(help: "The CPU budget each node had, in cores (for the record).") var cpu: Double?
    @Option(help: "Write the JSON report here.") var out: String?
    @Option(help: "Write the page with the curve here.") var html: String?

    func run() async throws {
        guard point.count >= 2 else { throw BadInput(description: "--point: give at least two node counts, 1 among them") }
        var capacities: [(nodes: Int, path: String, report: LoadReport)] = []
        for text in point {
            guard let equals = text.firstIndex(of: "="), let nodes = Int(text[..<equals]), nodes >= 1 else {
                throw BadInput(description: "--point \(text): expected NODES=REPORT, e.g. 4=out/scale/capacity-4.json")
            }
            let path = String(text[text.index(after: equals)...])
            let report: LoadReport
            do {
                report = try LoadReport.decode(Data(contentsOf: URL(fileURLWithPath: path)), file: path)
            } catch {
                throw BadInput(description: "--point \(text): cannot read \(path) as a parley-load report (\(error))")
            }
            capacities.append((nodes, path, report))
        }
        guard capacities.contains(where: { $0.nodes == 1 }) else { throw BadInput(description: "--point: one of them must be at 1 node") }
        var report: ScaleReport
        do {
            report = try ScaleReport(capacities: capacities, cpuPerNode: cpu)
        } catch {
            throw BadInput(description: "\(error)")
        }
        report.judge(
            try threshold.map { expression in
                do throws(ThresholdError) {
                    return try ScaleThreshold(expression: expression)
                } catch {
                    throw BadInput(description: "--threshold \(expression): \(error.message)")
                }
            })
        print(ScalePrinter.summary(report), terminator: "")
        if let out {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: out).deletingLastPathComponent(), withIntermediateDirectories: true)
            try report.encoded().write(to: URL(fileURLWithPath: out))
            print("report: \(out)")
        }
        if let html {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: html).deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(ScalePrinter.html(report).utf8).write(to: URL(fileURLWithPath: html))
            print("html: \(html)")
        }
        if report.thresholds.contains(where: { !$0.passed }) { throw ExitCode(LoadExit.thresholdFailed) }
    }
}
