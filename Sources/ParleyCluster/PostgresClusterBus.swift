import Logging
import ParleyChat
import PostgresNIO
import ServiceLifecycle

/// The room's log on PostgreSQL (docs/ARCHITECTURE.md, "Cluster"): the `ClusterBus` a node's
/// chat handler submits to. Its jobs live in `Bus/`, one file each: `ClusterSession` (connect,
/// reconnect, re-register, resynchronize), `CommandRunner` (this node's commands in order),
/// `NotificationListener` (decisions back, in commit order), `Heartbeat` (alive, and reaping
/// the dead), `NodeRegistration`; `BusLink` is what they share.
///
/// When PostgreSQL is unreachable the node keeps its members, holds their public messages in its
/// outbox until it is back (`CommandRunner`, `Outbox`), reconnects with backoff and then catches
/// its rooms up on what the other nodes published meanwhile (`ClusterSession`).
///
/// A `Service` of the node's one `ServiceGroup` (`Gateway.makeServiceGroup(dependencies:)`): it
/// is shut down after the gateway's drain, so the drain's leaves reach the other nodes first.
public final class PostgresClusterBus: ClusterBus, Service, Sendable {
    public let settings: ClusterSettings
    /// This node's tag in connection ids (1–255), given by the database at registration.
    public let tag: UInt8
    private let logger: Logger
    /// The last public message the database numbered for this node, when it joined.
    private let publishedThrough: UInt64
    private let commands: AsyncStream<CommandRunner.Input>
    private let commandSink: AsyncStream<CommandRunner.Input>.Continuation
    private let link = BusLink()

    private init(settings: ClusterSettings, tag: UInt8, publishedThrough: UInt64, logger: Logger) {
        self.settings = settings
        self.tag = tag
        self.publishedThrough = publishedThrough
        self.logger = logger
        (commands, commandSink) = AsyncStream.makeStream(of: CommandRunner.Input.self)
    }

    /// Connects once (failing fast, with a clear error, when the database is unreachable),
    /// migrates the schema and registers the node. Then `run()` keeps it in the cluster.
    public static func join(_ settings: ClusterSettings, logger: Logger) async throws -> PostgresClusterBus {
        let connection = try await NodeRegistration.connect(settings.url, logger: logger)
        do {
            try await ClusterSchema.migrate(connection, logger: logger)
            let tag = try await NodeRegistration.register(settings.nodeName, on: connection, logger: logger)
            let through = try await connection.column(Int64.self, of: PublishKey.publishedThrough(settings.nodeName), logger: logger)
            try? await connection.close()
            logger.info("joined the cluster", metadata: ["node": "\(settings.nodeName)", "tag": "\(tag)", "database": "\(settings.url)"])
            return PostgresClusterBus(
                settings: settings, tag: tag, publishedThrough: UInt64(max(0, through.first ?? 0)), logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// True while commands reach the database (for tests and health).
    public var isConnected: Bool { link.connection != nil }

    /// Notifications of named rooms this node has received: the rooms it has members in, and
    /// only those, reach it (interest routing; for tests and `/metrics`).
    public var roomEventsReceived: Int { link.roomEvents }

    /// Tells `observer` of every named room's notification and of the watched rooms' count
    /// (`parley serve` counts them on `/metrics`).
    public func observe(_ observer: BusObserver) { link.observe(observer) }

    /// Named rooms this node watches now (it has members in them).
    public var watchedRoomCount: Int { link.wantedRooms.count }

    // MARK: ClusterBus

    public func attach(_ room: any ClusterRoom) { link.attach(room) }

    public func submit(_ command: RoomCommand) { commandSink.yield(.command(command)) }

    /// Public messages waiting for the database (for tests and `/metrics`).
    public var outboxCount: Int { link.outboxCount }

    /// Ends gracefully: handles the commands already submitted (the leaves of a drain, say), up
    /// to `timeout`, and removes this node's row.
    func finish(timeout: Duration = .seconds(3)) async {
        commandSink.finish()
        let deadline = ContinuousClock.now + timeout
        while !link.commandsDone && ContinuousClock.now < deadline && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if let connection = link.connection, !Task.isCancelled {
            try? await connection.run("DELETE FROM parley_nodes WHERE name = \(settings.nodeName)", logger: logger)
        }
    }

    /// What the bus's tasks are doing now ("session: resynchronizing", say); empty once it ended.
    public var activity: String { link.activity }

    /// Keeps the node in the cluster until graceful shutdown, then `finish`es and ends. Cancelled,
    /// it ends at once: its connection is closed, so no query left waiting on the database (one
    /// the database never answers, say) can hold the process.
    public func run() async {
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.stayInCluster() }
                try? await gracefulShutdown()
                if !Task.isCancelled { await finish() }
                group.cancelAll()
            }
        } onCancel: {
            if let connection = link.connection { link.abandon(connection) }
        }
    }

    /// The bus's three jobs, until cancelled.
    private func stayInCluster() async {
        let runner = CommandRunner(link: link, settings: settings, publishedThrough: publishedThrough, logger: logger)
        let session = ClusterSession(
            link: link, settings: settings, tag: tag, logger: logger,
            listener: NotificationListener(link: link, logger: logger))
        let heartbeat = Heartbeat(link: link, settings: settings, tag: tag, logger: logger)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await runner.run(self.commands)
                self.link.note("commands", nil)
            }
            group.addTask {
                await session.keepConnected()
                self.link.note("session", nil)
            }
            group.addTask {
                await heartbeat.run()
                self.link.note("heartbeat", nil)
            }
            group.addTask {
                // Held messages go out soon after the database is back, with no new command.
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                    if self.link.outboxCount > 0 { self.commandSink.yield(.tick) }
                }
            }
            await group.waitForAll()
        }
        commandSink.finish()
        if let connection = link.connection { try? await connection.close() }
    }
}
