import Foundation
import JWTKit
import ParleyProtocol

/// The claims Parley reads from a connection token (docs/PROTOCOL.md, "Identity"). Every check
/// that needs the operator's settings (issuer, audience, the clock's leeway) is made by
/// `JWTAuthorizer` after the signature; `verify(using:)` is jwt-kit's hook and checks nothing more.
public struct ParleyClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim?
    public var exp: ExpirationClaim?
    public var nbf: NotBeforeClaim?
    public var iss: IssuerClaim?
    public var aud: AudienceClaim?
    /// The chat name; the `sub` when absent.
    public var name: String?
    public var rooms: RoomPermissions?

    public init(
        sub: String?, exp: Date?, nbf: Date? = nil, iss: String? = nil, aud: [String]? = nil, name: String? = nil,
        rooms: RoomPermissions? = nil
    ) {
        self.sub = sub.map(SubjectClaim.init(value:))
        self.exp = exp.map(ExpirationClaim.init(value:))
        self.nbf = nbf.map(NotBeforeClaim.init(value:))
        self.iss = iss.map(IssuerClaim.init(value:))
        self.aud = aud.map(AudienceClaim.init(value:))
        self.name = name
        self.rooms = rooms
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
