import NIOCore

/// Churn while the phases run (`churn:`): members leave, and as many new clients join, at the
/// scenario's rate.
struct Churn: Sendable {
    let context: SwarmContext
    let connector: SwarmConnector

    /// Clients leave (and as many new ones join) at the churn rate while the phases run. A
    /// leaver stops being a member at once but keeps reading for a second, so messages already
    /// due to it are not miscounted as lost.
    func start() -> Task<Void, Never>? {
        guard let rate = context.scenario.churn?.rate, rate > 0 else { return nil }
        return Task { [self] in
            let interval = Duration.nanoseconds(Int64(1e9 / rate))
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                let excluded = context.tally.publishers.withLock { $0 }
                guard let leaver = context.tally.membership.random(excluding: excluded) else { continue }
                context.tally.membership.remove(leaver)
                let loop = context.loops[leaver % context.loops.count]
                let owned = context.clients[leaver % context.loops.count]
                loop.execute {
                    guard let client = owned.value.byIndex[leaver] else { return }
                    client.leave(at: NIODeadline.now().uptimeNanoseconds)
                    let channel = client.channel
                    loop.scheduleTask(in: .seconds(1)) { channel?.close(promise: nil) }
                }
                let newcomer = context.tally.nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue
                connector.startClient(newcomer, due: NIODeadline.now().uptimeNanoseconds)
            }
        }
    }
}
