import NIOCore
import Synchronization

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
