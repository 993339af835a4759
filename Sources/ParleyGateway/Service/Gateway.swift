import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import ParleyProtocol
import ServiceLifecycle
import UnixSignals

/// The managed-WebSocket-API analog: holds the sockets, selects routes, enforces limits, serves
/// `@connections`, `/healthz` and the page; the rules live in the `RouteHandler` it is given.
public final class Gateway: Sendable {
    public let configuration: GatewayConfiguration
    public let registry: ConnectionRegistry
    private let eventLoopGroup: MultiThreadedEventLoopGroup
    private let admission: ConnectionAdmission
    private let httpChannels = HTTPChannels()
    private let logger: Logger
    private let routeHandler: any RouteHandler
    private let messageCounters: MessageCounters
    /// Counters, gauges and histograms in Prometheus's text format (`--metrics-port`).
    public var metrics: GatewayMetrics { registry.metrics }
    private let metricsReadiness: AsyncStream<SocketAddress>
    private let metricsReadinessContinuation: AsyncStream<SocketAddress>.Continuation
    private let managementReadiness: AsyncStream<SocketAddress>
    private let managementReadinessContinuation: AsyncStream<SocketAddress>.Continuation
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
        self.registry = ConnectionRegistry(
            loops: Array(eventLoopGroup.makeIterator()), nodeTag: configuration.nodeTag,
            batchesSends: configuration.writePath == .uring && configuration.tls == nil)
        self.admission = ConnectionAdmission(
            connectionsPerSecond: configuration.connectionsPerSecond,
            maximumConnections: configuration.maximumConnections,
            perAddress: AddressLimits(
                maximumConnections: configuration.maximumConnectionsPerAddress,
                connectionsPerSecond: configuration.connectionsPerSecondPerAddress,
                unlimited: configuration.unlimitedAddresses),
            perUser: AddressLimits(
                maximumConnections: configuration.maximumConnectionsPerUser,
                connectionsPerSecond: configuration.connectionsPerSecondPerUser, unlimited: []))
        self.routeHandler = makeHandler(registry, EventLoopScheduler(eventLoop: eventLoopGroup.next()))
        self.messageCounters = registry.metrics.messageCounters(routes: routeHandler.routeKeys)
        (self.readiness, self.readinessContinuation) = AsyncStream.makeStream(of: SocketAddress.self)
        (self.metricsReadiness, self.metricsReadinessContinuation) = AsyncStream.makeStream(of: SocketAddress.self)
        (self.managementReadiness, self.managementReadinessContinuation) = AsyncStream.makeStream(of: SocketAddress.self)
    }

    /// Open WebSocket connections.
    public var openConnections: Int { admission.openConnections }
    /// Sockets accepted that are not WebSockets (yet): waiting for or inside a plain request.
    public var pendingSockets: Int { httpChannels.count }

    /// Clients closed for not reading.
    public var slowConsumerCloses: Int { registry.slowConsumerCloses.load(ordering: .relaxed) }
    /// Connections' flushes that went to the kernel in an io_uring submission (`WritePath.uring`).
    public var sendsThroughRing: Int { registry.sendsThroughRing }

    /// The address once the server accepts (port 0 resolved).
    public func waitUntilListening() async -> SocketAddress? {
        for await address in readiness { return address }
        return nil
    }

    /// The metrics listener's address once it accepts (nil without `metricsPort`).
    public func waitUntilMetricsListening() async -> SocketAddress? {
        for await address in metricsReadiness { return address }
        return nil
    }

    /// The management API's own listener's address once it accepts (nil without `managementPort`).
    public func waitUntilManagementListening() async -> SocketAddress? {
        for await address in managementReadiness { return address }
        return nil
    }

    /// The gateway's one lifecycle, as Hummingbird runs an application: one `ServiceGroup` with,
    /// in the order they start, the event loops, `dependencies` (what the handler needs until the
    /// drain is done: the cluster bus), the metrics and management listeners, the chat's
    /// listener, and the drain. A group shuts its services down one at a time in reverse: on
    /// SIGTERM the drain refuses newcomers and closes every client with 1001, then the listeners
    /// stop, then the dependencies finish (the drain's leaves reach the other nodes), and last
    /// the event loops. `maximumShutdown` bounds it all: past it the group cancels what is left.
    public func makeServiceGroup(
        dependencies: [any Service] = [], gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint],
        maximumShutdown: Duration = .seconds(15)
    ) throws -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(
            services: [EventLoopsService(group: eventLoopGroup)] + dependencies + (try listenersAndDrain()),
            gracefulShutdownSignals: gracefulShutdownSignals, logger: logger)
        configuration.maximumGracefulShutdownDuration = maximumShutdown
        return ServiceGroup(configuration: configuration)
    }

    /// The listeners (metrics and management first, if any, then the chat's) and the drain last.
    private func listenersAndDrain() throws -> [any Service] {
        if configuration.writePath == .uring && configuration.tls == nil, let reason = SendRing.unavailableReason() {
            logger.warning(
                "io_uring is not available here: one send per connection instead (the direct write path)",
                metadata: ["reason": "\(reason)"])
        }
        let router = Router()
        router.get("/healthz") { _, _ in "ok\n" }
        let managementAPI = ManagementAPI(
            token: configuration.managementToken, registry: registry, routeHandler: routeHandler,
            maximumBodyBytes: configuration.maximumMessageBytes)
        // On the chat's port unless it has its own listener.
        if configuration.managementPort == nil { managementAPI.addRoutes(to: router) }
        if configuration.servesWebPage {
            WebPage.addRoutes(to: router, authRequired: configuration.authorizer != nil, refreshURL: configuration.authRefreshURL)
        }

        let routeHandler = self.routeHandler
        let registry = self.registry
        let admission = self.admission
        let configuration = self.configuration
        let continuation = self.readinessContinuation
        let messageCounters = self.messageCounters
        let httpChannels = self.httpChannels
        let app = Application(
            router: router,
            server: try Self.serverBuilder(configuration: configuration) { responder in
                ParleyChildChannel(
                    responder: responder, routeHandler: routeHandler, registry: registry,
                    admission: admission, configuration: configuration, messageCounters: messageCounters,
                    httpChannels: httpChannels)
            },
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: nil, backlog: configuration.listenBacklog),
            onServerRunning: { channel in
                if let address = channel.localAddress { continuation.yield(address) }
                continuation.finish()
            },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger
        )
        let listeners: [any Service] = [makeMetricsApplication(), makeManagementApplication(managementAPI)].compactMap { $0 }
        return listeners + [app, Drain(registry: registry, admission: admission, httpChannels: httpChannels, logger: logger)]
    }

    /// Parley's child channel, inside TLS when the configuration has a certificate (HummingbirdTLS
    /// puts NIOSSL's handler first in each connection's pipeline).
    private static func serverBuilder(
        configuration: GatewayConfiguration,
        _ makeChannel: @escaping @Sendable (@escaping HTTPChannelHandler.Responder) -> ParleyChildChannel
    ) throws -> HTTPServerBuilder {
        let plain = HTTPServerBuilder { responder in makeChannel(responder) }
        guard let tls = configuration.tls else { return plain }
        return try .tls(plain, tlsConfiguration: tls)
    }

    /// `/metrics` on its own port (Prometheus's usual arrangement: scraped from inside, never
    /// exposed with the chat), or nil when no metrics port is configured.
    private func makeMetricsApplication() -> Application<RouterResponder<BasicRequestContext>>? {
        let continuation = metricsReadinessContinuation
        guard let port = configuration.metricsPort else {
            continuation.finish()
            return nil
        }
        let router = Router()
        let metrics = self.metrics
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: port), serverName: nil),
            onServerRunning: { channel in
                if let address = channel.localAddress { continuation.yield(address) }
                continuation.finish()
            },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
    }

    /// The `@connections` API on its own listener (`managementPort`), or nil when it shares the
    /// chat's port. Plain HTTP: keep it on a private address.
    private func makeManagementApplication(_ api: ManagementAPI) -> Application<RouterResponder<BasicRequestContext>>? {
        let continuation = managementReadinessContinuation
        guard let port = configuration.managementPort else {
            continuation.finish()
            return nil
        }
        let router = Router()
        api.addRoutes(to: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.managementHost ?? configuration.host, port: port), serverName: nil),
            onServerRunning: { channel in
                if let address = channel.localAddress { continuation.yield(address) }
                continuation.finish()
            },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
    }
}
