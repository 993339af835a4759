import Crypto
import Foundation
import _CryptoExtras

/// JWTs built by hand for the identity tests: any header (an `alg: none`, a forged `alg`), any
/// claims, signed with HS256, ES256 or RS256 or not at all. Built here rather than with jwt-kit,
/// which refuses to make the bad ones the server must refuse.
public enum TestTokens {
    /// The tests' HS256 secret (32 bytes or more, as `--jwt-key` asks).
    public static let secret = "parley-test-secret-0123456789abcdef"

    /// Claims for `user`, valid for `lifetime` seconds from now.
    public static func claims(
        _ user: String, name: String? = nil, lifetime: Double = 300, extra: [String: Any] = [:]
    ) -> [String: Any] {
        var claims: [String: Any] = ["sub": user, "exp": Int(Date().timeIntervalSince1970 + lifetime)]
        if let name { claims["name"] = name }
        for (key, value) in extra { claims[key] = value }
        return claims
    }

    public static func hs256(
        _ claims: [String: Any], secret: String = secret, header: [String: Any] = ["alg": "HS256", "typ": "JWT"]
    )
        -> String
    {
        let input = signingInput(header: header, claims: claims)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return input + "." + base64URL(Data(mac))
    }

    public static func es256(_ claims: [String: Any], key: P256.Signing.PrivateKey, kid: String? = nil) -> String {
        var header: [String: Any] = ["alg": "ES256", "typ": "JWT"]
        if let kid { header["kid"] = kid }
        let input = signingInput(header: header, claims: claims)
        let signature = try! key.signature(for: Data(input.utf8))
        return input + "." + base64URL(signature.rawRepresentation)
    }

    public static func rs256(_ claims: [String: Any], key: _RSA.Signing.PrivateKey, kid: String? = nil) -> String {
        var header: [String: Any] = ["alg": "RS256", "typ": "JWT"]
        if let kid { header["kid"] = kid }
        let input = signingInput(header: header, claims: claims)
        let signature = try! key.signature(for: Data(input.utf8), padding: .insecurePKCS1v1_5)
        return input + "." + base64URL(signature.rawRepresentation)
    }

    /// `alg: none`, with an empty signature.
    public static func unsigned(_ claims: [String: Any]) -> String {
        signingInput(header: ["alg": "none", "typ": "JWT"], claims: claims) + "."
    }

    /// A JWKS entry for an ES256 public key.
    public static func jwk(_ key: P256.Signing.PublicKey, kid: String) -> [String: Any] {
        let raw = key.rawRepresentation
        return ["kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "x": base64URL(raw.prefix(32)), "y": base64URL(raw.suffix(32))]
    }

    public static func jwks(_ keys: [[String: Any]]) -> Data {
        try! JSONSerialization.data(withJSONObject: ["keys": keys], options: [.sortedKeys])
    }

    public static func signingInput(header: [String: Any], claims: [String: Any]) -> String {
        let headerJSON = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        let claimsJSON = try! JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])
        return base64URL(headerJSON) + "." + base64URL(claimsJSON)
    }

    public static func base64URL(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
