import Foundation

/// The JSON report of `parley-load run` (docs/LOAD.md, "Report"). Versioned; holds the scenario as
/// run, the environment, and per phase the histograms themselves so reports can be merged or
/// re-analysed, with their percentiles, counters, verdicts and a per-second series.
public struct LoadReport: Codable, Sendable {
    public static let currentSchemaVersion = 1

    public var schemaVersion = LoadReport.currentSchemaVersion
    public var tool = "parley-load"
    public var scenario: Scenario
    /// The scenario file as written.
    public var scenarioSource: String
    /// FNV-1a 64 of the scenario as run (canonical JSON): equal digests, same scenario.
    public var scenarioDigest: String
    public var environment: Environment
    public var startedAt: Date
    /// One run, or one per client count of a sweep.
    public var runs: [RunReport]
    /// Verdicts of the thresholds, over every run (for a capacity search: at its answer).
    public var thresholds: [ThresholdVerdict]
    /// Set by `parley-load capacity`: the search, its steps (one run each) and its answer.
    public var capacity: CapacityReport? = nil
    /// "generator-bound" when any run was (see each run's `generator`), else "valid".
    public var validity: GeneratorHealth.Validity? = nil

    public var passed: Bool { thresholds.allSatisfy(\.passed) }
}
