/// Why a connection was refused, for the server's log and `/metrics`
/// (`parley_auth_refusals_total{reason=…}`); the client gets only "401 Unauthorized".
public enum AuthRefusal: String, Error, Sendable, CaseIterable {
    /// No token where one is read from (Authorization, Sec-WebSocket-Protocol, `?token=`).
    case missing
    /// Over the 8 KiB a token may have.
    case oversized
    /// Not three base64url parts, or a header or claims that are not the JSON they must be.
    case malformed
    /// `alg` absent, `none`, or another than the key's (the RS256 / HS256 confusion).
    case algorithm
    /// A `kid` no key has.
    case unknownKey = "unknown_key"
    case signature
    case expired
    case notYetValid = "not_yet_valid"
    case issuer
    case audience
    /// No `sub` or no `exp`, a claim of the wrong type, or a `name` that is not a valid chat name.
    case claims
    /// The webhook answered deny.
    case denied
    /// The webhook could not be reached, timed out, or answered something else than allow or deny.
    case unreachable
}
