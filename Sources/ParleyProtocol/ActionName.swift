/// The `action` strings of the wire and the field names the chat reads (docs/PROTOCOL.md,
/// "Routes"), spelled once: the handler's routes, its errors, the cluster's refusals and the
/// load harness's frames all use these.
public enum ActionName {
    public static let connect = "$connect"
    public static let disconnect = "$disconnect"
    public static let defaultRoute = "$default"
    public static let setName = "setName"
    public static let sendPublic = "sendPublic"
    public static let sendPrivate = "sendPrivate"
    public static let join = "join"
    public static let leave = "leave"
    /// A new token for an open connection before its `exp` (answered by the gateway, whose
    /// authorizer verifies it; never routed to the handler).
    public static let refresh = "refresh"

    /// The chat handler's routes: everything else goes to `$default`.
    public static let chatRoutes: Set<String> = [setName, sendPublic, sendPrivate, join, leave]

    /// Inbound fields.
    public enum Field {
        public static let action = "action"
        public static let name = "name"
        public static let message = "message"
        public static let to = "to"
        public static let room = "room"
        public static let since = "since"
        public static let epoch = "epoch"
        public static let token = "token"
    }
}
