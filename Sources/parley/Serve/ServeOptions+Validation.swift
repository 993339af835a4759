import ArgumentParser
import Foundation
import Logging
import NIOCore
import ParleyCluster
import ParleyProtocol

extension ServeOptions {
    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535, not \(port)") }
        if let metricsPort, !(0...65535).contains(metricsPort) || (metricsPort == port && port != 0) {
            throw ValidationError("--metrics-port must be 0…65535 and not the chat's port, not \(metricsPort)")
        }
        if let managementPort,
            !(0...65535).contains(managementPort) || (managementPort != 0 && [port, metricsPort].contains(managementPort))
        {
            throw ValidationError("--management-port must be 0…65535 and not the chat's or the metrics' port, not \(managementPort)")
        }
        if managementHost != nil && managementPort == nil { throw ValidationError("--management-host needs --management-port") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        for (name, value) in [
            ("--max-frame-bytes", maxFrameBytes), ("--max-message-bytes", maxMessageBytes),
            ("--idle-timeout", idleTimeout), ("--max-lifetime", maxLifetime), ("--connect-rate", connectRate),
            ("--header-timeout", headerTimeout), ("--http-idle-timeout", httpIdleTimeout),
            ("--max-header-bytes", maxHeaderBytes), ("--max-headers", maxHeaders),
            ("--max-connections-per-ip", maxConnectionsPerIp), ("--connect-rate-per-ip", connectRatePerIp),
            ("--max-connections", maxConnections ?? 1), ("--inbound-rate", inboundRate),
            ("--outbound-budget", outboundBudget), ("--max-message-chars", maxMessageChars),
            ("--event-loops", eventLoops), ("--dead-node-after", deadNodeAfter), ("--heartbeat-ms", heartbeatMs),
            ("--history-ttl", historyTtl), ("--max-rooms-per-connection", maxRoomsPerConnection),
            ("--max-room-members", maxRoomMembers ?? 1), ("--outbox-size", outboxSize), ("--outbox-ttl", outboxTtl),
            ("--database-timeout", databaseTimeout),
        ] where value <= 0 {
            throw ValidationError("\(name) must be positive, not \(value)")
        }
        if (try? RoomName(validating: defaultRoom, action: nil)) == nil {
            throw ValidationError("--default-room must be 1-64 characters from A-Z a-z 0-9 _ . -, not \"\(defaultRoom)\"")
        }
        if historySize < 0 { throw ValidationError("--history-size must be 0 or more, not \(historySize)") }
        for address in unlimitedIp + trustedProxy where (try? SocketAddress(ipAddress: address, port: 0)) == nil {
            throw ValidationError("--unlimited-ip and --trusted-proxy take IP addresses, not \"\(address)\"")
        }
        if let maxPendingUpgrades, maxPendingUpgrades <= 0 {
            throw ValidationError("--max-pending-upgrades must be positive, not \(maxPendingUpgrades)")
        }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if handler == .echo && store != .memory { throw ValidationError("--handler echo has no room to share: leave --store out") }
        for origin in allowedOrigin {
            guard let url = URL(string: origin), let scheme = url.scheme, ["http", "https"].contains(scheme.lowercased()),
                url.host != nil, url.path.isEmpty || url.path == "/"
            else {
                throw ValidationError("--allowed-origin must look like https://chat.example.com or http://localhost:3000, not \(origin)")
            }
        }
        switch store {
        case .memory:
            if postgresURL != nil { throw ValidationError("--postgres-url needs --store postgres") }
        case .postgres:
            guard let postgresURL else { throw ValidationError("--store postgres needs --postgres-url") }
            do { _ = try PostgresURL(postgresURL) } catch { throw ValidationError("\(error)") }
            if heartbeatMs * 2 > deadNodeAfter * 1000 {
                throw ValidationError("--heartbeat-ms must be at most half of --dead-node-after")
            }
        }
    }
}
