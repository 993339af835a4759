import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import Synchronization

/// `--auth webhook`: each connection's upgrade request goes to the operator's `--auth-url` as
/// JSON (`WebhookRequest`), which answers allow, with the user, name and rooms, or deny
/// (`WebhookAnswer`). If the webhook cannot be reached in `--auth-timeout`, the connection is
/// refused, never let in. Answers are kept per token for `--auth-cache-ttl` (`DecisionCache`).
public final class WebhookAuthorizer: ConnectAuthorizer {
    public let url: String
    public let timeout: Duration
    private let client: HTTPClient
    private let cache: Mutex<DecisionCache>
    private let logger: Logger
    /// Calls made to the webhook (a cache hit makes none), for tests and `/metrics`.
    private let calls = Atomic<Int>(0)

    public init(url: String, timeout: Duration = .seconds(2), cacheTTL: Duration = .seconds(30), logger: Logger) {
        self.url = url
        self.timeout = timeout
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .init(timeout), read: .init(timeout))
        configuration.redirectConfiguration = .disallow
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.cache = Mutex(DecisionCache(ttl: cacheTTL))
        self.logger = logger
    }

    public var callsMade: Int { calls.load(ordering: .relaxed) }

    public func authorize(_ request: AuthorizationRequest) async -> AuthorizationOutcome {
        await decide(request, type: "connect")
    }

    public func refresh(_ request: AuthorizationRequest) async -> AuthorizationOutcome {
        await decide(request, type: "refresh")
    }

    private func decide(_ request: AuthorizationRequest, type: String) async -> AuthorizationOutcome {
        if let token = request.token, token.value.utf8.count > PresentedToken.maximumBytes { return .refused(.oversized) }
        let key = request.token.map { DecisionCache.key($0.value) }
        if let key, let cached = cache.withLock({ $0.lookup(key, now: .now) }) { return cached }
        let outcome = await call(WebhookRequest(request, type: type))
        if let key { cache.withLock { $0.store(outcome, for: key, now: .now) } }
        return outcome
    }

    private func call(_ body: WebhookRequest) async -> AuthorizationOutcome {
        calls.add(1, ordering: .relaxed)
        do {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(body)))
            let response = try await client.execute(request, timeout: .init(timeout))
            let bytes = try await response.body.collect(upTo: 64 * 1024)
            let outcome = WebhookAnswer.judge(status: Int(response.status.code), body: Array(buffer: bytes))
            if outcome == .refused(.unreachable) {
                logger.warning("auth webhook answered neither allow nor deny", metadata: ["status": "\(response.status.code)"])
            }
            return outcome
        } catch {
            logger.warning("auth webhook unreachable; connection refused", metadata: ["url": "\(url)", "error": "\(error)"])
            return .refused(.unreachable)
        }
    }

    public func shutdown() async {
        try? await client.shutdown()
    }
}
