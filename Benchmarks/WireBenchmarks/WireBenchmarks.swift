import Benchmark
import Histogram
import ParleyProtocol

/// Per-event costs on the wire: what one inbound frame and one outbound event cost, and what the
/// harness pays per received frame (token scan, histogram record). Allocations are reported.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(2)
    )
    let keys: Set<String> = ["setName", "sendPublic", "sendPrivate"]
    let inbound = Array(
        #"{"action":"sendPublic","message":"PRB:1:2:3:4:PRB xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#.utf8)

    Benchmark("route selection (sendPublic frame)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(RouteSelection.select(inbound, routeKeys: keys))
        }
    }

    Benchmark("outbound encoding (publicMessage)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(
                OutboundEvent.publicMessage(
                    from: "alice", text: "PRB:1:2:3:4:PRB xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", seq: 42, timestampMillis: 1_795_000_000_000
                )
                .encode())
        }
    }

    let frame = OutboundEvent.publicMessage(
        from: "u17",
        text: ProbeToken(run: 123_456, publisher: 17, seq: 99_999, scheduledNanos: 1_234_567_890_123).text + " "
            + String(repeating: "x", count: 60),
        seq: 42, timestampMillis: 1_795_000_000_000
    ).encode().bytes

    Benchmark("probe-token scan (one public frame)") { benchmark in
        for _ in benchmark.scaledIterations {
            frame.withUnsafeBytes { bytes in
                ProbeToken.scan(bytes) { blackHole($0) }
            }
        }
    }

    Benchmark("histogram record (µs latency)") { benchmark in
        var histogram = Histogram<UInt64>(
            lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        var value: UInt64 = 1
        for _ in benchmark.scaledIterations {
            value = value &* 6_364_136_223_846_793_005 &+ 1
            blackHole(histogram.record(value % 200_000 + 100))
        }
    }
}
