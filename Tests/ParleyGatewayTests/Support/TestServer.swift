import Logging
import ParleyChat
import ParleyGateway
import ParleyProtocol
import ServiceLifecycle

/// A real gateway with the chat handler on a free loopback port, for one test.
struct TestServer {
    let gateway: Gateway
    let port: Int
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    static func start(
        gateway configureGateway: (inout GatewayConfiguration) -> Void = { _ in },
        chat configureChat: (inout ChatConfiguration) -> Void = { _ in }
    ) async throws -> TestServer {
        var gatewayConfiguration = GatewayConfiguration()
        gatewayConfiguration.port = 0
        gatewayConfiguration.eventLoopCount = 2
        configureGateway(&gatewayConfiguration)
        var chatConfiguration = ChatConfiguration()
        configureChat(&chatConfiguration)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let gateway = Gateway(configuration: gatewayConfiguration, logger: logger) { connections, scheduler in
            ChatHandler(connections: connections, scheduler: scheduler, configuration: chatConfiguration)
        }
        let group = ServiceGroup(
            configuration: .init(services: [gateway.makeService()], gracefulShutdownSignals: [], logger: logger))
        let running = Task { try await group.run() }
        guard let address = await gateway.waitUntilListening(), let port = address.port else {
            running.cancel()
            throw StartFailed()
        }
        return TestServer(gateway: gateway, port: port, group: group, running: running)
    }

    struct StartFailed: Error {}

    /// Graceful shutdown (the SIGTERM path), then the event loops.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
        try await gateway.shutdownEventLoops()
    }

    func client(_ path: String = "/ws") async throws -> TestClient {
        try await TestClient.connect(port: port, path: path)
    }

    /// A client that has joined under `name` (and read its own presence, if its feed has any).
    func namedClient(_ name: String, feed: String = "none") async throws -> TestClient {
        let client = try await TestClient.connect(port: port, path: "/ws?members=\(feed)")
        try await client.send(#"{"action":"setName","name":"\#(name)"}"#)
        return client
    }
}

/// Runs `body` against a fresh server and always stops it.
func withServer(
    gateway: (inout GatewayConfiguration) -> Void = { _ in },
    chat: (inout ChatConfiguration) -> Void = { _ in },
    _ body: (TestServer) async throws -> Void
) async throws {
    let server = try await TestServer.start(gateway: gateway, chat: chat)
    do {
        try await body(server)
    } catch {
        try? await server.stop()
        throw error
    }
    try await server.stop()
}
