import Foundation
import Glibc
import NIOCore
import NIOWebSocket
import Synchronization

/// Connecting the swarm: every client at its own instant, hello, readiness, errors by kind.
extension LoadRun {
    // MARK: connecting

    /// Starts every client at its own instant (arrivals at `connect.rate`), then waits until each
    /// is ready or has failed.
    func connectAll() async throws {
        let start = NIODeadline.now().uptimeNanoseconds
        let interval = 1e9 / scenario.connect.rate
        let base = share?.clientBase ?? 0
        for offset in 0..<clientCount {
            let index = base + offset
            let due = start + UInt64(Double(offset) * interval)
            let now = NIODeadline.now().uptimeNanoseconds
            if due > now + 1_000_000 { try await Task.sleep(for: .nanoseconds(Int64(due - now))) }
            startClient(index, due: due)
            if offset % 256 == 0 { report(stage: "connect") }
        }
        let deadline = ContinuousClock.now + scenario.connect.timeout + .seconds(5)
        while settled.load(ordering: .relaxed) < clientCount && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            report(stage: "connect")
        }
    }

    func startClient(_ index: Int, due: UInt64) {
        let loopIndex = index % loops.count
        let loop = loops[loopIndex]
        let reconnects = scenario.reconnect != nil
        // A client that may come back learns the history's epoch from its first answer.
        let target = reconnects ? targets[index % targets.count].adding(query: "since=latest") : targets[index % targets.count]
        let sources = scenario.connect.sources
        let source = sources.isEmpty ? nil : sources[index % sources.count]
        let recorder = recorders[loopIndex]
        let owned = clients[loopIndex]
        let senderReceives = scenario.message.senderReceives
        let ready = scenario.effectiveReady
        let hello = scenario.hello
        loop.execute { [self] in
            let client = LoadClient(index: index, recorder: recorder.value, senderReceives: senderReceives)
            if scenario.measurePresence { client.awaitedMembers = share?.totalClients ?? clientCount }
            if reconnects {
                client.resume = ResumePoint()
                client.onCaughtUp = { [self] client, outcome, since in
                    recorder.value.recordResume(outcome, micros: (NIODeadline.now().uptimeNanoseconds &- since) / 1000)
                    membership.add(client.index)
                }
            }
            owned.value.byIndex[index] = client
            client.onReady = { [self] client in
                readyCount.add(1, ordering: .relaxed)
                membership.add(client.index)
                settle(client)
            }
            client.onClosed = { [self] client, expected in
                membership.remove(client.index)
                if client.resume != nil, client.readyAt != nil, client.leftAt == nil, !tearingDown.load(ordering: .relaxed) {
                    comeBack(client, loopIndex: loopIndex)
                    return
                }
                if !expected && !tearingDown.load(ordering: .relaxed) {
                    countError(client.readyAt == nil ? "closed before ready" : "closed by server")
                    if client.readyAt == nil { settle(client) }
                }
            }
            let handler = LoadClientHandler(client: client)
            let boundHandler = LoopBound(handler, eventLoop: loop)
            let upgraded =
                receivesDirectly(index)
                ? connectDirectly(client, to: target, from: source, loopIndex: loopIndex) { boundHandler.value }
                : connector.connect(to: target, from: source, on: loop, readsRawFrames: true) { boundHandler.value }
            upgraded
                .hop(to: loop)
                .assumeIsolated()
                .whenComplete { [self] result in
                    switch result {
                    case .success(.upgraded(let channel)):
                        client.channel = channel
                        connected.add(1, ordering: .relaxed)
                        let now = NIODeadline.now().uptimeNanoseconds
                        // A client may start up to a millisecond before its instant.
                        recorder.value.recordConnect(nanos: now > due ? now - due : 0)
                        if let hello { send(text: hello.replacingOccurrences(of: "{i}", with: String(index)), on: channel) }
                        if let ready {
                            client.readyExpectation = Array(ready.expect.utf8)
                            send(text: ready.send.replacingOccurrences(of: "{i}", with: String(index)), on: channel)
                            loop.assumeIsolated().scheduleTask(in: connector.timeout) { [self] in
                                if client.readyAt == nil && client.leftAt == nil {
                                    countError("not ready in time")
                                    settle(client)
                                }
                            }
                        } else {
                            client.becomeReady(at: now)
                            boundHandler.value.handOffIfReady(channel: channel)
                        }
                    case .success(.refused(let status)):
                        client.closeDirectDescriptor()
                        countError(status == 0 ? "upgrade refused" : "http \(status)")
                        owned.value.byIndex.removeValue(forKey: index)
                        settle(client)
                    case .failure(let error):
                        client.closeDirectDescriptor()
                        countError(error.connectErrorKind)
                        owned.value.byIndex.removeValue(forKey: index)
                        settle(client)
                    }
                }
        }
    }

    /// The direct receive path's connect (`ReceiveLoop`), then NIO's upgrade on a duplicate of
    /// the socket; the client keeps the original, for its receive loop once it is ready.
    func connectDirectly(
        _ client: LoadClient, to target: TargetURL, from source: String?, loopIndex: Int,
        makeHandler: @escaping @Sendable () -> any ChannelHandler
    ) -> EventLoopFuture<ClientConnector.Outcome> {
        let loop = loops[loopIndex]
        let receiveLoop = receiveLoops[loopIndex]
        let promise = loop.makePromise(of: ClientConnector.Outcome.self)
        let boundClient = LoopBound(client, eventLoop: loop)
        let from = source.flatMap { try? SocketAddress(ipAddress: $0, port: 0) }
        receiveLoop.connect(to: directAddresses[client.index % targets.count]!, from: from, timeout: connector.timeout) { [self] result in
            loop.execute { [self] in
                switch result {
                case .success(let descriptor):
                    let duplicate = dup(descriptor)
                    guard duplicate >= 0 else {
                        close(descriptor)
                        return promise.fail(IOError(errnoCode: errno, reason: "dup"))
                    }
                    boundClient.value.direct = DirectHandOff(loop: receiveLoop, descriptor: descriptor)
                    promise.completeWith(connector.upgrade(descriptor: duplicate, to: target, on: loop, makeHandler: makeHandler))
                case .failure(let error):
                    promise.fail(error)
                }
            }
        }
        return promise.futureResult
    }

    /// Counts a client as done connecting, once.
    func settle(_ client: LoadClient) {
        guard !client.settled else { return }
        client.settled = true
        settled.add(1, ordering: .relaxed)
    }

    func countError(_ kind: String) {
        errors.withLock { $0[kind, default: 0] += 1 }
    }

    func send(text: String, on channel: any Channel) {
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text))
        channel.writeAndFlush(frame, promise: nil)
    }
}
