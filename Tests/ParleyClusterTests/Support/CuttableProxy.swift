import NIOCore
import NIOPosix
import Synchronization

/// A TCP relay on loopback between a node and PostgreSQL that a test can cut and heal: a
/// partition of one node from the database, while the other nodes keep theirs. Cut, it closes
/// every relayed connection and refuses new ones (accepts and closes them at once), as a link
/// that went down would to a client that tries again. Cut silently, it keeps the connections
/// open and drops every byte either way, as a partition that loses packets does: nothing tells
/// either end; healed, the bytes flow on those same connections again.
final class CuttableProxy: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let server: Channel
    private let state: Links
    let port: Int

    /// The relayed connections, and whether the link is cut (shared with the accept closure).
    private final class Links: Sendable {
        let mutex = Mutex<(cut: Bool, silent: Bool, open: [Channel])>((false, false, []))
        func withLock<T>(_ body: (inout (cut: Bool, silent: Bool, open: [Channel])) -> T) -> T { mutex.withLock { body(&$0) } }
    }

    init(toPort target: Int) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let state = Links()
        self.group = group
        self.state = state
        server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                if state.withLock({ $0.cut || $0.silent }) { return inbound.close() }
                return ClientBootstrap(group: inbound.eventLoop).connect(host: "127.0.0.1", port: target).flatMap { outbound in
                    state.withLock { $0.open += [inbound, outbound] }
                    return inbound.pipeline.addHandler(Relay(to: outbound, links: state)).flatMap {
                        outbound.pipeline.addHandler(Relay(to: inbound, links: state))
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = server.localAddress!.port!
    }

    func url(database: String, user: String) -> String { "postgres://\(user)@127.0.0.1:\(port)/\(database)" }

    /// Every relayed connection closes; new ones are refused until `heal()`.
    func cut() {
        let open = state.withLock { state in
            state.cut = true
            defer { state.open = [] }
            return state.open
        }
        for channel in open { channel.close(promise: nil) }
    }

    /// Every byte relayed from now on is dropped, the connections kept; new ones are refused.
    func cutSilently() { state.withLock { $0.silent = true } }

    func heal() {
        state.withLock {
            $0.cut = false
            $0.silent = false
        }
    }

    func stop() async {
        cut()
        try? await server.close()
        try? await group.shutdownGracefully()
    }

    /// Writes what one side reads to the other; either closing closes both.
    private final class Relay: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        private let partner: Channel
        private let links: Links

        init(to partner: Channel, links: Links) {
            self.partner = partner
            self.links = links
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !links.withLock({ $0.silent }) else { return }
            partner.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            partner.close(promise: nil)
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            context.close(promise: nil)
        }
    }
}
