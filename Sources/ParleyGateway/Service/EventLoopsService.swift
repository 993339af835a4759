import NIOPosix
import ServiceLifecycle

/// The gateway's event loops as the first service of its group, so the last to be shut down:
/// every listener, connection and dependency on them has ended by then.
struct EventLoopsService: Service {
    let group: MultiThreadedEventLoopGroup

    func run() async throws {
        try? await gracefulShutdown()
        try await group.shutdownGracefully()
    }
}
