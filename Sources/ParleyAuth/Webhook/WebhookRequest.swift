/// The JSON `--auth webhook` POSTs to `--auth-url` for each connection (docs/PROTOCOL.md,
/// "Identity"): the managed API's Lambda authorizer event, reduced to what a chat needs.
struct WebhookRequest: Encodable {
    /// "connect", or "refresh" for a token sent on an open connection.
    let type: String
    let path: String
    let query: [String: String]
    /// Every header of the upgrade request, names lowercased; repeated headers joined by ", ".
    let headers: [String: String]
    let sourceAddress: String?
    /// The token found where tokens are read from (nil: none was presented).
    let token: String?

    init(_ request: AuthorizationRequest, type: String) {
        self.type = type
        self.path = request.path
        self.query = request.query
        var headers: [String: String] = [:]
        for (name, value) in request.headers {
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        self.headers = headers
        self.sourceAddress = request.sourceAddress
        self.token = request.token?.value
    }
}
