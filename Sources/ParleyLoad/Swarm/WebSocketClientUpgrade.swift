import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The client side of the WebSocket handshake on a fresh channel: one place for the load
/// clients, the gateway's tests and the benchmarks.
public enum WebSocketClientUpgrade {
    /// Configures an HTTP/1 client pipeline asking to upgrade `uri`. `upgraded` runs once the
    /// server answered 101 and the WebSocket codec is in place (add handlers there, name the
    /// result); `notUpgraded` answers any other response. `headers` go on the upgrade request
    /// (`Authorization: Bearer …`, `Sec-WebSocket-Protocol`, …).
    public static func configure<Result: Sendable>(
        _ channel: any Channel, uri: String, host: String, maxFrameSize: Int = 1 << 24,
        headers extra: [(String, String)] = [],
        upgraded: @escaping @Sendable (any Channel) throws -> Result,
        notUpgraded: @escaping @Sendable (any Channel) -> EventLoopFuture<Result>
    ) throws -> EventLoopFuture<Result> {
        let upgrader = NIOTypedWebSocketClientUpgrader<Result>(
            maxFrameSize: maxFrameSize,
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture { try upgraded(channel) }
            })
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        for (name, value) in extra { headers.add(name: name, value: value) }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: headers)
        return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
            configuration: .init(
                upgradeConfiguration: .init(
                    upgradeRequestHead: head, upgraders: [upgrader], notUpgradingCompletionHandler: notUpgraded)))
    }
}
