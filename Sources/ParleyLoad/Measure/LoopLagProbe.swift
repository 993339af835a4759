import NIOCore

/// How late one event loop runs a timer: the generator's own scheduling delay. Every `interval`
/// it asks to be woken at the next tick and records how far past that instant it actually ran.
/// A loop busy reading a broadcast for 30 ms wakes the probe up to 30 ms late, and delays every
/// timestamp it takes by as much: that lateness is in the measured latencies too, so it is the
/// evidence that a run measured the generator rather than the server (docs/LOAD.md, "Is the
/// generator keeping up?").
enum LoopLagProbe {
    static let interval: UInt64 = 10_000_000

    /// Starts on `loop` (call it there) and stops by itself once `until` has passed.
    static func start(on loop: any EventLoop, recorder: LoopBound<LoopRecorder>, from start: UInt64, until end: UInt64) {
        tick(due: start, on: loop, recorder: recorder, until: end)
    }

    private static func tick(due: UInt64, on loop: any EventLoop, recorder: LoopBound<LoopRecorder>, until end: UInt64) {
        guard due < end else { return }
        loop.assumeIsolated().scheduleTask(deadline: NIODeadline.uptimeNanoseconds(due)) {
            let now = NIODeadline.now().uptimeNanoseconds
            recorder.value.recordLoopLag(micros: (now &- due) / 1000)
            tick(due: nextTick(after: due, now: now), on: loop, recorder: recorder, until: end)
        }
    }

    /// The tick after the one due at `due`, run at `now`. After a long stall it is the next one
    /// still ahead: a stall is one late sample, not a burst of them. (Also the direct receive
    /// path's probe, `ReceiveLoop`.)
    static func nextTick(after due: UInt64, now: UInt64) -> UInt64 {
        let next = due + interval
        return next > now ? next : now + interval - (now - due) % interval
    }
}
