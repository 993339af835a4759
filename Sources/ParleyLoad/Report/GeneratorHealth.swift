/// Whether the load generator kept up with the run it made, and the evidence. A generator that
/// was the bottleneck puts its own delays into every latency it reports, so such a run's
/// figures are about the generator, and thresholds on them mean nothing (docs/LOAD.md,
/// "Is the generator keeping up?").
public struct GeneratorHealth: Codable, Sendable {
    public enum Validity: String, Codable, Sendable {
        case valid
        case generatorBound = "generator-bound"
    }

    /// The limits a run is judged by (`--max-loop-lag`, `--max-generator-cpu`).
    public struct Bounds: Codable, Sendable, Equatable {
        /// Loop lag p99 above this (µs) means the loops could not keep their own time.
        public var loopLagP99Micros: Double = 10_000
        /// An event loop's CPU over a phase as a share of that phase (and the loops' together as
        /// a share of the cores they could use).
        public var cpuShare: Double = 0.9

        public init() {}

        /// `loopLagP99Micros` as a duration (`--max-loop-lag`).
        public var maximumLoopLag: Duration {
            get { .nanoseconds(Int64(loopLagP99Micros * 1000)) }
            set { loopLagP99Micros = newValue.seconds * 1e6 }
        }
    }

    public var validity: Validity
    /// Why the run is generator-bound, for people (empty when valid).
    public var reasons: [String]
    /// How late the event loops ran a 10 ms timer over the phases (µs), all loops together.
    public var loopLag: HistogramReport
    /// Each event loop's thread CPU seconds per second in the busiest phase: 1 is a loop that
    /// never waited for the network. The harness's threads only — an embedded gateway or
    /// anything else in the process is not counted.
    public var loopBusy: [Double]
    /// The same loops' CPU seconds per second, together.
    public var cpuPerSecond: Double
    /// The cores the loops could use: their number, at most the cores the process may run on.
    public var usableCores: Int
    public var eventLoops: Int
    /// Publishers' send lag p99 (µs): how late messages left after they were due.
    public var sendLagP99Micros: Double
    public var bounds: Bounds

    /// `loopBusy`: per loop, CPU seconds per wall second of the busiest phase.
    init(loopLag: LatencyHistogram, loopBusy: [Double], usableCores: Int, sendLag: HistogramReport, bounds: Bounds) {
        self.loopLag = HistogramReport(loopLag)
        self.loopBusy = loopBusy
        self.cpuPerSecond = loopBusy.reduce(0, +)
        self.eventLoops = loopBusy.count
        self.usableCores = max(1, min(loopBusy.count, usableCores))
        self.sendLagP99Micros = sendLag.p99
        self.bounds = bounds
        var reasons: [String] = []
        let lagP99 = self.loopLag.p99
        if self.loopLag.count > 0, lagP99 > bounds.loopLagP99Micros {
            var reason = "event-loop lag p99 \(Quantities.formatMicros(lagP99)) > \(Quantities.formatMicros(bounds.loopLagP99Micros))"
            // Late loops that were mostly idle were kept off the CPU by something else.
            if (loopBusy.max() ?? 0) < 0.5 {
                reason += " while the loops were mostly idle: other work on these cores (an embedded gateway, other processes) delayed them"
            }
            reasons.append(reason)
        }
        // A loop is one thread: it saturates at one core, whatever the others do. Loops
        // sharing fewer cores saturate together.
        let percent = { (share: Double) in "\(Int((share * 100).rounded())) %" }
        if let busiest = loopBusy.max(), busiest >= bounds.cpuShare {
            reasons.append("an event loop was busy \(percent(busiest)) of the time (≥ \(percent(bounds.cpuShare)))")
        } else if cpuPerSecond / Double(self.usableCores) >= bounds.cpuShare {
            reasons.append(
                "the event loops used \(percent(cpuPerSecond / Double(self.usableCores))) of \(self.usableCores) usable cores (≥ \(percent(bounds.cpuShare)))"
            )
        }
        self.reasons = reasons
        self.validity = reasons.isEmpty ? .valid : .generatorBound
    }

    /// A threshold's verdict on a run this health describes. On a generator-bound run a time or
    /// a rate is not judged — it fails, saying why — since the generator's delays are in it;
    /// a count passes on its merits (late counting is still exact), and a count that fails
    /// says the shortfall may be the generator's.
    public func judge(_ verdict: ThresholdVerdict, allowGeneratorBound: Bool) -> ThresholdVerdict {
        guard validity == .generatorBound, !allowGeneratorBound else { return verdict }
        switch Metrics.unit(of: verdict.metric) {
        case .micros, .perSecond:
            return verdict.failed(because: summary)
        default:
            return verdict.passed ? verdict : verdict.failed(because: summary + " (the shortfall may be the generator's)")
        }
    }

    /// One line for the summary and for failed thresholds.
    public var summary: String {
        validity == .valid ? "generator kept up" : "generator-bound: " + reasons.joined(separator: "; ")
    }
}
