import Testing

@testable import ParleyGateway

/// The fan-out's flush decisions (`LoopFlushPolicy`), without sockets: when a loop's table
/// flushes, and whether in one io_uring submission or one send per connection.
@Suite struct LoopFlushPolicyTests {
    @Test func aBurstFlushesOnceAfterItsLastDelivery() {
        let policy = LoopFlushPolicy(batchesSends: true)
        #expect(!policy.flushesAfterDelivery(deliveriesStillInFlight: 2))
        #expect(!policy.flushesAfterDelivery(deliveriesStillInFlight: 1))
        #expect(policy.flushesAfterDelivery(deliveriesStillInFlight: 0))
    }

    @Test func aLoneBroadcastFlushesAChunkAtATime() {
        let policy = LoopFlushPolicy(batchesSends: false)
        let chunk = LoopFlushPolicy.earlyFlushChunk
        #expect(!policy.flushesEarly(waiting: chunk - 1, deliveriesInFlight: 1))
        #expect(policy.flushesEarly(waiting: chunk, deliveriesInFlight: 1))
        // With deliveries behind it, the burst keeps every socket for the one flush at its end.
        #expect(!policy.flushesEarly(waiting: chunk, deliveriesInFlight: 2))
    }

    /// Asked per recipient on the fan-out path: the shared in-flight count is read only at a
    /// chunk's end, not for every recipient.
    @Test func theInFlightCountIsReadOnlyWhenAChunkHasGathered() {
        let policy = LoopFlushPolicy(batchesSends: true)
        var reads = 0
        func inFlight() -> Int {
            reads += 1
            return 1
        }
        // Asked outside #expect: the macro evaluates its arguments' parts to show them.
        var early = 0
        for waiting in 1..<LoopFlushPolicy.earlyFlushChunk where policy.flushesEarly(waiting: waiting, deliveriesInFlight: inFlight()) {
            early += 1
        }
        #expect(early == 0)
        #expect(reads == 0)
        let atChunk = policy.flushesEarly(waiting: LoopFlushPolicy.earlyFlushChunk, deliveriesInFlight: inFlight())
        #expect(atChunk)
        #expect(reads == 1)
    }

    @Test func oneConnectionSendsOnItsOwnEvenWithARing() {
        var policy = LoopFlushPolicy(batchesSends: true)
        #expect(policy.path(waiting: 1) == .eachConnection)
        policy.ringMade(true)
        #expect(policy.path(waiting: 1) == .eachConnection)
        #expect(policy.path(waiting: 2) == .submit)
    }

    @Test func theRingIsMadeOnTheFirstFlushThatNeedsIt() {
        var policy = LoopFlushPolicy(batchesSends: true)
        #expect(policy.ring == .notMade)
        #expect(policy.path(waiting: 2) == .makeRingThenSubmit)
        policy.ringMade(true)
        #expect(policy.ring == .ready)
        #expect(policy.path(waiting: 1_000) == .submit)
    }

    @Test func aRefusedRingIsNeverAskedForAgain() {
        var policy = LoopFlushPolicy(batchesSends: true)
        #expect(policy.path(waiting: 3) == .makeRingThenSubmit)
        policy.ringMade(false)
        #expect(policy.ring == .givenUp)
        #expect(policy.path(waiting: 3) == .eachConnection)
        policy.ringMade(true)  // a late answer changes nothing
        #expect(policy.path(waiting: 3) == .eachConnection)
    }

    @Test func aRingThatFailsIsDroppedForGood() {
        var policy = LoopFlushPolicy(batchesSends: true)
        policy.ringMade(true)
        policy.ringFailed()
        #expect(policy.ring == .givenUp)
        #expect(policy.path(waiting: 10) == .eachConnection)
    }

    @Test func withoutTheUringPathEveryFlushIsPerConnection() {
        var policy = LoopFlushPolicy(batchesSends: false)
        #expect(policy.ring == .notWanted)
        #expect(policy.path(waiting: 10) == .eachConnection)
        policy.ringMade(true)
        policy.ringFailed()
        #expect(policy.ring == .notWanted)
        #expect(policy.path(waiting: 10) == .eachConnection)
    }
}
