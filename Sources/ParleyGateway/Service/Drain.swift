import Logging
import ServiceLifecycle

/// The last service of the gateway's group, so the first to hear of a shutdown: newcomers are
/// refused (503), every WebSocket gets close 1001 (and up to 3 s to answer), and every socket
/// that is not a WebSocket is closed at once, whatever its client does. Hummingbird's listener,
/// shut down next, then finds nothing left to wait for.
struct Drain: Service {
    let registry: ConnectionRegistry
    let admission: ConnectionAdmission
    let httpChannels: HTTPChannels
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        admission.refuseEveryone()
        let http = httpChannels.closeAll()
        let count = await registry.closeAll(.goingAway, reason: "server shutting down")
        logger.info("draining", metadata: ["connections": "\(count)", "httpConnections": "\(http)"])
        // Clients answer the close frame, or the socket is closed after a second. A WebSocket
        // whose upgrade was still completing when the drain began registers a moment later: it
        // gets its 1001 on a later pass (closing is idempotent per connection).
        let deadline = ContinuousClock.now + .seconds(3)
        while admission.openConnections > 0 && ContinuousClock.now < deadline && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
            _ = await registry.closeAll(.goingAway, reason: "server shutting down")
        }
    }
}
