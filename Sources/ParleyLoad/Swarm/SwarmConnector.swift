import Foundation
import Glibc
import NIOCore
import ParleyHost
import Synchronization

/// Connecting the swarm: every client at its own instant (arrivals at `connect.rate`), its hello
/// and readiness, the direct receive path's own connect, and errors by kind. A client the server
/// closes goes to `reconnects` when the scenario has clients come back.
final class SwarmConnector: Sendable {
    let context: SwarmContext
    private let tally: SwarmTally
    let reconnects: Reconnects?
    /// The progress line's update for a stage ("connect").
    let report: @Sendable (String) -> Void

    init(context: SwarmContext, reconnects: Reconnects?, report: @escaping @Sendable (String) -> Void) {
        self.context = context
        self.tally = context.tally
        self.reconnects = reconnects
        self.report = report
    }

    /// Starts every client at its own instant (arrivals at `connect.rate`), then waits until each
    /// is ready or has failed. Near the open-files limit, no more than a `ConnectWindow` of them
    /// are pending at once.
    func connectAll() async throws {
        let start = NIODeadline.now().uptimeNanoseconds
        let interval = 1e9 / context.scenario.connect.rate
        let base = context.clientBase
        let window = ConnectWindow(
            clients: context.clientCount, openFiles: OpenFilesLimit.raiseToHardLimit(),
            descriptorsWhilePending: context.direct == nil ? 1 : 2)
        for offset in 0..<context.clientCount {
            let index = base + offset
            let due = start + UInt64(Double(offset) * interval)
            let now = NIODeadline.now().uptimeNanoseconds
            if due > now + 1_000_000 { try await Task.sleep(for: .nanoseconds(Int64(due - now))) }
            while let window, offset - tally.settled.load(ordering: .relaxed) >= window.pending {
                try await Task.sleep(for: .milliseconds(1))
            }
            startClient(index, due: due)
            if offset % 256 == 0 { report("connect") }
        }
        let deadline = ContinuousClock.now + context.scenario.connect.timeout + .seconds(5)
        while tally.settled.load(ordering: .relaxed) < context.clientCount && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            report("connect")
        }
    }

    func startClient(_ index: Int, due: UInt64) {
        let loopIndex = index % context.loops.count
        let loop = context.loops[loopIndex]
        let comesBack = context.scenario.reconnect != nil
        // A client that may come back learns the history's epoch from its first answer.
        let target = context.targets[index % context.targets.count]
        let (dialled, headers) = context.dial(comesBack ? target.adding(query: "since=latest") : target, for: index)
        // A room scenario's clients also stay in the server's default room, where nobody
        // publishes: a cluster node refuses `?rooms=none` (its default room is every name).
        let rooms = context.roomPlan.map { $0.roomsOf[index] }
        let sources = context.scenario.connect.sources
        let source = sources.isEmpty ? nil : sources[index % sources.count]
        let recorder = context.recorders[loopIndex]
        let owned = context.clients[loopIndex]
        let senderReceives = context.scenario.message.senderReceives
        let ready = context.scenario.effectiveReady
        let hello = context.scenario.hello
        loop.execute { [self] in
            let client = LoadClient(index: index, recorder: recorder.value, senderReceives: senderReceives)
            client.rooms = rooms
            client.publisherStride = context.roomPlan?.publisherStride ?? 1
            if context.scenario.measurePresence { client.awaitedMembers = context.share?.totalClients ?? context.clientCount }
            if comesBack {
                client.resume = ResumePoint()
                client.onCaughtUp = { [self] client, outcome, since in
                    recorder.value.recordResume(outcome, micros: (NIODeadline.now().uptimeNanoseconds &- since) / 1000)
                    tally.membership.add(client.index)
                }
            }
            owned.value.byIndex[index] = client
            client.onReady = { [self] client in
                tally.ready.add(1, ordering: .relaxed)
                tally.membership.add(client.index)
                tally.settle(client)
                scheduleRefresh(client, on: loop)
            }
            client.onClosed = { [self] client, expected in
                tally.membership.remove(client.index)
                if client.resume != nil, client.readyAt != nil, client.leftAt == nil, !tally.isTearingDown {
                    reconnects?.comeBack(client, loopIndex: loopIndex)
                    return
                }
                if !expected && !tally.isTearingDown {
                    tally.countError(client.readyAt == nil ? "closed before ready" : "closed by server")
                    if client.readyAt == nil { tally.settle(client) }
                }
            }
            let handler = LoadClientHandler(client: client)
            let boundHandler = LoopBound(handler, eventLoop: loop)
            let upgraded =
                context.receivesDirectly(index)
                ? connectDirectly(client, to: dialled, from: source, loopIndex: loopIndex, headers: headers) { boundHandler.value }
                : context.connector.connect(to: dialled, from: source, on: loop, readsRawFrames: true, headers: headers) {
                    boundHandler.value
                }
            upgraded
                .hop(to: loop)
                .assumeIsolated()
                .whenComplete { [self] result in
                    switch result {
                    case .success(.upgraded(let channel)):
                        client.channel = channel
                        tally.connected.add(1, ordering: .relaxed)
                        let now = NIODeadline.now().uptimeNanoseconds
                        // A client may start up to a millisecond before its instant.
                        recorder.value.recordConnect(nanos: now > due ? now - due : 0)
                        if let hello { context.send(text: hello.replacingOccurrences(of: "{i}", with: String(index)), on: channel) }
                        // Frames of one connection are handled in order: the rooms are joined
                        // before the readiness probe comes back.
                        for room in rooms ?? [] {
                            context.send(text: #"{"action":"join","room":"\#(ScenarioRooms.name(room))"}"#, on: channel)
                        }
                        if let ready {
                            client.readyExpectation = Array(ready.expect.utf8)
                            context.send(text: ready.send.replacingOccurrences(of: "{i}", with: String(index)), on: channel)
                            loop.assumeIsolated().scheduleTask(in: context.connector.timeout) { [self] in
                                if client.readyAt == nil && client.leftAt == nil {
                                    tally.countError("not ready in time")
                                    tally.settle(client)
                                }
                            }
                        } else {
                            client.becomeReady(at: now)
                            boundHandler.value.handOffIfReady(channel: channel)
                        }
                    case .success(.refused(let status)):
                        client.closeDirectDescriptor()
                        tally.countError(status == 0 ? "upgrade refused" : "http \(status)")
                        owned.value.byIndex.removeValue(forKey: index)
                        tally.settle(client)
                    case .failure(let error):
                        client.closeDirectDescriptor()
                        tally.countError(error.connectErrorKind)
                        owned.value.byIndex.removeValue(forKey: index)
                        tally.settle(client)
                    }
                }
        }
    }

    /// A client whose token runs out during the run sends `refresh` with a new one at 60 % of
    /// each token's life, for as long as it is connected.
    private func scheduleRefresh(_ client: LoadClient, on loop: any EventLoop) {
        guard let credentials = context.credentials, context.scenario.refreshesTokens else { return }
        let bound = LoopBound(client, eventLoop: loop)
        let index = client.index
        loop.assumeIsolated().scheduleTask(in: credentials.untilRefresh(of: index)) { [self] in
            Task { [self] in
                guard let frame = try? await credentials.refreshFrame(for: index) else { return }
                loop.execute { [self] in
                    let client = bound.value
                    guard !tally.isTearingDown, client.leftAt == nil, let channel = client.channel else { return }
                    context.tally.refreshes.add(1, ordering: .relaxed)
                    context.send(text: frame, on: channel)
                    scheduleRefresh(client, on: loop)
                }
            }
        }
    }

    /// The direct receive path's connect (`ReceiveLoop`), then NIO's upgrade on a duplicate of
    /// the socket; the client keeps the original, for its receive loop once it is ready.
    func connectDirectly(
        _ client: LoadClient, to target: TargetURL, from source: String?, loopIndex: Int, headers: [(String, String)],
        makeHandler: @escaping @Sendable () -> any ChannelHandler
    ) -> EventLoopFuture<ClientConnector.Outcome> {
        let loop = context.loops[loopIndex]
        let direct = context.direct!
        let receiveLoop = direct.loops[loopIndex]
        let promise = loop.makePromise(of: ClientConnector.Outcome.self)
        let boundClient = LoopBound(client, eventLoop: loop)
        let from = source.flatMap { try? SocketAddress(ipAddress: $0, port: 0) }
        receiveLoop.connect(
            to: direct.address(forTarget: client.index % context.targets.count)!, from: from, timeout: context.connector.timeout
        ) {
            [self] result in
            loop.execute { [self] in
                switch result {
                case .success(let descriptor):
                    let duplicate = dup(descriptor)
                    guard duplicate >= 0 else {
                        close(descriptor)
                        return promise.fail(IOError(errnoCode: errno, reason: "dup"))
                    }
                    boundClient.value.direct = DirectHandOff(loop: receiveLoop, descriptor: descriptor)
                    promise.completeWith(
                        context.connector.upgrade(descriptor: duplicate, to: target, on: loop, headers: headers, makeHandler: makeHandler))
                case .failure(let error):
                    promise.fail(error)
                }
            }
        }
        return promise.futureResult
    }
}
