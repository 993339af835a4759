import ArgumentParser
import Foundation
import Logging
import ParleyAuth
import ServiceLifecycle
import UnixSignals

/// `parley serve`'s identity options: who may connect (docs/PROTOCOL.md, "Identity").
struct AuthOptions: ParsableArguments {
    @Option(
        help:
            "Who may connect: none (anyone, as the tutorial), jwt (a token verified with --jwt-key or --jwks) or webhook (--auth-url decides)."
    )
    var auth = AuthKind.none
    @Option(
        help:
            "--auth jwt: an HS256 secret (the file's bytes, a trailing newline dropped; 32 bytes or more) or an RS256 / ES256 public key in PEM."
    )
    var jwtKey: String?
    @Option(
        help: "--auth jwt: a JSON Web Key Set file (an identity provider's keys, each with a kid); reloaded on SIGHUP and when it changes.")
    var jwks: String?
    @Option(help: "--auth jwt: the iss a token must carry. Default: any.") var jwtIssuer: String?
    @Option(help: "--auth jwt: an aud a token must carry. Default: any.") var jwtAudience: String?
    @Option(help: "--auth jwt: seconds of clock difference forgiven on exp and nbf (a connection's deadline is exp plus this).")
    var jwtLeeway: Double = 5
    @Option(help: "--auth webhook: the URL each connect request is POSTed to as JSON; it answers allow (with user, name, rooms) or deny.")
    var authURL: String?
    @Option(help: "--auth webhook: milliseconds to wait for the webhook; beyond, the connection is refused.") var authTimeoutMs = 2000
    @Option(help: "--auth webhook: seconds an answer is kept per token (0: ask every time).") var authCacheTtl = 30
    @Option(help: "With --auth: where the chat page GETs a new token ({\"token\":\"…\"}, with the user's cookies) before its own runs out.")
    var authRefreshURL: String?
    @Option(help: "With --auth: open connections of one user (its sub), from any addresses (beyond: HTTP 429).")
    var maxConnectionsPerUser = 100
    @Option(help: "With --auth: new connections per second of one user (beyond: HTTP 429).") var connectRatePerUser = 20

    func validate() throws {
        guard maxConnectionsPerUser > 0, connectRatePerUser > 0 else {
            throw ValidationError("--max-connections-per-user and --connect-rate-per-user must be positive")
        }
        if let authRefreshURL, URL(string: authRefreshURL)?.host == nil, !authRefreshURL.hasPrefix("/") {
            throw ValidationError(
                "--auth-refresh-url must be a URL (https://id.example.com/token) or a path on this server, not \(authRefreshURL)")
        }
        switch auth {
        case .none:
            for (name, given) in [
                ("--jwt-key", jwtKey), ("--jwks", jwks), ("--auth-url", authURL), ("--jwt-issuer", jwtIssuer),
                ("--jwt-audience", jwtAudience), ("--auth-refresh-url", authRefreshURL),
            ]
            where given != nil {
                throw ValidationError(
                    "\(name) needs --auth \(name == "--auth-url" ? "webhook" : name == "--auth-refresh-url" ? "jwt or webhook" : "jwt")")
            }
        case .jwt:
            guard (jwtKey == nil) != (jwks == nil) else {
                throw ValidationError("--auth jwt needs exactly one of --jwt-key FILE and --jwks FILE")
            }
            if authURL != nil { throw ValidationError("--auth-url needs --auth webhook") }
            guard jwtLeeway >= 0 else { throw ValidationError("--jwt-leeway must be 0 or more seconds, not \(jwtLeeway)") }
        case .webhook:
            guard let authURL else { throw ValidationError("--auth webhook needs --auth-url URL") }
            guard let url = URL(string: authURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw ValidationError("--auth-url must be an http:// or https:// URL, not \(authURL)")
            }
            if jwtKey != nil || jwks != nil { throw ValidationError("--jwt-key and --jwks need --auth jwt") }
            guard authTimeoutMs > 0 else { throw ValidationError("--auth-timeout-ms must be positive, not \(authTimeoutMs)") }
            guard authCacheTtl >= 0 else { throw ValidationError("--auth-cache-ttl must be 0 or more, not \(authCacheTtl)") }
        }
    }

    /// The authorizer, and the services it needs while serving (a JWKS watcher; the webhook's
    /// client, shut down at the end). A key file that cannot be used is an error naming it (exit 64).
    func makeAuthorizer(logger: Logger) async throws -> (authorizer: (any ConnectAuthorizer)?, services: [any Service]) {
        switch auth {
        case .none:
            return (nil, [])
        case .jwt:
            let settings = JWTSettings(issuer: jwtIssuer, audience: jwtAudience, leewaySeconds: jwtLeeway)
            do {
                if let jwtKey {
                    return (JWTAuthorizer(keys: try await VerificationKeys.keyFile(jwtKey), settings: settings), [])
                }
                let path = jwks!
                let authorizer = JWTAuthorizer(keys: try await VerificationKeys.jwksFile(path), settings: settings)
                return (authorizer, [KeyReloadService(reloader: KeyReloader(path: path, authorizer: authorizer, logger: logger))])
            } catch {
                throw ValidationError("\(jwtKey != nil ? "--jwt-key" : "--jwks") \(error)")
            }
        case .webhook:
            let authorizer = WebhookAuthorizer(
                url: authURL!, timeout: .milliseconds(authTimeoutMs), cacheTTL: .seconds(authCacheTtl), logger: logger)
            return (authorizer, [WebhookClientService(authorizer: authorizer)])
        }
    }
}

enum AuthKind: String, CaseIterable, ExpressibleByArgument {
    case none, jwt, webhook
}

/// The JWKS watcher as a service of the gateway's group: it runs until the drain.
struct KeyReloadService: Service {
    let reloader: KeyReloader

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup).map { _ in () }
        await cancelWhenGracefulShutdown {
            await reloader.run(hangups: hangups)
        }
    }
}

/// Keeps the webhook's HTTP client until the drain, then shuts it down.
struct WebhookClientService: Service {
    let authorizer: WebhookAuthorizer

    func run() async throws {
        try? await gracefulShutdown()
        await authorizer.shutdown()
    }
}
