import Logging
import ParleyChat
import ParleyGateway
import ParleyProtocol
import ParleyTestSupport

/// A real gateway with the chat handler on a free loopback port, for one test.
struct TestServer {
    private let running: RunningGateway
    var gateway: Gateway { running.gateway }
    var port: Int { running.port }

    static func start(
        gateway configureGateway: (inout GatewayConfiguration) -> Void = { _ in },
        chat configureChat: (inout ChatConfiguration) -> Void = { _ in }
    ) async throws -> TestServer {
        var gatewayConfiguration = GatewayConfiguration()
        gatewayConfiguration.port = 0
        gatewayConfiguration.eventLoopCount = 2
        // Every test client comes from 127.0.0.1: the per-address limits are off unless a test
        // (AddressLimitTests) sets them.
        gatewayConfiguration.maximumConnectionsPerAddress = .max
        gatewayConfiguration.connectionsPerSecondPerAddress = .max
        // Likewise per user: the identity tests open many sockets of one user.
        gatewayConfiguration.maximumConnectionsPerUser = .max
        gatewayConfiguration.connectionsPerSecondPerUser = .max
        configureGateway(&gatewayConfiguration)
        var chatConfiguration = ChatConfiguration()
        configureChat(&chatConfiguration)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let echo = gatewayConfiguration.echoesMessages
        let running = try await RunningGateway.start(configuration: gatewayConfiguration, logger: logger) {
            connections, scheduler -> any RouteHandler in
            // `parley serve --handler echo`, as wired by the executable.
            if echo { return EchoHandler() }
            return ChatHandler(connections: connections, scheduler: scheduler, configuration: chatConfiguration)
        }
        return TestServer(running: running)
    }

    /// Graceful shutdown (the SIGTERM path), then the event loops.
    func stop() async throws {
        try await running.stop()
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

    /// A member named `name` with a 4 KiB receive buffer that has stopped reading, once a note to
    /// itself proved its name took: what the server writes to it piles up (the slow-consumer and
    /// direct-write tests; their server should shrink SO_SNDBUF too, so the kernel holds little).
    func stalledClient(_ name: String) async throws -> TestClient {
        let client = try await TestClient.connect(port: port, path: "/ws?members=none", receiveBufferBytes: 4096)
        try await client.send(#"{"action":"setName","name":"\#(name)"}"#)
        try await client.send(#"{"action":"sendPrivate","message":"named","to":"\#(name)"}"#)
        _ = try await client.next()
        try await client.stopReading()
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
