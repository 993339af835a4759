import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import ParleyHost
import Synchronization

/// `parley-load agent --listen HOST:PORT`: runs its share of a coordinator's run with its own
/// clients and sends back what they measured. One coordinator at a time; a second one, a wrong
/// version or garbage gets a clear `failed` line and the agent keeps serving. When its
/// coordinator goes away mid-run, the share stops and its clients disconnect.
public final class LoadAgent: Sendable {
    let eventLoops: Int
    let log: @Sendable (String) -> Void
    private let holder = Mutex<String?>(nil)

    public init(eventLoops: Int, log: @escaping @Sendable (String) -> Void) {
        self.eventLoops = eventLoops
        self.log = log
    }

    /// Serves until cancelled; `onBound` hears the port (0 asks for a free one).
    public func serve(host: String, port: Int, onBound: @Sendable (Int) -> Void = { _ in }) async throws {
        let server = try await ServerBootstrap(group: NIOSingletons.posixEventLoopGroup)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        onBound(server.channel.localAddress?.port ?? port)
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask { await self.session(connection) }
                }
            }
        }
    }

    /// One coordinator's connection: the hello, then clock exchanges, a prepare and a start.
    func session(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let peer = connection.channel.remoteAddress.map { "\($0)" } ?? "a peer"
        let allocator = connection.channel.allocator
        try? await connection.executeThenClose { inbound, outbound in
            let outbox = Outbox(writer: outbound, allocator: allocator)
            var lines = inbound.makeAsyncIterator()
            guard let first = try await lines.next() else { return }
            guard case .success(let hello) = AgentMessage.parse(first), hello.type == .hello else {
                log("refused \(peer): its first line was not a parley-load hello")
                await outbox.send(.failed("this is a parley-load agent (protocol \(AgentMessage.version)): expected a hello line first"))
                return
            }
            guard hello.version == AgentMessage.version else {
                log("refused \(peer): protocol \(hello.version.map(String.init) ?? "none"), this agent speaks \(AgentMessage.version)")
                await outbox.send(
                    .failed(
                        "version mismatch: the coordinator speaks protocol \(hello.version.map(String.init) ?? "none"), this agent \(AgentMessage.version) (parley-load \(ParleyVersion.current)); run the same parley-load on both"
                    ))
                return
            }
            if let busyWith = claim(for: peer) {
                log("refused \(peer): busy with \(busyWith)")
                await outbox.send(.failed("busy: this agent is running a share for another coordinator (\(busyWith))"))
                return
            }
            defer { release() }
            var answer = AgentMessage(.hello)
            answer.version = AgentMessage.version
            answer.host = ProcessInfo.processInfo.hostName
            answer.cores = UsableCores.count
            await outbox.send(answer)
            log("coordinator \(peer) connected")

            // One share at a time; a coordinator runs several (a sweep, a capacity search) in turn.
            var current: ShareInProgress?
            do {
                while let line = try await lines.next() {
                    guard case .success(let message) = AgentMessage.parse(line) else {
                        await outbox.send(.failed("not a parley-load agent message; ignored"))
                        continue
                    }
                    switch message.type {
                    case .clock:
                        var reply = AgentMessage(.clock)
                        reply.t0 = message.t0
                        reply.agentTime = NIODeadline.now().uptimeNanoseconds
                        await outbox.send(reply)
                    case .prepare where current?.isRunning != true:
                        let share = ShareInProgress()
                        share.task = Task { [self] in
                            await runShare(message, outbox: outbox, starts: share.starts)
                            share.finish()
                        }
                        current = share
                    case .start where current?.isRunning == true && message.startAt != nil:
                        current?.start(at: message.startAt!)
                    default:
                        await outbox.send(.failed("unexpected \(message.type.rawValue) now; ignored"))
                    }
                }
            } catch {
                log("coordinator \(peer): \(error)")
            }
            if let current, current.isRunning {
                current.cancel()
                await current.task?.value
            }
            log("coordinator \(peer) gone")
        }
    }

    /// Runs the share in `prepare`: connect, say ready, wait for the common start, run the
    /// phases, send the result in common time. A heartbeat each second shows it is alive.
    func runShare(_ prepare: AgentMessage, outbox: Outbox, starts: AsyncStream<UInt64>) async {
        guard let scenario = prepare.scenario, let share = prepare.share, let targets = prepare.targets, !targets.isEmpty else {
            await outbox.send(.failed("prepare without a scenario, share and targets"))
            return
        }
        log(
            "share: \(share.clients) clients from #\(share.clientBase), publishers \(share.publishers), targets \(targets.joined(separator: ","))"
        )
        var options = LoadTest.Options()
        options.quiet = true
        options.eventLoops = eventLoops
        let test = LoadTest(scenario: scenario, source: "", options: options)
        let beats = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                await outbox.send(AgentMessage(.beat))
            }
        }
        defer { beats.cancel() }
        do {
            let result = try await test.withHarness(targets: targets) { harness in
                try await harness.runShare(scenario, share: share) { connected in
                    var ready = AgentMessage(.ready)
                    ready.connected = connected
                    await outbox.send(ready)
                    for await commonStart in starts { return share.local(commonStart) }
                    throw CancellationError()
                }
            }
            var answer = AgentMessage(.result)
            answer.result = result.shifted(by: share.shift)
            await outbox.send(answer)
            log("share done: \(result.connected) connected, \(result.loops.reduce(0) { $0 + $1.received.reduce(0, +) }) deliveries")
        } catch is CancellationError {
            log("share stopped: the coordinator went away")
        } catch {
            await outbox.send(.failed("the share failed: \(error)"))
        }
    }

    /// Takes the agent for `peer`; answers who holds it when it is taken.
    private func claim(for peer: String) -> String? {
        holder.withLock { current in
            if let current { return current }
            current = peer
            return nil
        }
    }

    private func release() { holder.withLock { $0 = nil } }
}
