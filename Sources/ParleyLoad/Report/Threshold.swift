import Foundation

/// A condition on one metric: `fanout.p99: "< 50ms"`, `delivery.ratio: ">= 1"`. A failed
/// threshold makes the run exit 99.
public struct Threshold: Sendable, Equatable, Codable {
    public enum Comparison: String, Sendable, Codable, CaseIterable {
        case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "==", notEqual = "!="

        func holds(_ value: Double, _ limit: Double) -> Bool {
            switch self {
            case .less: value < limit
            case .lessOrEqual: value <= limit
            case .greater: value > limit
            case .greaterOrEqual: value >= limit
            case .equal: value == limit
            case .notEqual: value != limit
            }
        }

        /// The operator `text` starts with, and what follows it (trimmed); longest operators
        /// first, so "<=" is not read as "<".
        static func leading(_ text: String) -> (Comparison, String)? {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard
                let comparison = allCases.sorted(by: { $0.rawValue.count > $1.rawValue.count })
                    .first(where: { trimmed.hasPrefix($0.rawValue) })
            else { return nil }
            return (comparison, trimmed.dropFirst(comparison.rawValue.count).trimmingCharacters(in: .whitespaces))
        }
    }

    public let metric: String
    public let comparison: Comparison
    /// In the metric's own unit: microseconds for latencies, a plain number otherwise.
    public let limit: Double
    public let text: String

    public init(metric: String, condition: String) throws(ThresholdError) {
        guard let unit = Metrics.unit(of: metric) else {
            throw ThresholdError(message: "unknown metric \"\(metric)\" (known: \(Metrics.names.joined(separator: ", ")))")
        }
        guard let (comparison, valueText) = Comparison.leading(condition) else {
            throw ThresholdError(message: "expected a condition like \"< 50ms\" or \">= 1\", got \"\(condition)\"")
        }
        let limit: Double
        switch unit {
        case .micros:
            guard let duration = Quantities.duration(valueText) else {
                throw ThresholdError(message: "\(metric) is a latency: give a duration like 50ms, got \"\(valueText)\"")
            }
            limit = duration.seconds * 1e6
        case .count, .ratio, .perSecond, .bytes:
            guard let number = Double(valueText.replacingOccurrences(of: "_", with: "")) else {
                throw ThresholdError(message: "\(metric) is a number: got \"\(valueText)\"")
            }
            limit = number
        }
        self.metric = metric
        self.comparison = comparison
        self.limit = limit
        self.text = "\(metric) \(comparison.rawValue) \(valueText)"
    }

    /// Parses `metric<op>value` from the command line (`--threshold 'fanout.p99<50ms'`).
    public init(expression: String) throws(ThresholdError) {
        guard let index = expression.firstIndex(where: { "<>=!".contains($0) }) else {
            throw ThresholdError(message: "expected METRIC OP VALUE like 'fanout.p99 < 50ms', got \"\(expression)\"")
        }
        let metric = expression[..<index].trimmingCharacters(in: .whitespaces)
        try self.init(metric: metric, condition: String(expression[index...]))
    }

    public func verdict(in metrics: [String: Double]) -> ThresholdVerdict {
        guard let value = metrics[metric] else { return ThresholdVerdict(self, value: nil, passed: false) }
        return ThresholdVerdict(self, value: value, passed: comparison.holds(value, limit))
    }
}

public struct ThresholdError: Error, Equatable {
    public let message: String
}

/// One threshold's outcome, with its parts kept apart (nobody parses the text back): the metric,
/// the comparison and the limit in the metric's unit, what was measured, and whether it held.
public struct ThresholdVerdict: Codable, Sendable, Equatable {
    /// As written: "fanout.p99 < 50ms".
    public let threshold: String
    public let metric: String
    public let comparison: Threshold.Comparison?
    public let limit: Double?
    /// Nil when the run could not measure the metric (which fails the threshold).
    public let value: Double?
    public private(set) var passed: Bool
    /// Why the verdict is not the comparison's (a generator-bound run), else nil.
    public private(set) var reason: String? = nil

    public init(_ threshold: Threshold, value: Double?, passed: Bool) {
        self.threshold = threshold.text
        self.metric = threshold.metric
        self.comparison = threshold.comparison
        self.limit = threshold.limit
        self.value = value
        self.passed = passed
    }

    private init(_ verdict: ThresholdVerdict, passed: Bool, reason: String) {
        self = verdict
        self.passed = passed
        self.reason = reason
    }

    /// This verdict failed for `reason`, whatever the comparison said.
    public func failed(because reason: String) -> ThresholdVerdict {
        ThresholdVerdict(self, passed: false, reason: reason)
    }

    private enum CodingKeys: String, CodingKey {
        case threshold, metric, comparison, limit, value, passed, reason
    }

    /// Reports written before verdicts kept their parts have the text only; its first word is
    /// the metric.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        threshold = try container.decode(String.self, forKey: .threshold)
        metric = try container.decodeIfPresent(String.self, forKey: .metric) ?? String(threshold.prefix { $0 != " " })
        comparison = try container.decodeIfPresent(Threshold.Comparison.self, forKey: .comparison)
        limit = try container.decodeIfPresent(Double.self, forKey: .limit)
        value = try container.decodeIfPresent(Double.self, forKey: .value)
        passed = try container.decode(Bool.self, forKey: .passed)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
    }

    /// The measured value in the metric's unit, for people.
    public var measured: String { value.map { Metrics.format($0, metric: metric) } ?? "not measured" }
}
