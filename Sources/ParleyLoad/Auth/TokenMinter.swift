import Foundation
import JWTKit

/// Mints a client's token for a scenario's `auth:` with jwt-kit: the scenario's claims filled in
/// for the client, `iat` now and `exp` now + lifetime, signed with the scenario's key.
public final class TokenMinter: Sendable {
    private let keys: JWTKeyCollection
    private let auth: ScenarioAuth
    private let fixed: String?

    private init(keys: JWTKeyCollection, auth: ScenarioAuth, fixed: String?) {
        self.keys = keys
        self.auth = auth
        self.fixed = fixed
    }

    public struct KeyError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func load(_ auth: ScenarioAuth) async throws -> TokenMinter {
        let keys = JWTKeyCollection()
        let kid = auth.keyID.map { JWKIdentifier(string: $0) }
        switch auth.signing {
        case .fixed(let token)?:
            return TokenMinter(keys: keys, auth: auth, fixed: token)
        case .secret(let file)?:
            guard var secret = FileManager.default.contents(atPath: file) else {
                throw KeyError(description: "auth.secret: cannot read \(file)")
            }
            if secret.last == UInt8(ascii: "\n") { secret.removeLast() }
            if secret.last == UInt8(ascii: "\r") { secret.removeLast() }
            await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: kid)
        case .privateKey(let file)?:
            guard let data = FileManager.default.contents(atPath: file) else {
                throw KeyError(description: "auth.key: cannot read \(file)")
            }
            let pem = String(decoding: data, as: UTF8.self)
            if let key = try? ES256PrivateKey(pem: pem) {
                await keys.add(ecdsa: key, kid: kid)
            } else if let key = try? Insecure.RSA.PrivateKey(pem: pem) {
                await keys.add(rsa: key, digestAlgorithm: .sha256, kid: kid)
            } else {
                throw KeyError(description: "auth.key: \(file) is neither a P-256 (ES256) nor an RSA (RS256) private key in PEM")
            }
        case nil:
            return TokenMinter(keys: keys, auth: auth, fixed: nil)
        }
        return TokenMinter(keys: keys, auth: auth, fixed: nil)
    }

    /// Whether there is a token at all (an `auth:` with headers only has none).
    public var mints: Bool { auth.signing != nil }

    /// Client `index`'s token, valid from `now` for the scenario's lifetime.
    public func token(for index: Int, now: Date = Date()) async throws -> String? {
        if let fixed { return fixed }
        guard auth.signing != nil else { return nil }
        var claims = auth.claims.mapValues { $0.filled(index: index) }
        claims["iat"] = .number(now.timeIntervalSince1970.rounded(.down))
        let lifetime = Double(auth.lifetime.components.seconds) + Double(auth.lifetime.components.attoseconds) / 1e18
        // Rounded up: a token never lasts less than the lifetime its refresh is timed by.
        claims["exp"] = .number((now.timeIntervalSince1970 + lifetime).rounded(.up))
        var header = JWTHeader()
        header.typ = "JWT"
        return try await keys.sign(TemplateClaims(claims: claims), kid: auth.keyID.map { JWKIdentifier(string: $0) }, header: header)
    }
}

/// The filled claims as a payload jwt-kit signs; parley-load never verifies its own tokens.
struct TemplateClaims: JWTPayload {
    let claims: [String: ClaimValue]

    func encode(to encoder: any Encoder) throws { try claims.encode(to: encoder) }
    init(claims: [String: ClaimValue]) { self.claims = claims }
    init(from decoder: any Decoder) throws { claims = [:] }
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
