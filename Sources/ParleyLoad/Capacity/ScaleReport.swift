import Foundation

/// `parley-load scale`: capacity per node count (one capacity search's report per count), the
/// scaling efficiency `capacity(N) / (N × capacity(1))`, the Universal Scalability Law fitted to
/// the points, and verdicts on thresholds such as `scale.efficiency@4 >= 0.8`.
public struct ScaleReport: Codable, Sendable {
    public struct Point: Codable, Sendable, Equatable {
        public var nodes: Int
        /// The capacity found; nil when no step held its SLOs.
        public var capacity: Double?
        /// The search stopped at the generator's limit (or the maximum): the capacity is a floor,
        /// not a measurement of the cluster, and it is left out of the fit and the efficiencies.
        public var generatorBound: Bool
        public var reachedMaximum: Bool
        public var efficiency: Double?
        /// The fitted law's capacity at this count.
        public var predicted: Double?
        /// At the capacity step: deliveries per second, fan-out p99, lost and duplicated deliveries.
        public var deliveriesPerSecond: Double?
        public var fanoutP99Micros: Double?
        public var lost: Int
        public var duplicates: Int
        /// Load agents that ran the capacity step (0: one process).
        public var agents: Int
        public var report: String

        public init(
            nodes: Int, capacity: Double?, generatorBound: Bool = false, reachedMaximum: Bool = false, efficiency: Double? = nil,
            predicted: Double? = nil, deliveriesPerSecond: Double? = nil, fanoutP99Micros: Double? = nil, lost: Int = 0,
            duplicates: Int = 0, agents: Int = 0, report: String = ""
        ) {
            self.nodes = nodes
            self.capacity = capacity
            self.generatorBound = generatorBound
            self.reachedMaximum = reachedMaximum
            self.efficiency = efficiency
            self.predicted = predicted
            self.deliveriesPerSecond = deliveriesPerSecond
            self.fanoutP99Micros = fanoutP99Micros
            self.lost = lost
            self.duplicates = duplicates
            self.agents = agents
            self.report = report
        }

        /// A number for the table and the fit: measured, not a floor.
        public var measured: Double? { generatorBound || reachedMaximum ? nil : capacity }
    }

    public var unit: String
    public var cpuPerNode: Double?
    public var points: [Point]
    public var fit: ScalabilityFit?
    public var thresholds: [ScaleThreshold.Verdict] = []

    /// The report from each node count's capacity report (`path` for the record).
    public init(capacities: [(nodes: Int, path: String, report: LoadReport)], cpuPerNode: Double?) throws {
        var points: [Point] = []
        var unit = "clients"
        for (nodes, path, report) in capacities.sorted(by: { $0.nodes < $1.nodes }) {
            guard let capacity = report.capacity else {
                throw ReportError("\(path): not a capacity search's report (parley-load capacity --out writes one)")
            }
            unit = capacity.unit
            let answer = capacity.capacity.flatMap { value in capacity.steps.first { $0.value == value } }
            let run = answer.map { report.runs[$0.run] }
            points.append(
                Point(
                    nodes: nodes, capacity: capacity.capacity, generatorBound: capacity.generatorBoundAt != nil,
                    reachedMaximum: capacity.reachedMaximum, efficiency: nil, predicted: nil,
                    deliveriesPerSecond: run?.overall.deliveriesPerSecond, fanoutP99Micros: run?.overall.fanout.p99,
                    lost: run?.overall.lost ?? 0, duplicates: run?.overall.duplicates ?? 0, agents: run?.agents?.count ?? 0,
                    report: path))
        }
        guard Set(points.map(\.nodes)).count == points.count else { throw ReportError("a node count is given twice") }
        self.init(points: points, unit: unit, cpuPerNode: cpuPerNode)
    }

    /// The efficiencies and the fit from points whose capacities are known.
    public init(points: [Point], unit: String, cpuPerNode: Double?) {
        var points = points.sorted { $0.nodes < $1.nodes }
        self.unit = unit
        self.cpuPerNode = cpuPerNode
        let measured = points.compactMap { point in point.measured.map { (nodes: point.nodes, capacity: $0) } }
        fit = ScalabilityFit(measured)
        if let single = points.first(where: { $0.nodes == 1 })?.measured {
            for index in points.indices {
                if let capacity = points[index].measured {
                    points[index].efficiency = ScalabilityFit.efficiency(nodes: points[index].nodes, capacity: capacity, single: single)
                }
                points[index].predicted = fit?.capacity(at: Double(points[index].nodes))
            }
        }
        self.points = points
    }

    /// `scale.capacity@N`, `scale.efficiency@N`, `scale.sigma`, `scale.kappa`: what thresholds read.
    public var metrics: [String: Double] {
        var values: [String: Double] = [:]
        for point in points {
            if let capacity = point.measured { values["scale.capacity@\(point.nodes)"] = capacity }
            if let efficiency = point.efficiency { values["scale.efficiency@\(point.nodes)"] = efficiency }
        }
        if let fit {
            values["scale.sigma"] = fit.sigma
            values["scale.kappa"] = fit.kappa
        }
        return values
    }

    /// Why a metric has no value, for a failed threshold's line.
    func missing(_ metric: String) -> String {
        guard let at = metric.split(separator: "@").last.flatMap({ Int($0) }), let point = points.first(where: { $0.nodes == at })
        else {
            return metric.hasPrefix("scale.sigma") || metric.hasPrefix("scale.kappa")
                ? "no fit (needs 1 node and another count measured)" : "no such node count measured"
        }
        if point.generatorBound { return "the generator was the bottleneck at \(at) nodes: no capacity measured there" }
        if point.reachedMaximum { return "every step held up to the maximum at \(at) nodes: raise --max" }
        if point.capacity == nil { return "no step held the SLOs at \(at) nodes" }
        return "no one-node capacity to compare with"
    }

    public mutating func judge(_ thresholds: [ScaleThreshold]) {
        let values = metrics
        self.thresholds = thresholds.map { threshold in
            guard let value = values[threshold.metric] else {
                return .init(text: threshold.text, value: nil, passed: false, note: missing(threshold.metric))
            }
            return .init(text: threshold.text, value: value, passed: threshold.comparison.holds(value, threshold.limit), note: nil)
        }
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
