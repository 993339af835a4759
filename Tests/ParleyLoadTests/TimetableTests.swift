import Testing

@testable import ParleyLoad

@Suite struct TimetableTests {
    @Test func constantRateIsEvenlySpacedAndStaggered() {
        let phase = Scenario.Phase(name: "p", duration: .seconds(1), publishers: 2, rate: 10, rampTo: nil)
        let first = Timetable(start: 1_000, phase: phase, slot: 0, of: phase.publishers)
        let second = Timetable(start: 1_000, phase: phase, slot: 1, of: phase.publishers)
        #expect(first.due(0) == 1_000)
        #expect(first.due(1) == 1_000 + 100_000_000)
        #expect(second.due(0) == 1_000 + 50_000_000, "the second publisher is half an interval later")
        #expect((0..<20).compactMap(first.due).count == 10)
        #expect(first.due(10) == nil)
    }

    @Test func rampSendsTheAverageRate() {
        let phase = Scenario.Phase(name: "p", duration: .seconds(10), publishers: 1, rate: 5, rampTo: 50)
        let timetable = Timetable(start: 0, phase: phase, slot: 0, of: phase.publishers)
        let count = (0..<1000).compactMap(timetable.due).count
        #expect(abs(count - 275) <= 1, "(5 + 50) / 2 × 10 s = 275, got \(count)")
        let gaps = (0..<3).map { timetable.due($0 + 1)! - timetable.due($0)! }
        #expect(gaps[0] > gaps[2] / 2, "early gaps are near 1/5 s")
        let late = timetable.due(270)! - timetable.due(269)!
        #expect(late < 25_000_000, "late gaps near 1/50 s")
    }

    @Test func phaseClock() {
        let phases = [
            Scenario.Phase(name: "a", duration: .seconds(1), publishers: 1, rate: 1, rampTo: nil),
            Scenario.Phase(name: "b", duration: .seconds(2), publishers: 1, rate: 1, rampTo: nil),
        ]
        let clock = PhaseClock(start: 100, phases: phases)
        #expect(clock.phase(of: 100) == 0)
        #expect(clock.phase(of: 100 + 999_999_999) == 0)
        #expect(clock.phase(of: 100 + 1_000_000_000) == 1)
        #expect(clock.phase(of: 100 + 9_000_000_000) == 1, "late deliveries stay in the last phase")
    }

    @Test func membershipCounter() {
        let counter = MembershipCounter([
            MembershipInterval(client: 0, readyAt: 10, leftAt: nil),
            MembershipInterval(client: 1, readyAt: 20, leftAt: 30),
        ])
        #expect(counter.count(at: 5) == 0)
        #expect(counter.count(at: 10) == 1)
        #expect(counter.count(at: 25) == 2)
        #expect(counter.count(at: 30) == 1)
    }
}
