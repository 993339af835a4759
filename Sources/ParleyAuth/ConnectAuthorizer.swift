import ParleyProtocol

/// `$connect`'s authorizer (the managed API's Lambda or JWT authorizer): decides, before the
/// upgrade completes, whether a connection may open and who it is. `--auth jwt` verifies a token
/// with the operator's keys (`JWTAuthorizer`); `--auth webhook` asks the operator's service
/// (`WebhookAuthorizer`). A refusal is an HTTP 401 with no detail; the reason goes to the log and
/// to `/metrics`, never to the client.
public protocol ConnectAuthorizer: Sendable {
    func authorize(_ request: AuthorizationRequest) async -> AuthorizationOutcome

    /// A `refresh` on an open connection: the new token, judged as at `$connect`.
    /// `request` is the connection's upgrade request, with the token replaced.
    func refresh(_ request: AuthorizationRequest) async -> AuthorizationOutcome
}

extension ConnectAuthorizer {
    public func refresh(_ request: AuthorizationRequest) async -> AuthorizationOutcome { await authorize(request) }
}

/// What an authorizer sees of an upgrade request.
public struct AuthorizationRequest: Sendable {
    public let path: String
    public let query: [String: String]
    /// Header fields as they came, names lowercased.
    public let headers: [(name: String, value: String)]
    public let sourceAddress: String?
    /// The credential the client presented, if any (`PresentedToken.find`).
    public let token: PresentedToken?

    public init(
        path: String, query: [String: String], headers: [(name: String, value: String)], sourceAddress: String?,
        token: PresentedToken?
    ) {
        self.path = path
        self.query = query
        self.headers = headers
        self.sourceAddress = sourceAddress
        self.token = token
    }

    /// The same request carrying another token (a `refresh`).
    public func replacingToken(with token: PresentedToken) -> AuthorizationRequest {
        AuthorizationRequest(path: path, query: query, headers: headers, sourceAddress: sourceAddress, token: token)
    }
}

public enum AuthorizationOutcome: Sendable, Equatable {
    case allowed(ConnectionIdentity)
    case refused(AuthRefusal)
}
