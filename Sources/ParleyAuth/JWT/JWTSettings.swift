/// What `--auth jwt` checks beyond the signature: `--jwt-issuer`, `--jwt-audience`, and the
/// clock leeway granted on `exp` and `nbf` (`--jwt-leeway`, for clocks that disagree a little; a connection's deadline is its `exp`
/// plus the leeway).
public struct JWTSettings: Sendable, Equatable {
    public var issuer: String?
    public var audience: String?
    public var leewaySeconds: Double

    public init(issuer: String? = nil, audience: String? = nil, leewaySeconds: Double = 5) {
        self.issuer = issuer
        self.audience = audience
        self.leewaySeconds = leewaySeconds
    }
}
