/// The typed catalogue of what a run measures: every metric's name (as thresholds, `compare`,
/// the summary and the HTML page spell it), its unit, which way is better, what it means, and
/// how it is read off a run. Printing, thresholds, compare and the HTML report all ask here.
public enum Metrics {
    public enum Unit: String, Sendable, Codable {
        case micros, count, ratio, perSecond, bytes
    }

    public enum Direction: Sendable {
        case lowerIsBetter, higherIsBetter
    }

    public struct Metric: Sendable {
        public let name: String
        public let unit: Unit
        public let direction: Direction
        public let description: String
        let read: @Sendable (RunReport) -> Double?
    }

    /// The latency families, each giving p50, p90, p99, p999, max and mean.
    private static let latencyFamilies: [(String, String, @Sendable (RunReport) -> HistogramReport?)] = [
        ("fanout", "every delivery: receive − scheduled", { $0.overall.fanout }),
        ("completion", "each message's last recipient", { $0.overall.completion }),
        ("connect", "TCP + upgrade + readiness, per client", { $0.connect.latency }),
        ("send.lag", "how late publishers were against their timetable", { $0.overall.sendLag }),
        ("presence", "when each client first held the complete member list", { $0.presence?.completion }),
    ]

    public static let catalogue: [Metric] = {
        var metrics: [Metric] = []
        for (family, meaning, histogram) in latencyFamilies {
            let statistics: [(String, @Sendable (HistogramReport) -> Double)] = [
                ("p50", \.p50), ("p90", \.p90), ("p99", \.p99), ("p999", \.p999), ("max", \.max), ("mean", \.mean),
            ]
            for (statistic, value) in statistics {
                metrics.append(
                    Metric(
                        name: "\(family).\(statistic)", unit: .micros, direction: .lowerIsBetter,
                        description: "\(statistic) of \(meaning)",
                        read: { run in histogram(run).flatMap { $0.count > 0 ? value($0) : nil } }))
            }
        }
        func metric(
            _ name: String, _ unit: Unit, _ direction: Direction, _ description: String,
            _ read: @escaping @Sendable (RunReport) -> Double?
        ) {
            metrics.append(Metric(name: name, unit: unit, direction: direction, description: description, read: read))
        }
        metric("delivery.ratio", .ratio, .higherIsBetter, "deliveries received ÷ due", { $0.overall.ratio })
        metric("delivery.lost", .count, .lowerIsBetter, "deliveries due and never received", { Double($0.overall.lost) })
        metric("delivery.duplicates", .count, .lowerIsBetter, "the same message twice at one client", { Double($0.overall.duplicates) })
        metric("delivery.expected", .count, .lowerIsBetter, "deliveries due to members", { Double($0.overall.expected) })
        metric("delivery.received", .count, .lowerIsBetter, "deliveries received by members", { Double($0.overall.received) })
        metric("connect.errors", .count, .lowerIsBetter, "clients that failed to connect or become ready", {
            Double($0.connect.errors.values.reduce(0, +))
        })
        metric("throughput.deliveries", .perSecond, .higherIsBetter, "deliveries per second", { $0.overall.deliveriesPerSecond })
        metric("throughput.messages", .perSecond, .higherIsBetter, "messages sent per second", { $0.overall.messagesPerSecond })
        metric("process.cpu", .ratio, .lowerIsBetter, "the load process's CPU, cores busy", { $0.overall.process.cpuPerSecond })
        metric("process.rss", .bytes, .lowerIsBetter, "the load process's resident memory", { Double($0.overall.process.rssBytes) })
        metric("presence.complete", .count, .higherIsBetter, "clients that held the complete member list", {
            $0.presence.map { Double($0.complete) }
        })
        metric("received.bytes", .bytes, .lowerIsBetter, "payload bytes all clients received", { Double($0.bytesReceived) })
        metric("slow.closed", .count, .lowerIsBetter, "slow consumers the server closed", {
            $0.slowConsumers.map { Double($0.closedByServer) }
        })
        return metrics
    }()

    private static let byName: [String: Metric] = Dictionary(uniqueKeysWithValues: catalogue.map { ($0.name, $0) })

    public static let names: [String] = catalogue.map(\.name)

    public static func metric(named name: String) -> Metric? { byName[name] }

    public static func unit(of metric: String) -> Unit? { byName[metric]?.unit }

    /// Whether a larger value is the better one (for `compare`).
    public static func higherIsBetter(_ metric: String) -> Bool { byName[metric]?.direction == .higherIsBetter }

    /// Every metric the run measured, by name: what thresholds and `compare` read.
    static func values(of run: RunReport) -> [String: Double] {
        var values: [String: Double] = [:]
        for metric in catalogue {
            if let value = metric.read(run) { values[metric.name] = value }
        }
        return values
    }

    /// A value in its unit, for people.
    public static func format(_ value: Double, metric: String) -> String {
        switch unit(of: metric) {
        case .micros: Quantities.formatMicros(value)
        case .ratio: Quantities.trimmed(value, digits: 4)
        case .perSecond: "\(Quantities.trimmed(value, digits: 1))/s"
        case .bytes: "\(Quantities.trimmed(value / 1_048_576, digits: 1)) MiB"
        case .count, nil: Quantities.trimmed(value, digits: 0)
        }
    }
}
