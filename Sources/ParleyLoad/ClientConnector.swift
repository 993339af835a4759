import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Opens one WebSocket connection (TCP, optional local source address, HTTP upgrade) and puts
/// the client's handler on it. Failures come back as a short kind, for `connect.errors`.
struct ClientConnector: Sendable {
    enum Outcome: Sendable {
        case upgraded(any Channel)
        case refused(status: Int)
    }

    let group: any EventLoopGroup
    let timeout: TimeAmount

    func connect(
        to target: TargetURL, from source: String?, on loop: any EventLoop,
        makeHandler: @escaping @Sendable () -> LoadClientHandler
    ) -> EventLoopFuture<Outcome> {
        var bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        if let source, let address = try? SocketAddress(ipAddress: source, port: 0) {
            bootstrap = bootstrap.bind(to: address)
        }
        let uri = target.uri
        let host = "\(target.host):\(target.port)"
        // Called on `loop`; the box carries the upgrade's future out of the channel initializer.
        let upgrade = NIOLoopBoundBox<EventLoopFuture<Outcome>?>(nil, eventLoop: loop)
        return bootstrap.channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                upgrade.value = try Self.configurePipeline(channel, uri: uri, host: host, makeHandler: makeHandler)
            }
        }
        .connect(host: target.host, port: target.port)
        .flatMap { channel in
            upgrade.value ?? channel.eventLoop.makeFailedFuture(ChannelError.inappropriateOperationForState)
        }
    }

    private static func configurePipeline(
        _ channel: any Channel, uri: String, host: String, makeHandler: @escaping @Sendable () -> LoadClientHandler
    ) throws -> EventLoopFuture<Outcome> {
        try WebSocketClientUpgrade.configure(
            channel, uri: uri, host: host,
            upgraded: { channel in
                try channel.pipeline.syncOperations.addHandler(makeHandler())
                return Outcome.upgraded(channel)
            },
            notUpgraded: { channel in
                // The server answered with something other than 101: read its status.
                let status = channel.eventLoop.makePromise(of: Outcome.self)
                do {
                    try channel.pipeline.syncOperations.addHandler(RefusalReader(status))
                } catch {
                    status.succeed(.refused(status: 0))
                }
                return status.futureResult
            })
    }
}

/// Reads the status of a refused upgrade, then closes.
private final class RefusalReader: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    private var promise: EventLoopPromise<ClientConnector.Outcome>?

    init(_ promise: EventLoopPromise<ClientConnector.Outcome>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = Self.unwrapInboundIn(data) {
            promise?.succeed(.refused(status: Int(head.status.code)))
            promise = nil
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise?.succeed(.refused(status: 0))
        promise = nil
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        promise?.succeed(.refused(status: 0))
        promise = nil
    }
}

extension Error {
    /// A short name for `connect.errors`.
    var connectErrorKind: String {
        if let error = self as? ChannelError {
            switch error {
            case .connectTimeout: return "timeout"
            default: return "channel: \(error)"
            }
        }
        if let error = self as? IOError {
            switch error.errnoCode {
            case 111: return "refused"
            case 104: return "reset"
            case 99: return "no local port (EADDRNOTAVAIL)"
            case 24: return "too many open files"
            case 110: return "timeout"
            default: return "io: \(error.description)"
            }
        }
        if let error = self as? NIOConnectionError {
            return error.connectionErrors.first?.error.connectErrorKind ?? "refused"
        }
        return "\(type(of: self))"
    }
}
