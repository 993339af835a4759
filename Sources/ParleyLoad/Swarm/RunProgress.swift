import Foundation
import NIOCore

/// What a run shows while it runs — the progress line and `--metrics-port`'s live figures —
/// and the waits it shows them during: the phases, and the drain after the last one.
struct RunProgress: Sendable {
    let line: ProgressLine?
    /// `run --metrics-port`: the same figures as the progress line, for scrapes.
    let live: LiveFigures?
    let tally: SwarmTally
    let readers: [any ClientReaders]
    let runStart: UInt64

    /// The figures of a stage without deliveries ("connect").
    func report(stage: String) {
        let (connected, ready) = (tally.connected.load(ordering: .relaxed), tally.ready.load(ordering: .relaxed))
        let (sent, errors) = (tally.sent.load(ordering: .relaxed), tally.errorCount)
        line?.update(stage: stage, connected: connected, ready: ready, sent: sent, errors: errors)
        live?.update(stage: stage, connected: connected, ready: ready, sent: sent, errors: errors)
    }

    /// Sleeps until `instant`, waking every second to call `everySecond` and show the phases.
    func sleepUntil(_ instant: UInt64, everySecond: () -> Void) async throws {
        while true {
            let now = NIODeadline.now().uptimeNanoseconds
            if now >= instant { return }
            try await Task.sleep(for: .nanoseconds(Int64(min(instant - now, 1_000_000_000))))
            everySecond()
            if line != nil || live != nil { try await reportPhases() }
        }
    }

    /// The progress line during phases: deliveries so far and the p99 of the last whole second.
    private func reportPhases() async throws {
        let second = Int((NIODeadline.now().uptimeNanoseconds &- runStart) / 1_000_000_000) - 1
        var delivered = 0
        var lastSecond = LatencyHistogram(significantDigits: .two)
        for (count, histogram) in try await everyRecorder({ ($0.totalReceived, $0.latency(inSecond: second)) }) {
            delivered += count
            if let histogram { lastSecond.add(histogram) }
        }
        let (connected, ready) = (tally.connected.load(ordering: .relaxed), tally.ready.load(ordering: .relaxed))
        let (sent, errors) = (tally.sent.load(ordering: .relaxed), tally.errorCount)
        line?.update(
            stage: "phases", connected: connected, ready: ready, sent: sent, errors: errors,
            delivered: delivered, p99Micros: lastSecond.count > 0 ? lastSecond.histogram.valueAtPercentile(99) : nil)
        live?.update(
            stage: "phases", connected: connected, ready: ready, sent: sent, errors: errors, delivered: delivered, lastSecond: lastSecond)
    }

    /// After the last phase: wait until deliveries stop arriving (up to 5 s).
    func drain() async throws {
        var last = -1
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(300))
            let total = try await everyRecorder(\.totalReceived).reduce(0, +)
            if total == last { return }
            last = total
        }
    }

    func finish() {
        line?.finish()
        live?.finishRun()
    }

    /// `read` of every loop's recorder, on its own thread, whichever path the loop reads on.
    private func everyRecorder<T: Sendable>(_ read: @escaping @Sendable (LoopRecorder) -> T) async throws -> [T] {
        var values: [T] = []
        for readers in readers { values += try await readers.eachRecorder(read) }
        return values
    }
}
