import Foundation
import NIOCore
import Synchronization

/// Waiting out the phases with the progress line, and the drain after the last one.
extension LoadRun {
    // MARK: waiting

    func sleepUntil(_ instant: UInt64, everySecond: () -> Void) async throws {
        while true {
            let now = NIODeadline.now().uptimeNanoseconds
            if now >= instant { return }
            try await Task.sleep(for: .nanoseconds(Int64(min(instant - now, 1_000_000_000))))
            everySecond()
            if progress != nil || live != nil { try await reportPhases() }
        }
    }

    /// The progress line during phases: deliveries so far and the p99 of the last whole second.
    func reportPhases() async throws {
        let second = Int((NIODeadline.now().uptimeNanoseconds &- runStart) / 1_000_000_000) - 1
        var delivered = 0
        var lastSecond = LatencyHistogram(significantDigits: .two)
        for (count, histogram) in try await everyRecorder({ ($0.totalReceived, $0.latency(inSecond: second)) }) {
            delivered += count
            if let histogram { lastSecond.add(histogram) }
        }
        let (connected, ready) = (connected.load(ordering: .relaxed), readyCount.load(ordering: .relaxed))
        let (sent, errors) = (sentCount.load(ordering: .relaxed), errors.withLock { $0.values.reduce(0, +) })
        progress?.update(
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
            let total = try await deliveredSoFar()
            if total == last { return }
            last = total
        }
    }

    func deliveredSoFar() async throws -> Int {
        try await everyRecorder(\.totalReceived).reduce(0, +)
    }

    /// `read` of every loop's recorder, on its own thread: NIO's loops, then the receive loops.
    func everyRecorder<T: Sendable>(_ read: @escaping @Sendable (LoopRecorder) -> T) async throws -> [T] {
        var values: [T] = []
        for (index, loop) in loops.enumerated() {
            let recorder = recorders[index]
            values.append(try await loop.submit { read(recorder.value) }.get())
        }
        for loop in receiveLoops { values.append(await loop.submit { read(loop.recorder) }) }
        return values
    }

    func report(stage: String) {
        let (connected, ready) = (connected.load(ordering: .relaxed), readyCount.load(ordering: .relaxed))
        let (sent, errors) = (sentCount.load(ordering: .relaxed), errors.withLock { $0.values.reduce(0, +) })
        progress?.update(stage: stage, connected: connected, ready: ready, sent: sent, errors: errors)
        live?.update(stage: stage, connected: connected, ready: ready, sent: sent, errors: errors)
    }
}
