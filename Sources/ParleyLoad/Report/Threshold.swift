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
        let trimmed = condition.trimmingCharacters(in: .whitespaces)
        // Longest operators first, so "<=" is not read as "<".
        guard let comparison = Comparison.allCases.sorted(by: { $0.rawValue.count > $1.rawValue.count })
            .first(where: { trimmed.hasPrefix($0.rawValue) })
        else {
            throw ThresholdError(message: "expected a condition like \"< 50ms\" or \">= 1\", got \"\(condition)\"")
        }
        let valueText = trimmed.dropFirst(comparison.rawValue.count).trimmingCharacters(in: .whitespaces)
        let limit: Double
        switch unit {
        case .micros:
            guard let duration = Quantities.duration(valueText) else {
                throw ThresholdError(message: "\(metric) is a latency: give a duration like 50ms, got \"\(valueText)\"")
            }
            limit = duration.seconds * 1e6
        case .count, .ratio, .perSecond:
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
        guard let value = metrics[metric] else {
            return ThresholdVerdict(threshold: text, value: nil, passed: false)
        }
        return ThresholdVerdict(threshold: text, value: value, passed: comparison.holds(value, limit))
    }
}

public struct ThresholdError: Error, Equatable {
    public let message: String
}

public struct ThresholdVerdict: Codable, Sendable, Equatable {
    public let threshold: String
    /// Nil when the run could not measure the metric (which fails the threshold).
    public let value: Double?
    public let passed: Bool
}
