import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ParleyProtocol
import ServiceLifecycle
import UnixSignals
import HummingbirdCore

/// The managed-WebSocket-API analog: holds the sockets, selects routes, enforces limits, serves
/// `@connections`, `/healthz` and the page; the rules live in the `RouteHandler` it is given.
public final class Gateway: Sendable {
    public let configuration: GatewayConfiguration
    public let registry: ConnectionRegistry
    private let eventLoopGroup: MultiThreadedEventLoopGroup
    private let admission: ConnectionAdmission
    private let logger: Logger
    private let routeHandler: any RouteHandler
    private let readiness: AsyncStream<SocketAddress>
    private let readinessContinuation: AsyncStream<SocketAddress>.Continuation

    /// - Parameter makeHandler: builds the handler from the gateway's `Connections` and a
    ///   scheduler on one of its event loops.
    public init(
        configuration: GatewayConfiguration,
        logger: Logger = Logger(label: "parley.gateway"),
        makeHandler: (any Connections, any Scheduler) -> any RouteHandler
    ) {
        self.configuration = configuration
        self.logger = logger
        self.eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopCount))
        self.registry = ConnectionRegistry(loops: Array(eventLoopGroup.makeIterator()), nodeTag: configuration.nodeTag)
        self.admission = ConnectionAdmission(
            connectionsPerSecond: configuration.connectionsPerSecond,
            maximumConnections: configuration.maximumConnections)
        self.routeHandler = makeHandler(registry, EventLoopScheduler(eventLoop: eventLoopGroup.next()))
        (self.readiness, self.readinessContinuation) = AsyncStream.makeStream(of: SocketAddress.self)
    }

    /// Open WebSocket connections.
    public var openConnections: Int { admission.openConnections }

    /// Clients closed for not reading.
    public var slowConsumerCloses: Int { registry.slowConsumerCloses.load(ordering: .relaxed) }

    /// The address once the server accepts (port 0 resolved).
    public func waitUntilListening() async -> SocketAddress? {
        for await address in readiness { return address }
        return nil
    }

    /// The gateway as a service: runs until graceful shutdown, then closes every client with 1001.
    public func makeService() -> some Service {
        let router = Router()
        router.get("/healthz") { _, _ in "ok\n" }
        ManagementAPI(
            token: configuration.managementToken, registry: registry, routeHandler: routeHandler,
            maximumBodyBytes: configuration.maximumMessageBytes
        ).addRoutes(to: router)
        if configuration.servesWebPage { WebPage.addRoutes(to: router) }

        let routeHandler = self.routeHandler
        let registry = self.registry
        let admission = self.admission
        let configuration = self.configuration
        let continuation = self.readinessContinuation
        let app = Application(
            router: router,
            server: HTTPServerBuilder { responder in
                ParleyChildChannel(
                    responder: responder, routeHandler: routeHandler, registry: registry,
                    admission: admission, configuration: configuration)
            },
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: nil),
            onServerRunning: { channel in
                if let address = channel.localAddress { continuation.yield(address) }
                continuation.finish()
            },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger
        )
        return GatewayService(app: app, drain: Drain(registry: registry, admission: admission, logger: logger))
    }

    /// Runs until SIGINT/SIGTERM (or the given signals), draining on the way out.
    public func run(gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint]) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [makeService()], gracefulShutdownSignals: gracefulShutdownSignals, logger: logger))
        try await group.run()
    }

    /// Stops the event loops; call once the service has returned.
    public func shutdownEventLoops() async throws {
        try await eventLoopGroup.shutdownGracefully()
    }
}

/// The Hummingbird application plus the drain that closes WebSockets with 1001 on shutdown
/// (the HTTP server alone would wait for them forever).
struct GatewayService: Service {
    let app: Application<RouterResponder<BasicRequestContext>>
    let drain: Drain

    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await app.run() }
            group.addTask { try await drain.run() }
        }
    }
}

struct Drain: Service {
    let registry: ConnectionRegistry
    let admission: ConnectionAdmission
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        let count = await registry.closeAll(.goingAway, reason: "server shutting down")
        logger.info("draining", metadata: ["connections": "\(count)"])
        // Clients answer the close frame, or the socket is closed after a second.
        let deadline = ContinuousClock.now + .seconds(3)
        while admission.openConnections > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
