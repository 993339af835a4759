import NIOCore
import Synchronization

/// The scenario's `faults:` done at their times from the start of the phases, one after another
/// in time order: each cut, each kill, and each cut's heal. `finish` heals whatever is still cut
/// (a run that ended early or failed leaves no host cut off) and hands back what happened.
final class FaultSchedule: Sendable {
    private enum Step {
        case apply(Int)
        case heal(Int)
    }

    let faults: [ScenarioFault]
    private let lab: any LabActions
    private let reports: Mutex<[FaultReport]>
    /// Cuts done and not yet undone, by fault index.
    private let standing = Mutex<Set<Int>>([])
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let phaseStart = Atomic<UInt64>(0)

    init(faults: [ScenarioFault], lab: any LabActions) {
        self.faults = faults
        self.lab = lab
        reports = Mutex(faults.map { FaultReport(fault: $0.summary, at: $0.at.seconds) })
    }

    /// Starts the timetable; `phaseStart` is the phases' first instant (uptime nanoseconds).
    /// Faults are done in time order (at one instant, in the scenario's order); a cut is healed
    /// its `for` after it was actually made, so a late start (a busy machine) never shortens it.
    func start(phaseStart: UInt64) {
        self.phaseStart.store(phaseStart, ordering: .relaxed)
        let due = faults.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }
            .map { (instant: phaseStart + UInt64($0.element.at.nanoseconds), index: $0.offset) }
        task.withLock {
            $0 = Task { [self] in
                var applies = due[...]
                var heals: [(instant: UInt64, index: Int)] = []
                while !applies.isEmpty || !heals.isEmpty {
                    let heal = heals.indices.min { heals[$0].instant < heals[$1].instant }
                    // A heal due no later than the next fault goes first.
                    if let heal, applies.first.map({ heals[heal].instant <= $0.instant }) ?? true {
                        await Self.sleep(until: heals[heal].instant)
                        if Task.isCancelled { return }
                        perform(.heal(heals.remove(at: heal).index))
                    } else if let next = applies.popFirst() {
                        await Self.sleep(until: next.instant)
                        if Task.isCancelled { return }
                        perform(.apply(next.index))
                        if case .cut(_, _, let lasting) = faults[next.index].action, standing.withLock({ $0.contains(next.index) }) {
                            heals.append((NIODeadline.now().uptimeNanoseconds + UInt64(lasting.nanoseconds), next.index))
                        }
                    }
                }
            }
        }
    }

    private static func sleep(until instant: UInt64) async {
        let now = NIODeadline.now().uptimeNanoseconds
        if instant > now { try? await Task.sleep(for: .nanoseconds(Int64(instant - now))) }
    }

    /// Stops the timetable, heals what is still cut, and answers what happened.
    func finish() async -> [FaultReport] {
        let running = task.withLock { $0 }
        running?.cancel()
        await running?.value
        for index in standing.withLock({ $0 }).sorted() { perform(.heal(index)) }
        return reports.withLock { $0 }
    }

    private func perform(_ step: Step) {
        switch step {
        case .apply(let index):
            let fault = faults[index]
            do {
                switch fault.action {
                case .cut(let a, let b, _):
                    try lab.cut(a, b)
                    standing.withLock { _ = $0.insert(index) }
                case .kill(let host):
                    let killed = try lab.kill(host)
                    reports.withLock { $0[index].killed = killed }
                }
                let now = secondsIn()
                reports.withLock { $0[index].appliedAt = now }
            } catch {
                reports.withLock { $0[index].error = "\(error)" }
            }
        case .heal(let index):
            guard standing.withLock({ $0.remove(index) }) != nil, case .cut(let a, let b, _) = faults[index].action else { return }
            do {
                try lab.heal(a, b)
                let now = secondsIn()
                reports.withLock { $0[index].healedAt = now }
            } catch {
                reports.withLock { $0[index].error = "healing: \(error)" }
            }
        }
    }

    private func secondsIn() -> Double {
        Double(Int64(bitPattern: NIODeadline.now().uptimeNanoseconds &- phaseStart.load(ordering: .relaxed))) / 1e9
    }
}
