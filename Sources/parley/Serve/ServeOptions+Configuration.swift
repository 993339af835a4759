import ArgumentParser
import Foundation
import Logging
import NIOSSL
import ParleyChat
import ParleyCluster
import ParleyGateway
import ParleyProtocol

/// What the options mean to the gateway, the chat handler, TLS and the cluster.
extension ServeOptions {
    /// The server side of TLS from the PEM files, or nil; a file that cannot be read or parsed
    /// is named in the error (exit 64).
    func tlsConfiguration() throws -> TLSConfiguration? {
        guard let tlsCert, let tlsKey else { return nil }
        let chain: [NIOSSLCertificate], key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(tlsCert)
        } catch {
            throw ValidationError("--tls-cert \(tlsCert): not a readable PEM certificate (\(error))")
        }
        guard !chain.isEmpty else { throw ValidationError("--tls-cert \(tlsCert): no certificate in the file") }
        do {
            key = try NIOSSLPrivateKey(file: tlsKey, format: .pem)
        } catch {
            throw ValidationError("--tls-key \(tlsKey): not a readable PEM private key (\(error))")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }

    /// The cluster bus for --store postgres (nil for memory); an unreachable database is an
    /// error at once, not a hang.
    func joinCluster(logger: Logger) async throws -> PostgresClusterBus? {
        guard store == .postgres, let postgresURL else { return nil }
        var settings = ClusterSettings(url: try PostgresURL(postgresURL), nodeName: nodeID ?? "\(host):\(port)")
        settings.deadNodeAfter = .seconds(deadNodeAfter)
        settings.heartbeatInterval = .milliseconds(heartbeatMs)
        settings.historySize = historySize
        settings.historyTTL = .seconds(historyTtl)
        settings.outboxCapacity = outboxSize
        settings.outboxTTL = .seconds(outboxTtl)
        settings.databaseTimeout = .seconds(databaseTimeout)
        do {
            return try await PostgresClusterBus.join(settings, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("parley: error: \(error)\n".utf8))
            throw ExitCode(69)
        }
    }

    var gatewayConfiguration: GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.managementToken = managementToken
        configuration.servesWebPage = web
        configuration.maximumFrameBytes = maxFrameBytes
        configuration.maximumMessageBytes = maxMessageBytes
        configuration.idleTimeout = .seconds(idleTimeout)
        configuration.maximumLifetime = .seconds(maxLifetime)
        configuration.headerTimeout = .seconds(headerTimeout)
        configuration.maximumRequestHeadBytes = maxHeaderBytes
        configuration.maximumRequestHeaderFields = maxHeaders
        configuration.httpIdleTimeout = .seconds(httpIdleTimeout)
        configuration.maximumPendingUpgrades = maxPendingUpgrades
        configuration.maximumConnectionsPerAddress = maxConnectionsPerIp
        configuration.connectionsPerSecondPerAddress = connectRatePerIp
        configuration.unlimitedAddresses = Set(unlimitedIp)
        configuration.trustedProxies = Set(trustedProxy)
        configuration.connectionsPerSecond = connectRate
        configuration.maximumConnections = maxConnections ?? 10_000
        configuration.inboundMessagesPerSecond = inboundRate
        configuration.rateStrikesBeforeClose = rateStrikes
        configuration.outboundBudgetBytes = outboundBudget
        configuration.socketSendBufferBytes = socketSendBuffer
        configuration.eventLoopCount = eventLoops
        configuration.metricsPort = metricsPort
        configuration.managementPort = managementPort
        configuration.managementHost = managementHost
        configuration.echoesMessages = handler == .echo
        configuration.writePath = writePath
        configuration.allowedOrigins = Set(
            allowedOrigin.map { origin in
                let lowered = origin.lowercased()
                return lowered.hasSuffix("/") ? String(lowered.dropLast()) : lowered
            })
        return configuration
    }

    var chatConfiguration: ChatConfiguration {
        var configuration = ChatConfiguration()
        configuration.maximumMessageScalars = maxMessageChars
        configuration.presenceLimit = presenceLimit
        configuration.presenceWindow = .milliseconds(presenceWindowMs)
        configuration.historySize = historySize
        configuration.historyTTL = .seconds(historyTtl)
        // Checked by validate().
        if let room = try? RoomName(validating: defaultRoom, action: nil) { configuration.defaultRoom = room }
        configuration.maximumRoomsPerConnection = maxRoomsPerConnection
        configuration.maximumRoomMembers = maxRoomMembers
        return configuration
    }
}
