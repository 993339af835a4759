import Synchronization

/// Who is a member right now (ready, not leaving): for picking private recipients, publishers
/// and churn victims. O(1) add, remove and random pick.
final class Membership: Sendable {
    private struct State {
        var members: [Int] = []
        var position: [Int: Int] = [:]
    }
    private let state = Mutex(State())

    func add(_ client: Int) {
        state.withLock { state in
            guard state.position[client] == nil else { return }
            state.position[client] = state.members.count
            state.members.append(client)
        }
    }

    func remove(_ client: Int) {
        state.withLock { state in
            guard let index = state.position.removeValue(forKey: client) else { return }
            let last = state.members.removeLast()
            if index < state.members.count {
                state.members[index] = last
                state.position[last] = index
            }
        }
    }

    var count: Int { state.withLock { $0.members.count } }

    var all: [Int] { state.withLock { $0.members } }

    func random(excluding excluded: Set<Int> = []) -> Int? {
        state.withLock { state in
            guard !state.members.isEmpty else { return nil }
            for _ in 0..<16 {
                let candidate = state.members.randomElement()!
                if !excluded.contains(candidate) { return candidate }
            }
            return state.members.first { !excluded.contains($0) }
        }
    }

    /// The `count` lowest-numbered members that may publish (stable publisher choice).
    func lowest(_ count: Int, where mayPublish: (Int) -> Bool = { _ in true }) -> [Int] {
        state.withLock { Array($0.members.sorted().lazy.filter(mayPublish).prefix(count)) }
    }
}
