import ArgumentParser
import Foundation
import ParleyLoad

/// A scenario run N times in a row against the same targets (one embedded gateway for all of
/// them): what `run --runs`, `baseline update` and `noise` share.
enum RepeatedRuns {
    static func run(
        scenario path: String, options: RunOptions, clients: Int?, thresholds: [String], times: Int,
        live: LiveFigures? = nil, before: (LoadTest) throws -> Void = { _ in }
    ) async throws -> [LoadReport] {
        guard times >= 1 else { throw BadInput(description: "--runs must be at least 1") }
        if let clients, clients < 1 { throw BadInput(description: "--clients must be at least 1") }
        let (parsed, source) = try ScenarioParser.load(path: path)
        var loadOptions = try options.loadOptions()
        loadOptions.clients = clients
        loadOptions.extraThresholds = try RunOptions.thresholds(thresholds, flag: "--threshold")
        loadOptions.live = live
        let test = LoadTest(scenario: parsed, source: source, options: loadOptions)
        try before(test)
        let needed = test.scenario.sweepClients?.max() ?? test.scenario.clients
        return try await Targets.with(test, target: options.target, embedded: options.embedded, clients: needed) { targets in
            var reports: [LoadReport] = []
            for index in 0..<times {
                if times > 1 && !options.quiet {
                    FileHandle.standardError.write(Data("parley-load: run \(index + 1) of \(times)\n".utf8))
                }
                reports.append(try await test.run(targets: targets))
            }
            return reports
        }
    }

    /// `out/x.json` for one run; `out/x-1.json`, `out/x-2.json`, … for several.
    static func path(_ path: String, index: Int, of count: Int) -> String {
        guard count > 1 else { return path }
        let url = URL(fileURLWithPath: path)
        let stem = url.deletingPathExtension().lastPathComponent
        let ext = url.pathExtension.isEmpty ? "json" : url.pathExtension
        return url.deletingLastPathComponent().appendingPathComponent("\(stem)-\(index + 1).\(ext)").path
    }
}
