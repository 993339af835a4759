import ParleyChat
import ParleyGateway
import ParleyLoad
import Testing

/// Clients that stop reading, measured the way an operator would: the server must close every
/// one of them while the members that read get everything.
@Suite(.timeLimit(.minutes(2))) struct SlowConsumerTests {
    @Test func theServerClosesEverySlowConsumerAndMembersLoseNothing() async throws {
        let gateway = try await HarnessTarget.start(configure: {
            $0.outboundBudgetBytes = 16 * 1024
            $0.socketSendBufferBytes = 4096
        }) { connections, scheduler in
            ChatHandler(connections: connections, scheduler: scheduler)
        }
        var scenario = Scenario(name: "slow", clients: 20, phases: [.init(name: "steady", duration: .seconds(2), publishers: 2, rate: 50)])
        scenario.message.size = 1_000
        scenario.slowConsumers = 3
        scenario.settle = .milliseconds(300)
        let report = try await LoadTest(scenario: scenario, source: "", options: quietOptions()).run(targets: [gateway.url])
        try await gateway.stop()

        let run = report.runs[0]
        let slow = try #require(run.slowConsumers)
        #expect(slow.joined == 3)
        #expect(slow.closedByServer == 3, "every reader that stopped was closed: \(slow)")
        #expect(run.metrics["slow.closed"] == 3)
        #expect(run.overall.expected > 0 && run.overall.received == run.overall.expected, "members lost nothing")
        #expect(gateway.gateway.slowConsumerCloses == 3)
    }
}
