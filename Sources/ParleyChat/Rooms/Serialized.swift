import Synchronization

/// A value behind its own lock whose effects are performed outside the lock, in the order they
/// were decided: whoever changes the value while nobody is performing becomes the drainer and
/// performs its own effects and everything queued meanwhile; the others only queue. So every
/// recipient sees a room's public messages in `seq` order although nothing is posted while
/// the lock is held. Each room has one (rooms never wait for each other), and so has the
/// node's directory.
final class Serialized<Value: Sendable>: Sendable {
    private struct State: Sendable {
        var value: Value
        var outbox: [RoomEffect] = []
        var draining = false
    }

    /// Effects a caller must perform with `drain` (it became the drainer); empty when they
    /// joined the queue of a caller already draining.
    struct Drain: Sendable {
        fileprivate let effects: [RoomEffect]?
        static var nothing: Drain { Drain(effects: nil) }
    }

    private let state: Mutex<State>

    init(_ value: Value) {
        state = Mutex(State(value: value))
    }

    /// Changes the value under its lock; `body` returns the effects and anything else the caller
    /// needs from inside.
    func change<Output: Sendable>(_ body: (inout Value) -> (effects: [RoomEffect], output: Output)) -> (drain: Drain, output: Output) {
        state.withLock { state in
            let (effects, output) = body(&state.value)
            if effects.isEmpty { return (.nothing, output) }
            if state.draining {
                state.outbox += effects
                return (.nothing, output)
            }
            state.draining = true
            return (Drain(effects: effects), output)
        }
    }

    func change(_ body: (inout Value) -> [RoomEffect]) -> Drain {
        change { value in (body(&value), ()) }.drain
    }

    func read<T: Sendable>(_ body: (borrowing Value) -> T) -> T {
        state.withLock { body($0.value) }
    }

    /// Performs a drain's effects, then whatever was queued meanwhile, until the queue is empty.
    func drain(_ drain: Drain, _ perform: (RoomEffect) -> Void) {
        var batch = drain.effects
        while let effects = batch {
            for effect in effects { perform(effect) }
            batch = state.withLock { state in
                guard !state.outbox.isEmpty else {
                    state.draining = false
                    return nil
                }
                defer { state.outbox = [] }
                return state.outbox
            }
        }
    }
}
