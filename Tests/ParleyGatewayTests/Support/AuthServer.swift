import Foundation
import ParleyAuth
import ParleyChat
import ParleyGateway
import ParleyTestSupport

/// A test server behind `--auth jwt` with the tests' HS256 secret (or a key file a test wrote).
enum AuthServer {
    /// A file in a fresh temporary directory holding `contents`.
    static func file(_ contents: Data, named name: String = "key") throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("parley-auth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try contents.write(to: URL(fileURLWithPath: path))
        return path
    }

    static func jwt(
        keyFile: String? = nil, settings: JWTSettings = JWTSettings(leewaySeconds: 0)
    ) async throws -> JWTAuthorizer {
        let path = try keyFile ?? file(Data((TestTokens.secret + "\n").utf8))
        return JWTAuthorizer(keys: try await VerificationKeys.keyFile(path), settings: settings)
    }

    /// The count of `parley_auth_refusals_total{reason=…}` in the server's metrics.
    static func refusals(_ reason: AuthRefusal, on server: TestServer) -> Int {
        let prefix = #"parley_auth_refusals_total{reason="\#(reason.rawValue)"} "#
        let line = server.gateway.metrics.exposition().split(separator: "\n").first { $0.hasPrefix(prefix) }
        return line.flatMap { Int($0.dropFirst(prefix.count)) } ?? 0
    }
}

/// Runs `body` against a server whose authorizer is `authorizer`.
func withAuthServer(
    _ authorizer: any ConnectAuthorizer,
    gateway: (inout GatewayConfiguration) -> Void = { _ in },
    chat: (inout ChatConfiguration) -> Void = { _ in },
    _ body: (TestServer) async throws -> Void
) async throws {
    try await withServer(
        gateway: {
            $0.authorizer = authorizer
            gateway(&$0)
        }, chat: chat, body)
}
