/// WebSocket close codes Parley sends (RFC 6455 §7.4.1).
public enum CloseCode: UInt16, Sendable {
    case normal = 1000
    case goingAway = 1001
    case protocolError = 1002
    case invalidPayload = 1007
    case policyViolation = 1008
    case messageTooBig = 1009
    case internalError = 1011
    /// The connection's token reached its `exp` without a `refresh` (docs/PROTOCOL.md, "Identity").
    case tokenExpired = 4001
}
