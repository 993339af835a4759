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

/// Where a coordinator's waits end: a line, the connection's end, or silence.
final class Mailbox: Sendable {
    struct Silence: Error, CustomStringConvertible {
        let description: String
    }

    private struct State {
        var queue: [AgentMessage] = []
        var waiter: (id: Int, continuation: CheckedContinuation<AgentMessage, any Error>)?
        var closed: String?
        var nextID = 0
    }

    private let state = Mutex(State())

    func put(_ message: AgentMessage) {
        let waiter = state.withLock { state -> CheckedContinuation<AgentMessage, any Error>? in
            guard let waiter = state.waiter else {
                state.queue.append(message)
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume(returning: message)
    }

    func close(_ why: String) {
        let waiter = state.withLock { state -> CheckedContinuation<AgentMessage, any Error>? in
            if state.closed == nil { state.closed = why }
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        waiter?.resume(throwing: Silence(description: why))
    }

    func next(timeout: Duration) async throws -> AgentMessage {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.expire(id, after: timeout)
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            enum Now { case message(AgentMessage), closed(String), wait }
            let now = state.withLock { state -> Now in
                if !state.queue.isEmpty { return .message(state.queue.removeFirst()) }
                if let closed = state.closed { return .closed(closed) }
                state.waiter = (id, continuation)
                return .wait
            }
            switch now {
            case .message(let message): continuation.resume(returning: message)
            case .closed(let why): continuation.resume(throwing: Silence(description: why))
            case .wait: break
            }
        }
    }

    private func expire(_ id: Int, after timeout: Duration) {
        let waiter = state.withLock { state -> CheckedContinuation<AgentMessage, any Error>? in
            guard let waiter = state.waiter, waiter.id == id else { return nil }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume(throwing: Silence(description: "stalled: no word for \(Int(timeout.seconds)) s"))
    }
}

/// Lines from the agent into the mailbox, in order, on the channel's loop.
final class MailboxHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let mailbox: Mailbox

    init(mailbox: Mailbox) { self.mailbox = mailbox }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch AgentMessage.parse(unwrapInboundIn(data)) {
        case .success(let message): mailbox.put(message)
        case .failure(let error): mailbox.put(.failed("sent garbage: \(error)"))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        mailbox.close("closed the connection (the agent died or was stopped)")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        mailbox.close("broke the connection (\(error))")
        context.close(promise: nil)
    }
}

/// A coordinator's failure because of one agent: names it, says what happened, exits 4.
public struct AgentFailure: Error, CustomStringConvertible {
    public let agent: String
    public let what: String
    init(agent: String, _ what: String) {
        self.agent = agent
        self.what = what
    }
    public var description: String { "agent \(agent): \(what)" }
}

enum AgentAddress {
    /// "host:port", "[::1]:port".
    static func split(_ address: String) -> (String, Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port)
        else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}
