import Testing

@testable import ParleyGateway

/// The socket caps fit inside the open-files limit, so the gateway closes surplus sockets before
/// the process runs out of descriptors (out of them, NIO spins on the readable listener).
@Suite struct SocketBudgetTests {
    @Test func capsThatFitAreLeftAlone() {
        var configuration = GatewayConfiguration()
        let fitted = configuration.fitSockets(withinOpenFiles: 20_000)
        #expect(fitted == nil)
        #expect(configuration.maximumConnections == 10_000)
        #expect(configuration.pendingUpgradeLimit == 2_500)
    }

    @Test func capsThatDoNotFitAreLoweredAndSaidSo() throws {
        var configuration = GatewayConfiguration()
        let lowered = configuration.fitSockets(withinOpenFiles: 1_024)
        let message = try #require(lowered)
        #expect(configuration.maximumConnections + configuration.pendingUpgradeLimit + GatewayConfiguration.reservedDescriptors <= 1_024)
        #expect(configuration.pendingUpgradeLimit == (1_024 - 64) / 5)
        #expect(message.contains("open-files limit 1024"), "\(message)")
        #expect(message.contains("lowered to \(configuration.maximumConnections) connections"), "\(message)")
    }

    @Test func anUnknownLimitChangesNothing() {
        var configuration = GatewayConfiguration()
        let unknown = configuration.fitSockets(withinOpenFiles: -1)
        #expect(unknown == nil)
        #expect(configuration.maximumConnections == 10_000)
    }
}
