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
        /// How much worse `compare` lets it get, unless the scenario or the command line say
        /// otherwise (docs/LOAD.md, "Gating performance in CI").
        public let defaultTolerance: Tolerance
        let read: @Sendable (RunReport) -> Double?
        /// For percentiles of a latency: the histogram and the percentile, so a comparison can
        /// resample within a run (`ChangeInterval`); nil for figures read whole.
        let percentile: Percentile?
    }

    struct Percentile: Sendable {
        /// 0…1: 0.99 for p99.
        let rank: Double
        let histogram: @Sendable (RunReport) -> HistogramReport?
    }

    /// The latency families, each giving p50, p90, p99, p999, max and mean, with how noisy the
    /// family is between identical runs (its tolerances scale with that; nil: not gated at all).
    private static let latencyFamilies: [(String, String, noise: Double?, @Sendable (RunReport) -> HistogramReport?)] = [
        ("fanout", "every delivery: receive − scheduled", 1, { $0.overall.fanout }),
        ("completion", "each message's last recipient", 1, { $0.overall.completion }),
        // A small run's connect latency moved +81 % between identical runs on the CI machine.
        ("connect", "TCP + upgrade + readiness, per client", 4, { $0.connect.latency }),
        // The harness's own lateness: its health is judged by the run's validity, and between
        // identical runs its p99 moved 87 % (parley-load noise): not a figure to gate a server on.
        ("send.lag", "how late publishers were against their timetable", nil, { $0.overall.sendLag }),
        ("presence", "when each client first held the complete member list", 1, { $0.presence?.completion }),
        // A reconnect's dial, name and replay: connect-like, and as noisy.
        ("resume.latency", "a reconnect, from its dial until its resume marker", 4, { $0.resume?.latency }),
    ]

    /// Default tolerances of a latency's statistics at noise 1: the tail moves more than the
    /// middle between identical runs (fan-out p99 of a 1,000-client run ±15–35 % on the shared
    /// CI machine), and a maximum is one sample, too noisy to gate on.
    private static let statistics: [(String, rank: Double?, tolerance: Double?, @Sendable (HistogramReport) -> Double)] = [
        ("p50", 0.5, 0.15, \.p50), ("p90", 0.9, 0.2, \.p90), ("p99", 0.99, 0.25, \.p99), ("p999", 0.999, 0.5, \.p999),
        ("max", nil, nil, \.max), ("mean", nil, 0.15, \.mean),
    ]

    public static let catalogue: [Metric] = {
        var metrics: [Metric] = []
        for (family, meaning, noise, histogram) in latencyFamilies {
            for (statistic, rank, tolerance, value) in statistics {
                metrics.append(
                    Metric(
                        name: "\(family).\(statistic)", unit: .micros, direction: .lowerIsBetter,
                        description: "\(statistic) of \(meaning)",
                        defaultTolerance: tolerance.flatMap { share in noise.map { .share(share * $0) } } ?? .ignore,
                        read: { run in histogram(run).flatMap { $0.count > 0 ? value($0) : nil } },
                        percentile: rank.map { Percentile(rank: $0, histogram: histogram) }))
            }
        }
        func metric(
            _ name: String, _ unit: Unit, _ direction: Direction, _ tolerance: Tolerance, _ description: String,
            _ read: @escaping @Sendable (RunReport) -> Double?
        ) {
            metrics.append(
                Metric(
                    name: name, unit: unit, direction: direction, description: description, defaultTolerance: tolerance,
                    read: read, percentile: nil))
        }
        // Losses and errors: any more than none is worse (a base of zero makes any count WORSE).
        metric("delivery.ratio", .ratio, .higherIsBetter, .share(0), "deliveries received ÷ due", { $0.overall.ratio })
        metric("delivery.lost", .count, .lowerIsBetter, .share(0), "deliveries due and never received", { Double($0.overall.lost) })
        // A refusal is the server keeping its word (docs/PROTOCOL.md): not a loss, but a message
        // a user had to send again.
        metric(
            "delivery.refused", .count, .lowerIsBetter, .share(0), "public messages the server refused to send (unavailable)",
            { Double($0.overall.refused ?? 0) })
        metric(
            "delivery.duplicates", .count, .lowerIsBetter, .share(0), "the same message twice at one client",
            {
                Double($0.overall.duplicates)
            })
        // What the scenario asked for, not how the server did.
        metric("delivery.expected", .count, .lowerIsBetter, .ignore, "deliveries due to members", { Double($0.overall.expected) })
        metric("delivery.received", .count, .lowerIsBetter, .ignore, "deliveries received by members", { Double($0.overall.received) })
        metric(
            "connect.errors", .count, .lowerIsBetter, .share(0), "clients that failed to connect or become ready",
            {
                Double($0.connect.errors.values.reduce(0, +))
            })
        metric(
            "throughput.deliveries", .perSecond, .higherIsBetter, .share(0.05), "deliveries per second", { $0.overall.deliveriesPerSecond })
        metric(
            "throughput.messages", .perSecond, .higherIsBetter, .share(0.05), "messages sent per second", { $0.overall.messagesPerSecond })
        metric(
            "process.cpu", .ratio, .lowerIsBetter, .share(0.25), "the load process's CPU, cores busy", { $0.overall.process.cpuPerSecond })
        metric(
            "process.rss", .bytes, .lowerIsBetter, .share(0.25), "the load process's resident memory",
            {
                Double($0.overall.process.rssBytes)
            })
        metric(
            "presence.complete", .count, .higherIsBetter, .share(0), "clients that held the complete member list",
            {
                $0.presence.map { Double($0.complete) }
            })
        metric("received.bytes", .bytes, .lowerIsBetter, .ignore, "payload bytes all clients received", { Double($0.bytesReceived) })
        metric(
            "resume.gaps", .count, .lowerIsBetter, .share(0), "messages the room delivered that a client which came back never got",
            {
                $0.resume.map { Double($0.gaps) }
            })
        metric(
            "resume.duplicates", .count, .lowerIsBetter, .share(0), "the same message twice at a client that came back",
            {
                $0.resume.map { Double($0.duplicates) }
            })
        metric(
            "resume.failed", .count, .lowerIsBetter, .share(0),
            "reconnects whose resume did not succeed (another epoch, expired, an error, never answered)",
            {
                $0.resume.map { report in
                    Double(report.dropped + report.serverClosed - (report.outcomes["resumed"] ?? 0))
                }
            })
        metric(
            "resume.reconnects", .count, .lowerIsBetter, .ignore,
            "connections that closed and came back (dropped by the harness or closed by the server)",
            {
                $0.resume.map { Double($0.dropped + $0.serverClosed) }
            })
        metric(
            "slow.closed", .count, .lowerIsBetter, .ignore, "slow consumers the server closed (as many as the scenario made slow is right)",
            {
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
