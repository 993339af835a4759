import Testing

@testable import ParleyGateway

/// The socket caps fit inside the open-files limit, so the gateway closes surplus sockets before
/// the process runs out of descriptors (out of them, NIO spins on the readable listener).
@Suite struct SocketBudgetTests {
    @Test func capsThatFitAreLeftAlone() {
        var configuration = GatewayConfiguration()
        let fitted = try? configuration.fitSockets(withinOpenFiles: 20_000)
        #expect(fitted == nil)
        #expect(configuration.maximumConnections == 10_000)
        #expect(configuration.pendingUpgradeLimit == 2_500)
    }

    @Test func capsThatDoNotFitAreLoweredAndSaidSo() throws {
        var configuration = GatewayConfiguration()
        let lowered = try configuration.fitSockets(withinOpenFiles: 1_024)
        let message = try #require(lowered)
        #expect(configuration.maximumConnections + configuration.pendingUpgradeLimit + GatewayConfiguration.reservedDescriptors <= 1_024)
        #expect(configuration.pendingUpgradeLimit == (1_024 - 64) / 5)
        #expect(message.contains("open-files limit 1024"), "\(message)")
        #expect(message.contains("lowered to \(configuration.maximumConnections) connections"), "\(message)")
    }

    /// `--max-connections 19500` under 20,000 open files: 19,500 it is, the pending upgrades get
    /// what is left (it was lowered to 15,949 with a warning before).
    @Test func connectionsAskedForAreKeptAndThePendingUpgradesGetWhatIsLeft() throws {
        var configuration = GatewayConfiguration()
        configuration.maximumConnections = 19_500
        let message = try #require(try configuration.fitSockets(withinOpenFiles: 20_000, connectionsGiven: true))
        #expect(configuration.maximumConnections == 19_500)
        #expect(configuration.pendingUpgradeLimit == 20_000 - 64 - 19_500)
        #expect(message.contains("pending upgrades capped at 436"), "\(message)")
    }

    @Test func connectionsAskedForThatCannotFitAreRefusedSayingHowManyCould() {
        var configuration = GatewayConfiguration()
        configuration.maximumConnections = 19_990
        #expect {
            try configuration.fitSockets(withinOpenFiles: 20_000, connectionsGiven: true)
        } throws: { error in
            "\(error)".contains("--max-connections 19990 does not fit the open-files limit 20000") && "\(error)".contains("at most 19920")
        }
        configuration.maximumConnections = 19_000
        configuration.maximumPendingUpgrades = 2_000
        #expect(throws: SocketBudgetRefusal.self) { try configuration.fitSockets(withinOpenFiles: 20_000, connectionsGiven: true) }
    }

    /// Pending upgrades given, connections left at their default: the connections make room.
    @Test func pendingUpgradesAskedForAreKeptAndTheDefaultConnectionsLowered() throws {
        var configuration = GatewayConfiguration()
        configuration.maximumPendingUpgrades = 200
        let message = try #require(try configuration.fitSockets(withinOpenFiles: 1_024))
        #expect(configuration.pendingUpgradeLimit == 200 && configuration.maximumConnections == 1_024 - 64 - 200)
        #expect(message.contains("lowered to 760 connections"), "\(message)")
    }

    @Test func anUnknownLimitChangesNothing() {
        var configuration = GatewayConfiguration()
        let unknown = try? configuration.fitSockets(withinOpenFiles: -1, connectionsGiven: true)
        #expect(unknown == nil)
        #expect(configuration.maximumConnections == 10_000)
    }
}
