/// Who a connection is, as `$connect`'s authorizer established it (a verified JWT, or the
/// operator's webhook): the user, the chat name that user goes by, what rooms they may join and
/// publish to, and when the credential runs out. nil on a gateway run with `--auth none`.
public struct ConnectionIdentity: Sendable, Equatable {
    /// The token's `sub` (or the webhook's `user`): one user however many sockets they open.
    public let user: String
    /// The chat name: the `name` claim, the webhook's `name`, or else the user id.
    public let name: String
    public let rooms: RoomPermissions
    /// The credential's `exp`, in Unix milliseconds; nil when it never runs out (a webhook's
    /// answer without one).
    public let expiresAtMillis: Int64?

    public init(user: String, name: String?, rooms: RoomPermissions = .unrestricted, expiresAtMillis: Int64?) {
        self.user = user
        self.name = name ?? user
        self.rooms = rooms
        self.expiresAtMillis = expiresAtMillis
    }
}
