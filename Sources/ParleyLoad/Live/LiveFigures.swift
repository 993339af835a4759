import Synchronization

/// The figures of the run in progress, for `run --metrics-port` (Prometheus text): updated by the
/// run once a second (and while clients connect), read by each scrape. Names follow the report's
/// metric catalogue (`fanout.p99` is `parley_load_fanout_seconds{quantile="0.99"}`; over the last
/// whole second, as the progress line shows it).
public final class LiveFigures: Sendable {
    struct Snapshot: Sendable {
        var scenario = ""
        var stage = "starting"
        var clients = 0
        var connected = 0
        var ready = 0
        var sent = 0
        var delivered = 0
        var connectErrors = 0
        var runs = 0
        /// Quantile → µs over the last whole second; empty before the first one.
        var fanoutLastSecond: [(Double, UInt64)] = []
    }

    private let state = Mutex(Snapshot())

    public init() {}

    func startRun(scenario: String, clients: Int) {
        state.withLock {
            // Counters of a new run start again from zero (Prometheus reads that as a reset).
            $0 = Snapshot(scenario: scenario, stage: "connect", clients: clients, runs: $0.runs + 1)
        }
    }

    func update(
        stage: String, connected: Int, ready: Int, sent: Int, errors: Int, delivered: Int? = nil, lastSecond: LatencyHistogram? = nil
    ) {
        state.withLock {
            $0.stage = stage
            $0.connected = connected
            $0.ready = ready
            $0.sent = sent
            $0.connectErrors = errors
            if let delivered { $0.delivered = delivered }
            if let lastSecond, lastSecond.count > 0 {
                $0.fanoutLastSecond = [0.5, 0.9, 0.99, 0.999].map { ($0, lastSecond.histogram.valueAtPercentile($0 * 100)) }
            }
        }
    }

    func finishRun() { state.withLock { $0.stage = "done" } }

    /// Prometheus text exposition format 0.0.4.
    public func exposition() -> String {
        let snapshot = state.withLock { $0 }
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for (labels, value) in samples { lines.append("\(name)\(labels) \(value)") }
        }
        let scenario = snapshot.scenario.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        metric(
            "parley_load_run_info", "gauge", "The run in progress: scenario, stage (connect, phases, done) and which run of this process.",
            [
                ("{scenario=\"\(scenario)\",stage=\"\(snapshot.stage)\",run=\"\(snapshot.runs)\"}", "1")
            ])
        metric("parley_load_clients", "gauge", "Clients the run connects.", [("", "\(snapshot.clients)")])
        metric("parley_load_clients_connected", "gauge", "Clients connected now.", [("", "\(snapshot.connected)")])
        metric("parley_load_clients_ready", "gauge", "Clients that passed the readiness probe.", [("", "\(snapshot.ready)")])
        metric("parley_load_messages_sent_total", "counter", "Messages publishers sent (throughput.messages).", [("", "\(snapshot.sent)")])
        metric(
            "parley_load_deliveries_total", "counter", "Deliveries members received (delivery.received).", [("", "\(snapshot.delivered)")])
        metric(
            "parley_load_connect_errors_total", "counter", "Clients that failed to connect or become ready (connect.errors).",
            [
                ("", "\(snapshot.connectErrors)")
            ])
        if !snapshot.fanoutLastSecond.isEmpty {
            metric(
                "parley_load_fanout_seconds", "gauge", "Fan-out latency over the last whole second (fanout.p50, p90, p99, p999).",
                snapshot.fanoutLastSecond.map { quantile, micros in
                    ("{quantile=\"\(quantile)\"}", "\(Double(micros) / 1e6)")
                })
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
