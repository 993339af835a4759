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
    func start(phaseStart: UInt64) {
        self.phaseStart.store(phaseStart, ordering: .relaxed)
        var steps: [(at: Duration, step: Step)] = []
        for (index, fault) in faults.enumerated() {
            steps.append((fault.at, .apply(index)))
            if case .cut = fault.action { steps.append((fault.ends, .heal(index))) }
        }
        // Stable: at one instant, in the scenario's order, and a heal before a later apply.
        let timetable = steps.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        task.withLock {
            $0 = Task { [self] in
                for (at, step) in timetable {
                    let instant = phaseStart + UInt64(at.nanoseconds)
                    let now = NIODeadline.now().uptimeNanoseconds
                    if instant > now { try? await Task.sleep(for: .nanoseconds(Int64(instant - now))) }
                    if Task.isCancelled { return }
                    perform(step)
                }
            }
        }
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
