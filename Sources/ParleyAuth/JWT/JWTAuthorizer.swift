import Foundation
import JWTKit
import ParleyProtocol
import Synchronization

/// `--auth jwt`: the token is verified with the operator's keys (jwt-kit), its `alg` held to the
/// key's, then `exp`, `nbf` (with the leeway), `iss` and `aud` checked. The identity is its
/// `sub`, `name` and `rooms`. The keys can be replaced while serving (`KeyReloader`).
public final class JWTAuthorizer: ConnectAuthorizer {
    private let keys: Mutex<VerificationKeys>
    public let settings: JWTSettings
    private let now: @Sendable () -> Date

    public init(keys: VerificationKeys, settings: JWTSettings, now: @escaping @Sendable () -> Date = { Date() }) {
        self.keys = Mutex(keys)
        self.settings = settings
        self.now = now
    }

    /// From now on tokens are verified with `keys` (a rotated JWKS); connections already open
    /// keep the identity they were admitted with.
    public func replaceKeys(_ keys: VerificationKeys) {
        self.keys.withLock { $0 = keys }
    }

    public var currentKeyIDs: [String] { keys.withLock { $0.keyIDs } }

    public func authorize(_ request: AuthorizationRequest) async -> AuthorizationOutcome {
        guard let token = request.token else { return .refused(.missing) }
        return await verify(token.value)
    }

    public func verify(_ token: String) async -> AuthorizationOutcome {
        guard token.utf8.count <= PresentedToken.maximumBytes else { return .refused(.oversized) }
        guard let header = TokenHeader.read(token) else { return .refused(.malformed) }
        let keys = self.keys.withLock { $0 }
        guard let algorithm = header.algorithm, algorithm.lowercased() != "none" else { return .refused(.algorithm) }
        guard let expected = keys.algorithm(for: header.keyID) else { return .refused(.unknownKey) }
        guard algorithm == expected else { return .refused(.algorithm) }
        let claims: ParleyClaims
        do {
            claims = try await keys.collection.verify(token, as: ParleyClaims.self)
        } catch let error as JWTError {
            switch error.errorType {
            case .signatureVerificationFailed: return .refused(.signature)
            case .unknownKID, .noKeyProvided: return .refused(.unknownKey)
            // A JSON object whose claims are not the types they must be (`"rooms": "all"`), or
            // no JSON object at all.
            default: return .refused(TokenHeader.claimsAreAnObject(token) ? .claims : .malformed)
            }
        } catch is DecodingError {
            return .refused(.claims)
        } catch {
            return .refused(.malformed)
        }
        return judge(claims)
    }

    /// The checks on verified claims, in a fixed order.
    func judge(_ claims: ParleyClaims) -> AuthorizationOutcome {
        guard let user = claims.sub?.value, !user.isEmpty, let expiry = claims.exp?.value else { return .refused(.claims) }
        let now = self.now()
        let leeway = settings.leewaySeconds
        if now.timeIntervalSince(expiry) >= leeway { return .refused(.expired) }
        if let notBefore = claims.nbf?.value, notBefore.timeIntervalSince(now) > leeway { return .refused(.notYetValid) }
        if let issuer = settings.issuer, claims.iss?.value != issuer { return .refused(.issuer) }
        if let audience = settings.audience, !(claims.aud?.value.contains(audience) ?? false) { return .refused(.audience) }
        if (try? ChatName(validating: claims.name ?? user)) == nil { return .refused(.claims) }
        // The leeway that admitted it also ends it: a token let in just past its `exp` is not
        // closed the moment it opens.
        let deadline = expiry.addingTimeInterval(leeway)
        return .allowed(
            ConnectionIdentity(
                user: user, name: claims.name, rooms: claims.rooms ?? .unrestricted,
                expiresAtMillis: Int64((deadline.timeIntervalSince1970 * 1000).rounded())))
    }
}
