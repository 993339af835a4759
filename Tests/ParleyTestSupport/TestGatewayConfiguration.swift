import ParleyGateway

extension GatewayConfiguration {
    /// For tests that run their own clients against an in-process gateway: a free loopback port,
    /// no page, and the admission quotas lifted (a test's hundreds of clients share one address
    /// and connect at once); tests of the quotas set their own.
    public static func forTests() -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.servesWebPage = false
        for quota in [
            \GatewayConfiguration.connectionsPerSecond, \.maximumConnections, \.maximumConnectionsPerAddress,
            \.connectionsPerSecondPerAddress, \.inboundMessagesPerSecond, \.maximumConnectionsPerUser,
            \.connectionsPerSecondPerUser,
        ] {
            configuration[keyPath: quota] = 1_000_000
        }
        return configuration
    }
}
