/// How much worse a metric may get before `compare` calls it WORSE: a share of the base value
/// (`15%`), or `ignore` for a metric too noisy on a runner to gate on (connect latency of a small
/// run moved +81 % between identical runs on the shared CI machine).
public enum Tolerance: Sendable, Equatable, Codable, CustomStringConvertible {
    case share(Double)
    case ignore

    /// `15%`, `0.15` or `ignore`; nil for anything else (a share must be 0…1000 %).
    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "ignore" {
            self = .ignore
            return
        }
        guard let share = Quantities.fraction(trimmed), share >= 0, share <= 10 else { return nil }
        self = .share(share)
    }

    public var description: String {
        switch self {
        case .share(let share): Quantities.trimmed(share * 100, digits: 1) + "%"
        case .ignore: "ignore"
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let tolerance = Tolerance(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a tolerance: \(text)"))
        }
        self = tolerance
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// The tolerance of every metric: the catalogue's defaults, then the scenario's `compare:` block,
/// then the command line (`--tolerance 10%` for every metric, `--tolerance fanout.p99=15%` for
/// one), each overriding the one before.
public struct Tolerances: Sendable, Equatable {
    private var overrides: [String: Tolerance] = [:]
    private var all: Tolerance?

    public init() {}

    /// Every metric at `share` (what `compare --tolerance 10%` has always meant).
    public init(all share: Double) {
        self.all = .share(share)
    }

    public subscript(metric: String) -> Tolerance {
        overrides[metric] ?? all ?? Metrics.metric(named: metric)?.defaultTolerance ?? .share(0.1)
    }

    /// Sets one metric's tolerance (the metric must be in the catalogue: the caller checks).
    public mutating func set(_ tolerance: Tolerance, for metric: String) { overrides[metric] = tolerance }

    /// The scenario's `compare:` block, then `--tolerance` flags.
    public init(scenario: [String: Tolerance], flags: [String]) throws(ToleranceError) {
        for (metric, tolerance) in scenario { overrides[metric] = tolerance }
        for flag in flags { try apply(flag: flag) }
    }

    /// `10%` (every metric) or `METRIC=15%` / `METRIC=ignore` (one).
    public mutating func apply(flag: String) throws(ToleranceError) {
        guard let equals = flag.firstIndex(of: "=") else {
            guard let tolerance = Tolerance(flag), case .share = tolerance else {
                throw ToleranceError(message: "--tolerance: expected a share like 10% or METRIC=15%, got \"\(flag)\"")
            }
            all = tolerance
            overrides = [:]
            return
        }
        let metric = flag[..<equals].trimmingCharacters(in: .whitespaces)
        let value = String(flag[flag.index(after: equals)...])
        guard Metrics.metric(named: metric) != nil else {
            throw ToleranceError(
                message: "--tolerance \(flag): unknown metric \"\(metric)\" (known: \(Metrics.names.joined(separator: ", ")))")
        }
        guard let tolerance = Tolerance(value) else {
            throw ToleranceError(message: "--tolerance \(flag): expected a share like 15% or ignore, got \"\(value)\"")
        }
        overrides[metric] = tolerance
    }
}

public struct ToleranceError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
