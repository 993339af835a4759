import NIOCore
import NIOHTTP1

/// The handlers that guard a socket until it is a WebSocket: the request head's size
/// (`RequestHeadLimitHandler`, in front of the parser), malformed requests
/// (`MalformedRequestHandler`, right after it) and the deadlines before the upgrade
/// (`RequestDeadlineHandler`). Installed on every accepted socket; taken out on upgrade, so a
/// WebSocket's frames pass through none of them.
enum FrontDoorHandlers {
    static func install(
        on pipeline: ChannelPipeline.SynchronousOperations, configuration: GatewayConfiguration, metrics: GatewayMetrics
    ) throws {
        let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
        // Before the response encoder too: its 431 is raw bytes (TLS, if any, stays in front).
        try pipeline.addHandler(
            RequestHeadLimitHandler(
                maximumBytes: configuration.maximumRequestHeadBytes, maximumFields: configuration.maximumRequestHeaderFields,
                counted: { status in metrics.refused(status: status) }),
            position: .before(try pipeline.handler(type: HTTPResponseEncoder.self)))
        let malformed = MalformedRequestHandler { status in metrics.refused(status: status) }
        try pipeline.addHandler(malformed, position: .after(decoder))
        try pipeline.addHandler(
            RequestDeadlineHandler(
                headerTimeout: configuration.headerTimeout, idleTimeout: configuration.httpIdleTimeout,
                expired: { expiry in metrics.expired(expiry) }),
            position: .after(malformed))
    }

    /// HTTP is over on this socket: its guards go with the parser. (The head-size counter has
    /// left already, once the upgrade request's head was complete.)
    static func remove(from pipeline: ChannelPipeline.SynchronousOperations) {
        if let malformed = try? pipeline.handler(type: MalformedRequestHandler.self) {
            pipeline.removeHandler(malformed, promise: nil)
        }
        if let deadlines = try? pipeline.handler(type: RequestDeadlineHandler.self) {
            pipeline.removeHandler(deadlines, promise: nil)
        }
    }
}
