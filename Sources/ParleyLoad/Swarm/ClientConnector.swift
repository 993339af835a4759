import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
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
    /// For wss:// targets: one context for the whole run (building one is not cheap).
    let tls: NIOSSLContext?

    /// `headers`: extra headers on the upgrade request (a client's token, a scenario's fixed headers).
    func connect(
        to target: TargetURL, from source: String?, on loop: any EventLoop, receiveBufferBytes: Int? = nil,
        readsRawFrames: Bool = false, headers: [(String, String)] = [], makeHandler: @escaping @Sendable () -> any ChannelHandler
    ) -> EventLoopFuture<Outcome> {
        var (bootstrap, upgraded) = upgrading(
            target, on: loop, receiveBufferBytes: receiveBufferBytes, readsRawFrames: readsRawFrames, headers: headers,
            makeHandler: makeHandler)
        bootstrap = bootstrap.connectTimeout(timeout)
        if let source, let address = try? SocketAddress(ipAddress: source, port: 0) {
            bootstrap = bootstrap.bind(to: address)
        }
        return upgraded(bootstrap.connect(host: target.host, port: target.port))
    }

    /// The upgrade on a socket connected elsewhere (the direct receive path's `ReceiveLoop`),
    /// which NIO then owns: plain ws:// only.
    func upgrade(
        descriptor: Int32, to target: TargetURL, on loop: any EventLoop, headers: [(String, String)] = [],
        makeHandler: @escaping @Sendable () -> any ChannelHandler
    ) -> EventLoopFuture<Outcome> {
        let (bootstrap, upgraded) = upgrading(
            target, on: loop, receiveBufferBytes: nil, readsRawFrames: true, headers: headers, makeHandler: makeHandler)
        return upgraded(bootstrap.withConnectedSocket(descriptor: descriptor))
    }

    /// A bootstrap that upgrades its channel to a WebSocket for `target`, and what turns its
    /// channel into the outcome.
    private func upgrading(
        _ target: TargetURL, on loop: any EventLoop, receiveBufferBytes: Int?, readsRawFrames: Bool,
        headers: [(String, String)], makeHandler: @escaping @Sendable () -> any ChannelHandler
    ) -> (ClientBootstrap, (EventLoopFuture<any Channel>) -> EventLoopFuture<Outcome>) {
        var bootstrap = ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        if let receiveBufferBytes {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: .init(receiveBufferBytes))
        }
        let uri = target.uri
        let host = "\(target.host):\(target.port)"
        let tls = target.isSecure ? self.tls : nil
        // SNI takes a name only; for an address, NIOSSL checks the certificate against the peer's IP.
        let serverName = (try? SocketAddress(ipAddress: target.host, port: 0)) == nil ? target.host : nil
        // Called on `loop`; the boxes carry the upgrade's future and a TLS failure out of the initializer.
        let upgrade = NIOLoopBoundBox<EventLoopFuture<Outcome>?>(nil, eventLoop: loop)
        let tlsFailure = TLSFailureRecorder()
        bootstrap = bootstrap.channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                if let tls {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    try channel.pipeline.syncOperations.addHandler(tlsFailure)
                }
                upgrade.value = try Self.configurePipeline(
                    channel, uri: uri, host: host, readsRawFrames: readsRawFrames, headers: headers, makeHandler: makeHandler)
            }
        }
        return (
            bootstrap,
            { connected in
                connected
                    .flatMap { channel in
                        upgrade.value ?? channel.eventLoop.makeFailedFuture(ChannelError.inappropriateOperationForState)
                    }
                    .flatMapThrowing { outcome in
                        // A refused handshake ends the connection before any HTTP: say why, not "refused".
                        if case .refused(status: 0) = outcome, let error = tlsFailure.error { throw error }
                        return outcome
                    }
            }
        )
    }

    /// `readsRawFrames`: the handler reads the socket's bytes itself (`ServerFrameReader`), so
    /// NIO's frame decoder and its error handler come out; the frame encoder stays for sending.
    private static func configurePipeline(
        _ channel: any Channel, uri: String, host: String, readsRawFrames: Bool, headers: [(String, String)],
        makeHandler: @escaping @Sendable () -> any ChannelHandler
    ) throws -> EventLoopFuture<Outcome> {
        try WebSocketClientUpgrade.configure(
            channel, uri: uri, host: host, headers: headers,
            upgraded: { channel in
                let pipeline = channel.pipeline.syncOperations
                if readsRawFrames {
                    // Nothing has been decoded yet: bytes that came with the 101 are fired
                    // after this closure returns, and reach the new handler.
                    let decoder = try pipeline.context(handlerType: ByteToMessageHandler<WebSocketFrameDecoder>.self)
                    pipeline.removeHandler(context: decoder, promise: nil)
                    if let errors = try? pipeline.context(handlerType: WebSocketProtocolErrorHandler.self) {
                        pipeline.removeHandler(context: errors, promise: nil)
                    }
                }
                try pipeline.addHandler(makeHandler())
                return Outcome.upgraded(channel)
            },
            notUpgraded: { channel in
                // The server answered with something other than 101: say which status.
                let status = WebSocketClientUpgrade.refusedStatus(of: channel) ?? 0
                channel.close(promise: nil)
                return channel.eventLoop.makeSucceededFuture(.refused(status: status))
            })
    }
}

/// Keeps the first TLS error of a connection (the handshake's verdict on the certificate).
private final class TLSFailureRecorder: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny
    private(set) var error: (any Error)?

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if self.error == nil, error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError { self.error = error }
        context.fireErrorCaught(error)
    }
}

extension Error {
    /// A short name for `connect.errors`.
    var connectErrorKind: String {
        if let error = self as? NIOSSLError {
            if case .handshakeFailed(let reason) = error {
                let text = "\(reason)"
                if text.contains("CERTIFICATE_VERIFY_FAILED") {
                    return "tls: certificate not trusted (expired, wrong host or unknown issuer)"
                }
                return "tls: handshake failed"
            }
            return "tls: \(error)"
        }
        if let error = self as? NIOSSLExtraError, error == .failedToValidateHostname {
            return "tls: certificate is for another host"
        }
        if self is BoringSSLError || self is NIOSSLExtraError { return "tls: \(self)" }
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
