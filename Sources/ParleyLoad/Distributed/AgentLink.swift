import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import Synchronization

/// The coordinator's connection to one agent: lines out, a mailbox of lines in, and waits that
/// end when the agent answers, closes, or says nothing for too long.
final class AgentLink: Sendable {
    let address: String
    let channel: any Channel
    let mailbox: Mailbox
    /// From the agent's hello.
    let cores: Int

    private init(address: String, channel: any Channel, mailbox: Mailbox, cores: Int) {
        self.address = address
        self.channel = channel
        self.mailbox = mailbox
        self.cores = cores
    }

    /// Connects and exchanges hellos; errors name the agent and say what went wrong.
    static func connect(to address: String, group: any EventLoopGroup) async throws -> AgentLink {
        guard let (host, port) = AgentAddress.split(address) else {
            throw AgentFailure(agent: address, "not an agent address (expected HOST:PORT)")
        }
        let mailbox = Mailbox()
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(5))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(MailboxHandler(mailbox: mailbox))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            throw AgentFailure(agent: address, "cannot connect (\(error)); is `parley-load agent --listen \(address)` running there?")
        }
        var hello = AgentMessage(.hello)
        hello.version = AgentMessage.version
        let link = AgentLink(address: address, channel: channel, mailbox: mailbox, cores: 1)
        try await link.send(hello)
        let answer = try await link.receive(.hello, timeout: .seconds(10), stage: "hello")
        return AgentLink(address: address, channel: channel, mailbox: mailbox, cores: max(answer.cores ?? 1, 1))
    }

    func send(_ message: AgentMessage) async throws {
        do {
            try await channel.writeAndFlush(try message.line(allocator: channel.allocator))
        } catch {
            throw AgentFailure(agent: address, "the connection broke while sending \(message.type.rawValue) (\(error))")
        }
    }

    /// The next message of `kind`, skipping heartbeats; fails on a `failed` line, a closed
    /// connection, or `timeout` without any word from the agent.
    func receive(_ kind: AgentMessage.Kind, timeout: Duration, stage: String) async throws -> AgentMessage {
        while true {
            let message: AgentMessage
            do {
                message = try await mailbox.next(timeout: timeout)
            } catch let error as Mailbox.Silence {
                throw AgentFailure(agent: address, "\(error.description) \(stage)")
            }
            switch message.type {
            case kind: return message
            case .beat: continue
            case .failed: throw AgentFailure(agent: address, "\(stage): \(message.error ?? "failed")")
            default: throw AgentFailure(agent: address, "\(stage): expected \(kind.rawValue), got \(message.type.rawValue)")
            }
        }
    }

    /// NTP-style exchanges; the one with the shortest round trip sets the estimate.
    func estimateClock(exchanges: Int = 8) async throws -> ClockEstimate {
        var samples: [ClockEstimate.Exchange] = []
        for _ in 0..<exchanges {
            var ping = AgentMessage(.clock)
            let sent = NIODeadline.now().uptimeNanoseconds
            ping.t0 = sent
            try await send(ping)
            let pong = try await receive(.clock, timeout: .seconds(5), stage: "during the clock exchange")
            let received = NIODeadline.now().uptimeNanoseconds
            guard pong.t0 == sent, let agentTime = pong.agentTime else {
                throw AgentFailure(agent: address, "answered a clock exchange it was not asked")
            }
            samples.append(.init(sent: sent, agentTime: agentTime, received: received))
        }
        return ClockEstimate.best(of: samples)!
    }

    func close() { channel.close(promise: nil) }
}
