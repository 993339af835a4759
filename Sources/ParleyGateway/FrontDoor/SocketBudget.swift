/// The socket caps against the process's open-files limit.
extension GatewayConfiguration {
    /// Descriptors kept for the process itself (listeners, PostgreSQL, files, the page).
    static let reservedDescriptors = 64

    /// Fits the socket caps inside `openFiles` descriptors, so the gateway's own caps close
    /// surplus sockets before the process runs out. Out of descriptors, `accept` fails with
    /// EMFILE while the listening socket stays readable: NIO's event loop then spins on it at a
    /// full core (measured: 3.0 CPU s in 3 s with 128 descriptors and 300 waiting sockets).
    /// Returns what was lowered, for a warning; nil when everything fitted.
    public mutating func fitSockets(withinOpenFiles openFiles: Int) -> String? {
        let budget = openFiles - Self.reservedDescriptors
        guard openFiles > 0, maximumConnections + pendingUpgradeLimit > budget else { return nil }
        let pending = max(8, min(pendingUpgradeLimit, budget / 5))
        let connections = max(8, budget - pending)
        let before = "\(maximumConnections) connections + \(pendingUpgradeLimit) pending upgrades"
        maximumPendingUpgrades = pending
        maximumConnections = connections
        return
            "open-files limit \(openFiles) is below \(before) + \(Self.reservedDescriptors) for the process: lowered to \(connections) connections + \(pending) pending upgrades (raise the hard limit, `ulimit -Hn`, to keep them)"
    }
}
