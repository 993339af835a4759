import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import ParleyHost
import ParleyTestSupport
import Synchronization
import Testing

@testable import ParleyGateway

/// Deadlines before the upgrade: a request's headers must be complete within the header timeout
/// (408 and close otherwise), and a kept-alive HTTP connection may not sit idle forever — so a
/// slowloris attacker cannot hold sockets (3,000 half-sent requests stayed open 65 s before).
@Suite(.timeLimit(.minutes(2))) struct RequestDeadlineTests {
    // MARK: the state machine

    @Test func theFirstRequestHasTheHeaderTimeoutAndLaterOnesTheIdleTimeout() {
        var deadlines = RequestDeadlines(headerTimeout: .seconds(10), idleTimeout: .seconds(60))
        #expect(deadlines.accepted(draw: 0) == .arm(.seconds(10)))
        #expect(deadlines.expired() == .requestTimeout)
        #expect(deadlines.receivedHeaders() == .cancel)
        #expect(deadlines.expired() == nil, "no deadline while a request is answered")
        #expect(deadlines.sentResponseEnd() == .arm(.seconds(60)))
        #expect(deadlines.expired() == .idleClose)
        #expect(deadlines.sentResponseEnd() == .keep, "a second end (our own 408) arms nothing")
        #expect(deadlines.receivedHeaders() == .cancel)
        #expect(deadlines.expired() == nil)
    }

    @Test func theHeaderDeadlineIsSpreadOverTheTimeoutsLastFifth() {
        let deadlines = RequestDeadlines(headerTimeout: .seconds(10), idleTimeout: .seconds(60))
        #expect(deadlines.accepted(draw: 0) == .arm(.seconds(10)))
        #expect(deadlines.accepted(draw: 0.5) == .arm(.seconds(9)))
        #expect(deadlines.accepted(draw: 1) == .arm(.seconds(8)))
        #expect(deadlines.accepted(draw: 7) == .arm(.seconds(8)), "a draw out of range is clamped, never past the spread")
        #expect(deadlines.accepted(draw: -1) == .arm(.seconds(10)), "never later than the timeout")
    }

    // MARK: the handler, on an embedded channel

    private final class Expiries: Sendable {
        private let list = Mutex<[RequestDeadlines.Expiry]>([])
        func append(_ expiry: RequestDeadlines.Expiry) { list.withLock { $0.append(expiry) } }
        var all: [RequestDeadlines.Expiry] { list.withLock { $0 } }
    }

    private func embedded(counted expiries: Expiries = Expiries()) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            RequestDeadlineHandler(headerTimeout: .seconds(10), idleTimeout: .seconds(60), spreadDraw: 0) { expiries.append($0) })
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    @Test func silenceUntilTheHeaderTimeoutIsAnswered408AndClosed() throws {
        let expiries = Expiries()
        let channel = try embedded(counted: expiries)
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        #expect(try channel.readOutbound(as: HTTPServerResponsePart.self) == nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        guard case .head(let head) = try channel.readOutbound(as: HTTPServerResponsePart.self) else {
            Issue.record("no 408 head")
            return
        }
        #expect(head.status == .requestTimeout)
        #expect(head.headers["Connection"] == ["close"])
        guard case .end = try channel.readOutbound(as: HTTPServerResponsePart.self) else {
            Issue.record("no end")
            return
        }
        #expect(!channel.isActive)
        #expect(expiries.all == [.requestTimeout])
    }

    @Test func socketsOpenedTogetherDoNotAllMeetTheirHeaderDeadlineTogether() throws {
        // The default draw is random per socket: of 100 sockets accepted in one instant, some are
        // closed by 9 s of a 10 s timeout and some are not (all on one side: odds 2 in 2^100).
        let loop = EmbeddedEventLoop()
        let channels = try (0..<100).map { _ in
            let channel = EmbeddedChannel(loop: loop)
            try channel.pipeline.syncOperations.addHandler(
                RequestDeadlineHandler(headerTimeout: .seconds(10), idleTimeout: .seconds(60)) { _ in })
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            return channel
        }
        loop.advanceTime(by: .milliseconds(7_999))
        let openAt8 = channels.filter(\.isActive).count
        #expect(openAt8 == 100, "none before 8 s")
        loop.advanceTime(by: .milliseconds(1_001))
        let closedBy9 = channels.filter { !$0.isActive }.count
        #expect(closedBy9 > 0 && closedBy9 < 100, "\(closedBy9) of 100 closed by 9 s")
        loop.advanceTime(by: .seconds(1))
        let openAt10 = channels.filter(\.isActive).count
        #expect(openAt10 == 0, "all by 10 s")
    }

    @Test func aRequestInTimeIsAnsweredAndThenTheIdleTimeoutRuns() throws {
        let expiries = Expiries()
        let channel = try embedded(counted: expiries)
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        try channel.writeInbound(HTTPServerRequestPart.head(.init(version: .http1_1, method: .GET, uri: "/healthz")))
        // Answering takes long: no deadline meanwhile.
        channel.embeddedEventLoop.advanceTime(by: .seconds(100))
        #expect(channel.isActive)
        try channel.writeOutbound(HTTPServerResponsePart.head(.init(version: .http1_1, status: .ok)))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive, "idle keep-alive closed")
        #expect(expiries.all == [.idleClose])
        // Closed without a word: only the response we wrote went out.
        #expect(try channel.readOutbound(as: HTTPServerResponsePart.self) != nil)
        #expect(try channel.readOutbound(as: HTTPServerResponsePart.self) != nil)
        #expect(try channel.readOutbound(as: HTTPServerResponsePart.self) == nil)
    }

    @Test func removedItLeavesTheSocketAlone() throws {
        // Removed with its header deadline armed (no head yet): the timer goes with it — a stale
        // one would count a header timeout for a socket that had become a WebSocket.
        let expiries = Expiries()
        let channel = try embedded(counted: expiries)
        let handler = try channel.pipeline.syncOperations.handler(type: RequestDeadlineHandler.self)
        try channel.pipeline.syncOperations.removeHandler(handler).wait()
        channel.embeddedEventLoop.advanceTime(by: .seconds(3600))
        #expect(channel.isActive)
        #expect(expiries.all.isEmpty, "\(expiries.all)")
    }

    // MARK: over real sockets

    /// Opens `count` sockets that each send half a request and then nothing.
    private func halfOpenRequests(_ count: Int, port: Int) async throws -> [any Channel] {
        var channels: [any Channel] = []
        for _ in 0..<count {
            let channel = try await ClientBootstrap(group: TestClient.group)
                .channelInitializer { channel in
                    // The 408 and the close arrive here; nothing to do with them.
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Discard()) }
                }
                .connect(host: "127.0.0.1", port: port).get()
            channel.writeAndFlush(ByteBuffer(string: "GET /ws HTTP/1.1\r\nHost: x\r\n"), promise: nil)
            channels.append(channel)
        }
        return channels
    }

    private final class Discard: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    @Test func twoThousandHalfSentRequestsAreClosedWithinTheHeaderTimeoutWhileMembersChat() async throws {
        // 2,000 sockets on each side, in this one process.
        OpenFilesLimit.raiseToHardLimit()
        try await withServer(gateway: { $0.headerTimeout = .seconds(2) }) { server in
            let opened = ContinuousClock.now
            let attackers = try await halfOpenRequests(2_000, port: server.port)
            // During the attack a new client connects and chats, promptly.
            let started = ContinuousClock.now
            let alice = try await server.namedClient("alice")
            try await alice.send(#"{"action":"sendPublic","message":"through the siege"}"#)
            #expect(try await alice.next().contains("through the siege"))
            #expect(ContinuousClock.now - started < .seconds(1), "a member got in and chatted in under 1 s")
            // Every attacker is closed by the header timeout (+1 s), counting from the last one's open.
            var open = attackers
            let deadline = ContinuousClock.now + .seconds(3)
            while !open.isEmpty && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                open.removeAll { !$0.isActive }
            }
            #expect(open.isEmpty, "\(open.count) of 2,000 half-sent requests still open \(ContinuousClock.now - opened) after the first")
            for channel in open { try? await channel.close() }
            #expect(server.gateway.metrics.exposition().contains(#"parley_request_timeouts_total{kind="headers"} 2000"#))
            // alice upgraded in time and stays.
            try await alice.send(#"{"action":"sendPublic","message":"still here"}"#)
            #expect(try await alice.next().contains("still here"))
        }
    }

    @Test func anIdleKeepAliveConnectionIsClosed() async throws {
        try await withServer(gateway: { $0.httpIdleTimeout = .seconds(1) }) { server in
            let channel = try await ClientBootstrap(group: TestClient.group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Discard()) }
                }
                .connect(host: "127.0.0.1", port: server.port).get()
            try await channel.writeAndFlush(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")).get()
            #expect(await closedByServer(channel, within: .seconds(3)))
            #expect(server.gateway.metrics.exposition().contains(#"parley_request_timeouts_total{kind="idle"} 1"#))
        }
    }

    @Test func pastThePendingCapNewSocketsAreClosedAtOnceAndCounted() async throws {
        try await withServer(gateway: {
            $0.maximumPendingUpgrades = 50
            $0.headerTimeout = .seconds(30)
        }) { server in
            let holders = try await halfOpenRequests(50, port: server.port)
            // Wait until the server holds all 50 (accepts are asynchronous).
            let held = ContinuousClock.now + .seconds(5)
            while server.gateway.pendingSockets < 50 && ContinuousClock.now < held { try await Task.sleep(for: .milliseconds(20)) }
            #expect(server.gateway.pendingSockets == 50)
            let extra = try await halfOpenRequests(20, port: server.port)
            for channel in extra {
                #expect(await closedByServer(channel, within: .seconds(1)), "closed at once, long before the 30 s header timeout")
            }
            let stillHeld = holders.filter { $0.isActive }.count
            #expect(stillHeld == 50, "the first 50 are kept (until their header timeout)")
            #expect(server.gateway.metrics.exposition().contains("parley_pending_upgrade_refusals_total 20"))
            // When a held socket goes, its place is free again: a member gets in.
            for channel in holders.prefix(5) { try await channel.close() }
            let freed = ContinuousClock.now + .seconds(5)
            while server.gateway.pendingSockets > 45 && ContinuousClock.now < freed { try await Task.sleep(for: .milliseconds(20)) }
            let alice = try await server.namedClient("alice")
            try await alice.send(#"{"action":"sendPublic","message":"in"}"#)
            #expect(try await alice.next().contains("in"))
            for channel in holders.dropFirst(5) { try? await channel.close() }
        }
    }
}
