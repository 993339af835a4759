import Foundation

/// A condition on the scaling curve: `scale.efficiency@4 >= 0.8`, `scale.capacity@2 > 1000`,
/// `scale.kappa < 0.01`.
public struct ScaleThreshold: Sendable, Codable, Equatable {
    public struct Verdict: Sendable, Codable, Equatable {
        public var text: String
        public var value: Double?
        public var passed: Bool
        public var note: String?
    }

    public let metric: String
    public let comparison: Threshold.Comparison
    public let limit: Double
    public let text: String

    public init(expression: String) throws(ThresholdError) {
        guard let index = expression.firstIndex(where: { "<>=!".contains($0) }) else {
            throw ThresholdError(message: "expected METRIC OP VALUE like 'scale.efficiency@4 >= 0.8', got \"\(expression)\"")
        }
        let metric = expression[..<index].trimmingCharacters(in: .whitespaces)
        let known =
            metric == "scale.sigma" || metric == "scale.kappa"
            || ["scale.efficiency@", "scale.capacity@"].contains { prefix in
                metric.hasPrefix(prefix) && Int(metric.dropFirst(prefix.count)).map { $0 >= 1 } == true
            }
        guard known else {
            throw ThresholdError(
                message: "unknown metric \"\(metric)\" (known: scale.efficiency@N, scale.capacity@N, scale.sigma, scale.kappa)")
        }
        let rest = String(expression[index...])
        guard let (comparison, value) = Threshold.Comparison.leading(rest), let limit = Double(value) else {
            throw ThresholdError(
                message: "expected a condition like \">= 0.8\" after \(metric), got \"\(rest.trimmingCharacters(in: .whitespaces))\"")
        }
        self.metric = metric
        self.comparison = comparison
        self.limit = limit
        self.text = "\(metric) \(comparison.rawValue) \(Quantities.trimmed(limit, digits: 4))"
    }
}
