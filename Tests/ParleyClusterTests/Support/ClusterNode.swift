import Foundation
import Logging
import ParleyChat
import ParleyCluster
import ParleyGateway
import ParleyTestSupport
import Synchronization

/// One gateway node of a test cluster, in this process: its own event loop, its own bus and
/// connections to the test's PostgreSQL. Heartbeats every 200 ms; dead after `deadNodeAfter`.
struct ClusterNode: Sendable {
    let name: String
    let running: RunningGateway
    let bus: PostgresClusterBus
    let handler: ChatHandler
    var port: Int { running.port }

    static func start(
        _ postgres: TestPostgres, name: String, deadNodeAfter: Duration = .seconds(2), historySize: Int = 500,
        through proxy: CuttableProxy? = nil, url: String? = nil, settings configure: (inout ClusterSettings) -> Void = { _ in }
    ) async throws -> ClusterNode {
        var logger = Logger(label: "node-\(name)")
        logger.logLevel = .warning
        let url = url ?? proxy?.url(database: "postgres", user: "postgres") ?? postgres.url
        var settings = ClusterSettings(url: try PostgresURL(url), nodeName: name)
        settings.heartbeatInterval = .milliseconds(200)
        settings.deadNodeAfter = deadNodeAfter
        settings.maximumBackoff = .milliseconds(400)
        settings.historySize = historySize
        configure(&settings)
        var chat = ChatConfiguration()
        chat.historySize = historySize
        let bus = try await PostgresClusterBus.join(settings, logger: logger)
        var configuration = GatewayConfiguration.forTests()
        configuration.eventLoopCount = 1
        configuration.nodeTag = bus.tag
        let made = Mutex<ChatHandler?>(nil)
        // The bus in the gateway's group, as `parley serve` runs it: it finishes after the drain.
        let running = try await RunningGateway.start(configuration: configuration, logger: logger, dependencies: [bus]) {
            connections, scheduler in
            let handler = ChatHandler(
                connections: connections, scheduler: scheduler, configuration: chat, logger: logger, bus: bus)
            made.withLock { $0 = handler }
            return handler
        }
        let node = ClusterNode(name: name, running: running, bus: bus, handler: made.withLock { $0! })
        try await node.waitUntilConnected()
        return node
    }

    func waitUntilConnected(within timeout: Duration = .seconds(15)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !bus.isConnected {
            guard ContinuousClock.now < deadline else { throw TestPostgres.Failed(description: "node \(name) did not connect") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func waitUntilDisconnected(within timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while bus.isConnected {
            guard ContinuousClock.now < deadline else { throw TestPostgres.Failed(description: "node \(name) still connected") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Until `count` public messages wait in the node's outbox (the runner takes the ones behind
    /// the first after that one's grace for a connection).
    func waitForOutbox(_ count: Int, within timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while bus.outboxCount != count {
            guard ContinuousClock.now < deadline else {
                throw TestPostgres.Failed(description: "node \(name): \(bus.outboxCount) in the outbox, not \(count)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Stops the node as SIGTERM does: the drain, the listeners, the bus, the event loops.
    /// Bounded: in CI a node's stop has been seen to hang (before the bus joined the gateway's
    /// group, in its graceful shutdown or the bus's end, not pinned down); the test then goes on
    /// and says what the bus was doing, instead of stalling the whole run.
    func stop(within timeout: Duration = .seconds(20)) async {
        let done = Atomic<Bool>(false)
        let running = self.running
        Task {
            try? await running.stop()
            done.store(true, ordering: .releasing)
        }
        let deadline = ContinuousClock.now + timeout
        while !done.load(ordering: .acquiring) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if !done.load(ordering: .acquiring) {
            let hung = "graceful shutdown — bus: \(bus.activity)"
            FileHandle.standardError.write(Data("warning: node \(name) did not stop within \(timeout) (hung in: \(hung))\n".utf8))
        }
    }

    /// Waits until this node's replica holds exactly `names` (in join order).
    func waitForMembers(_ names: [String], within timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while handler.memberNames != names {
            guard ContinuousClock.now < deadline else {
                throw TestPostgres.Failed(description: "node \(name) has \(handler.memberNames), expected \(names)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits until this node's replica holds exactly `names`, in any order.
    func waitForMembers(inAnyOrder names: Set<String>, within timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !(Set(handler.memberNames) == names && handler.memberNames.count == names.count) {
            guard ContinuousClock.now < deadline else {
                throw TestPostgres.Failed(description: "node \(name) has \(handler.memberNames), expected \(names.sorted())")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// A client that has sent `setName` (feed `none` unless asked: no presence to read past).
    /// `resume`: the query that asks to resume ("since=3&epoch=…"), if any.
    func client(named name: String, feed: String = "none", resume: String? = nil) async throws -> TestClient {
        let client = try await TestClient.connect(port: port, path: "/ws?members=\(feed)" + (resume.map { "&" + $0 } ?? ""))
        try await client.send(#"{"action":"setName","name":"\#(name)"}"#)
        return client
    }
}

/// Starts `count` nodes (a, b, c, …), runs `body`, and always stops them.
func withCluster(
    _ postgres: TestPostgres, nodes count: Int, deadNodeAfter: Duration = .seconds(2), historySize: Int = 500,
    _ body: ([ClusterNode]) async throws -> Void
) async throws {
    var nodes: [ClusterNode] = []
    do {
        for index in 0..<count {
            let name = String(UnicodeScalar(UInt8(97 + index)))
            nodes.append(try await ClusterNode.start(postgres, name: name, deadNodeAfter: deadNodeAfter, historySize: historySize))
        }
        try await body(nodes)
    } catch {
        for node in nodes { await node.stop() }
        throw error
    }
    for node in nodes { await node.stop() }
}
