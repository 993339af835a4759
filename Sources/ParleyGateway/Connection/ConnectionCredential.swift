import ParleyAuth
import ParleyProtocol

/// What an authorized connection carries after its upgrade: who it is, until when, and how to
/// judge a `refresh` (its upgrade request, and the authorizer that admitted it).
struct ConnectionCredential: Sendable {
    private(set) var identity: ConnectionIdentity
    let request: AuthorizationRequest
    let authorizer: any ConnectAuthorizer

    init(identity: ConnectionIdentity, request: AuthorizationRequest, authorizer: any ConnectAuthorizer) {
        self.identity = identity
        self.request = request
        self.authorizer = authorizer
    }

    /// A refresh's verdict, judged: the same user keeps the connection with the new deadline
    /// and rooms; another user's token is refused like a bad one (a socket does not change hands).
    mutating func accept(_ outcome: AuthorizationOutcome) -> Result<ConnectionIdentity, AuthRefusal> {
        switch outcome {
        case .refused(let reason): return .failure(reason)
        case .allowed(let renewed):
            guard renewed.user == identity.user else { return .failure(.claims) }
            identity = renewed
            return .success(renewed)
        }
    }
}
