/// A scenario's `auth:` block (docs/LOAD.md, "Identity"): each client's token, minted by
/// parley-load from an HS256 secret or an ES256 / RS256 private key with the claims written
/// there, or one fixed token and headers for servers that are not Parley.
///
///     auth:
///       secret: secret.txt            # or key: es256-private.pem (kid: "2026-12")
///       claims: { sub: "user{i}", name: "u{i}", rooms: { join: ["*"], publish: ["*"] } }
///       lifetime: 30s                 # shorter than the run: clients send refresh
///       carrier: bearer               # bearer | subprotocol | query
public struct ScenarioAuth: Codable, Sendable, Equatable {
    public enum Signing: Codable, Sendable, Equatable {
        /// A file holding an HS256 secret (a trailing newline dropped, as `parley serve --jwt-key`).
        case secret(file: String)
        /// A PEM private key file: ES256 (P-256) or RS256 (RSA) by its type.
        case privateKey(file: String)
        /// The same token for every client, never refreshed.
        case fixed(token: String)
    }

    /// Where the token rides on the upgrade, as the server reads it.
    public enum Carrier: String, Codable, Sendable, CaseIterable {
        /// `Authorization: Bearer …`
        case bearer
        /// `Sec-WebSocket-Protocol: parley, bearer.…` (a browser's only way)
        case subprotocol
        /// `?token=…`
        case query
    }

    public var signing: Signing?
    public var keyID: String?
    /// `exp` is added (now + lifetime) and `iat` (now); the rest are the scenario's.
    public var claims: [String: ClaimValue] = ["sub": .string("user{i}")]
    public var lifetime: Duration = .seconds(3600)
    public var carrier: Carrier = .bearer
    /// Clients send `{"action":"refresh"}` with a new token at 60 % of each token's lifetime.
    public var refresh = true
    /// Headers sent as written on every upgrade (an API key for another server, say).
    public var headers: [String: String] = [:]

    public init(signing: Signing?) {
        self.signing = signing
    }

    /// Whether clients send `refresh` during a run that lasts `length`: minted tokens whose
    /// lifetime is shorter (a fixed token is never refreshed).
    public func refreshes(inRunOf length: Duration) -> Bool {
        switch signing {
        case .secret?, .privateKey?: return refresh && lifetime < length
        case .fixed?, nil: return false
        }
    }

    /// The point in a token's life at which a client asks for the next one.
    var refreshAfter: Duration { lifetime * 0.6 }
}
