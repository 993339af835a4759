import Foundation
import ParleyGateway
import ServiceLifecycle

/// Prints the readiness lines once the listeners accept — "parley listening on ws://HOST:PORT",
/// then the metrics address if any — each flushed at once (scripts wait for them on a pipe),
/// then waits for the shutdown with the rest of the group.
struct ReadinessAnnouncement: Service {
    let gateway: Gateway
    let host: String
    let scheme: String

    func run() async throws {
        if let address = await gateway.waitUntilListening() {
            print("parley listening on \(scheme)://\(host):\(address.port ?? gateway.configuration.port)")
            fflush(nil)
        }
        if let metrics = await gateway.waitUntilMetricsListening() {
            print("parley metrics on http://\(host):\(metrics.port ?? 0)/metrics")
            fflush(nil)
        }
        try? await gracefulShutdown()
    }
}
