import Foundation
import Histogram

/// HdrHistogram percentile-distribution files (`.hgrm`), the format HdrHistogram's own plotters
/// read (e.g. hdrhistogram.github.io/HdrHistogram/plotFiles.html): one per phase of each run,
/// plus the run overall, values in milliseconds.
public enum PercentileFiles {
    /// Writes the files into `directory` (created if missing) and returns their paths.
    @discardableResult
    public static func write(_ report: LoadReport, to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var written: [String] = []
        for run in report.runs {
            let prefix = report.runs.count > 1 ? "\(safe(report.scenario.name))-\(run.clients)" : safe(report.scenario.name)
            for (name, phase) in run.phases.map({ ($0.name, $0) }) + [("overall", run.overall)] {
                let path = (directory as NSString).appendingPathComponent("\(prefix)-\(safe(name)).hgrm")
                try distribution(of: phase.fanout).write(toFile: path, atomically: true, encoding: .utf8)
                written.append(path)
            }
        }
        return written
    }

    /// The percentile distribution of one recorded histogram, in milliseconds.
    public static func distribution(of recorded: HistogramReport) -> String {
        var text = ""
        recorded.rebuild().outputPercentileDistribution(to: &text, outputValueUnitScalingRatio: 1_000)
        return text
    }

    private static func safe(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }
}
