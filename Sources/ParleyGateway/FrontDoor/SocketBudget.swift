/// The socket caps against the process's open-files limit.
extension GatewayConfiguration {
    /// Descriptors kept for the process itself (listeners, PostgreSQL, files, the page).
    static let reservedDescriptors = 64
    /// The fewest pending upgrades a gateway runs with: a few connects can always be on their way.
    static let minimumPendingUpgrades = 16

    /// Fits the socket caps inside `openFiles` descriptors, so the gateway's own caps close
    /// surplus sockets before the process runs out. Out of descriptors, `accept` fails with
    /// EMFILE while the listening socket stays readable: NIO's event loop then spins on it at a
    /// full core (measured: 3.0 CPU s in 3 s with 128 descriptors and 300 waiting sockets).
    ///
    /// A cap the operator gave is kept or refused, never quietly lowered: `connectionsGiven`
    /// (`--max-connections`) keeps `maximumConnections` and gives the pending upgrades what is
    /// left, and a `maximumPendingUpgrades` that was set is kept too. Defaults are lowered to fit.
    /// Returns what was changed, for a warning; nil when everything fitted.
    public mutating func fitSockets(
        withinOpenFiles openFiles: Int, connectionsGiven: Bool = false
    ) throws(SocketBudgetRefusal)
        -> String?
    {
        let budget = openFiles - Self.reservedDescriptors
        guard openFiles > 0, maximumConnections + pendingUpgradeLimit > budget else { return nil }
        let limit = "open-files limit \(openFiles)"
        let raise = "raise the hard limit (`ulimit -Hn`) or ask for fewer"
        switch (connectionsGiven, maximumPendingUpgrades) {
        case (true, let pending?):
            throw SocketBudgetRefusal(
                description:
                    "--max-connections \(maximumConnections) and --max-pending-upgrades \(pending) do not fit the \(limit): \(Self.reservedDescriptors) descriptors are kept for the process, so at most \(budget) sockets in all; \(raise)"
            )
        case (true, nil):
            let left = budget - maximumConnections
            guard left >= Self.minimumPendingUpgrades else {
                throw SocketBudgetRefusal(
                    description:
                        "--max-connections \(maximumConnections) does not fit the \(limit): \(Self.reservedDescriptors) descriptors are kept for the process and at least \(Self.minimumPendingUpgrades) for pending upgrades, so at most \(budget - Self.minimumPendingUpgrades); \(raise)"
                )
            }
            maximumPendingUpgrades = left
            return
                "\(limit): pending upgrades capped at \(left) (not \(max(64, maximumConnections / 4))) to keep \(maximumConnections) connections"
        case (false, let pending?):
            let connections = budget - pending
            guard connections >= Self.minimumPendingUpgrades else {
                throw SocketBudgetRefusal(
                    description:
                        "--max-pending-upgrades \(pending) does not fit the \(limit) with room for connections: at most \(budget - Self.minimumPendingUpgrades); \(raise)"
                )
            }
            let before = maximumConnections
            maximumConnections = connections
            return
                "\(limit) is below \(before) connections + \(pending) pending upgrades + \(Self.reservedDescriptors) for the process: lowered to \(connections) connections (\(raise))"
        case (false, nil):
            let pending = max(8, min(pendingUpgradeLimit, budget / 5))
            let connections = max(8, budget - pending)
            let before = "\(maximumConnections) connections + \(pendingUpgradeLimit) pending upgrades"
            maximumPendingUpgrades = pending
            maximumConnections = connections
            return
                "\(limit) is below \(before) + \(Self.reservedDescriptors) for the process: lowered to \(connections) connections + \(pending) pending upgrades (raise the hard limit, `ulimit -Hn`, to keep them)"
        }
    }
}

/// Socket caps the operator gave that the open-files limit cannot hold: the server does not start.
public struct SocketBudgetRefusal: Error, CustomStringConvertible {
    public let description: String
}
