import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The client side of the WebSocket handshake on a fresh channel: one place for the load
/// clients, the gateway's tests and the benchmarks.
public enum WebSocketClientUpgrade {
    /// Configures an HTTP/1 client pipeline asking to upgrade `uri`. `upgraded` runs once the
    /// server answered 101 and the WebSocket codec is in place (add handlers there, name the
    /// result); `notUpgraded` answers any other response, whose status `refusedStatus` then
    /// holds (NIO's upgrade handler consumes the response head before `notUpgraded` runs, so a
    /// handler in front of it notes the status). `headers` go on the upgrade request
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
        let upgraded = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
            configuration: .init(
                upgradeConfiguration: .init(
                    upgradeRequestHead: head, upgraders: [upgrader], notUpgradingCompletionHandler: notUpgraded)))
        let upgradeHandler = try channel.pipeline.syncOperations.handler(type: NIOTypedHTTPClientUpgradeHandler<Result>.self)
        try channel.pipeline.syncOperations.addHandler(ResponseStatusNote(), position: .before(upgradeHandler))
        return upgraded
    }

    /// The status of the response to the upgrade request, once its head has arrived (for a
    /// `notUpgraded` handler: 401, 429, 503, …); nil before, or without the note in the pipeline.
    public static func refusedStatus(of channel: any Channel) -> Int? {
        (try? channel.pipeline.syncOperations.handler(type: ResponseStatusNote.self))?.status
    }
}

/// Notes the upgrade response's status on its way to NIO's upgrade handler.
final class ResponseStatusNote: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = HTTPClientResponsePart
    private(set) var status: Int?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if status == nil, case .head(let head) = Self.unwrapInboundIn(data) { status = Int(head.status.code) }
        context.fireChannelRead(data)
    }
}
