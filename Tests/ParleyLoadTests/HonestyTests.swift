import Foundation
import NIOCore
import NIOPosix
import ParleyChat
import ParleyLoad
import ParleyProtocol
import Synchronization
import Testing

/// The harness must catch what a lying server does, exactly.
@Suite(.serialized, .timeLimit(.minutes(2))) struct HonestyTests {
    func run(_ lie: LyingRelay.Lie, clients: Int = 20, seconds: Int = 2) async throws -> (RunReport, lies: Int) {
        try await runAgainstRelay(lie, clients: clients, seconds: seconds)
    }

    @Test func anHonestRelayDeliversEverything() async throws {
        let (run, lies) = try await run(.none)
        #expect(lies == 0)
        #expect(run.overall.messagesSent == 40)
        #expect(run.overall.expected == 40 * 19, "everyone but the sender")
        #expect(run.overall.received == run.overall.expected)
        #expect(run.overall.lost == 0)
        #expect(run.overall.duplicates == 0)
        #expect(run.overall.ratio == 1)
    }

    @Test func droppingOnePercentIsCountedExactly() async throws {
        let (run, lies) = try await run(.dropEvery(100))
        #expect(lies > 0)
        #expect(run.overall.lost == lies)
        #expect(run.overall.received == run.overall.expected - lies)
        #expect((run.overall.ratio ?? 1) < 1)
    }

    @Test func duplicatesAreCountedExactly() async throws {
        let (run, lies) = try await run(.duplicateEvery(50))
        #expect(lies > 0)
        #expect(run.overall.duplicates == lies)
        #expect(run.overall.lost == 0)
        #expect(run.overall.received == run.overall.expected)
    }

    @Test func deliveriesNobodyWasDueAreCountedApartNotAsReceived() async throws {
        let (run, lies) = try await run(.echoToSender)
        #expect(lies == run.overall.messagesSent)
        #expect(run.overall.unexpected == lies)
        #expect(run.phases[0].unexpected == lies, "counted in the phase the message was due in")
        #expect(run.overall.received == run.overall.expected)
        #expect(run.overall.ratio == 1)
    }

    /// A message its sender was told was not sent, and that nobody got, was due to nobody.
    @Test func refusedMessagesAreCountedApartNotAsLost() async throws {
        let (run, lies) = try await run(.refuseEvery(10))
        #expect(lies > 0)
        #expect(run.overall.refused == lies)
        #expect(run.overall.lost == 0)
        #expect(run.overall.expected == (run.overall.messagesSent - lies) * 19)
        #expect(run.overall.received == run.overall.expected)
        #expect(run.metrics["delivery.refused"] == Double(lies))
    }

    /// A refusal whose message somebody received anyway pairs with nothing: the 18 members who
    /// did not get it count it lost.
    @Test func aRefusedMessageSomebodyReceivedIsStillLost() async throws {
        let (run, lies) = try await run(.refuseAndDeliverOnceEvery(10))
        #expect(lies > 0)
        #expect(run.overall.refused == 0)
        #expect(run.overall.lost == lies * 18)
    }

    @Test func aFiftyMillisecondDelayShowsInEveryPercentile() async throws {
        let (run, _) = try await run(.delay(.milliseconds(50)))
        #expect(run.overall.fanout.p50 >= 50_000)
        #expect(run.overall.fanout.count == UInt64(run.overall.expected))
    }

    /// A publisher whose event loop stalls for 200 ms keeps its timetable: the messages due
    /// during the stall go out late, and their latency (from the scheduled time) shows it.
    @Test func aStalledPublisherShowsAsLatencyNotMissingSamples() async throws {
        let target = try await HarnessTarget.start { connections, scheduler in
            LyingRelay(connections: connections, scheduler: scheduler, lie: .none)
        }
        var scenario = relayScenario(clients: 10, publishers: 1, rate: 50, seconds: 2)
        scenario.name = "stalled-publisher"
        scenario.settle = .milliseconds(100)
        // The harness runs on a loop this test owns, so it can stall exactly that one.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var options = quietOptions()
        options.eventLoopGroup = group
        let test = LoadTest(scenario: scenario, source: "", options: options)
        async let report = test.run(targets: [target.url])
        // Block the harness's only loop (where the publisher runs) in the middle of the phase.
        try await Task.sleep(for: .milliseconds(900))
        try await group.next().submit { usleep(200_000) }.get()
        let run = try await report.runs[0]
        try await target.stop()
        try await group.shutdownGracefully()
        #expect(run.overall.messagesSent == 100, "every message of the timetable was still sent")
        #expect(run.overall.ratio == 1)
        #expect(run.overall.fanout.max >= 150_000, "the stall is in the latency: max \(run.overall.fanout.max) µs")
        #expect(run.overall.sendLag.max >= 150_000)
    }
}

/// Clients spread over several local source addresses (past ~28k connections per address).
@Suite(.timeLimit(.minutes(1))) struct SourceAddressTests {
    @Test func clientsComeFromEverySourceAddress() async throws {
        let relay = Mutex<LyingRelay?>(nil)
        let target = try await HarnessTarget.start { connections, scheduler in
            let handler = LyingRelay(connections: connections, scheduler: scheduler, lie: .none)
            relay.withLock { $0 = handler }
            return handler
        }
        var scenario = relayScenario(clients: 12, publishers: 1, rate: 5, seconds: 1)
        scenario.connect.sources = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
        let report = try await LoadTest(scenario: scenario, source: "", options: quietOptions()).run(targets: [target.url])
        try await target.stop()
        #expect(report.runs[0].connect.ready == 12)
        #expect(relay.withLock { $0!.sources } == ["127.0.0.2", "127.0.0.3", "127.0.0.4"])
    }
}

/// N clients × M messages against Parley itself: exactly N·M expected, all received.
@Suite(.timeLimit(.minutes(2))) struct EndToEndTests {
    @Test func everyMemberGetsEveryPublicMessageSenderIncluded() async throws {
        let target = try await HarnessTarget.start { connections, scheduler in
            ChatHandler(connections: connections, scheduler: scheduler)
        }
        var scenario = chatScenario("e2e", clients: 30, publishers: 2, rate: 10, seconds: 1)
        scenario.thresholds = ["delivery.ratio": ">= 1", "delivery.duplicates": "== 0"]
        let report = try await LoadTest(scenario: scenario, source: "", options: quietOptions()).run(targets: [target.url])
        try await target.stop()
        let run = report.runs[0]
        #expect(run.connect.ready == 30)
        #expect(run.overall.messagesSent == 20)
        #expect(run.overall.expected == 30 * 20)
        #expect(run.overall.received == 30 * 20)
        #expect(run.overall.completion.count == 20)
        #expect(report.passed)
        #expect(run.metrics["delivery.ratio"] == 1)
    }
}
