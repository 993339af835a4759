import Foundation

/// A JWT's first part, read before any key is touched: its `alg` (checked against the key's own
/// algorithm, never used to choose it) and `kid` (which key of a JWKS).
struct TokenHeader: Equatable {
    let algorithm: String?
    let keyID: String?

    /// nil when the token is not three base64url parts with a JSON object first.
    static func read(_ token: String) -> TokenHeader? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        guard let bytes = Base64URL.decode(parts[0]),
            let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any]
        else { return nil }
        if let alg = object["alg"], !(alg is String) { return nil }
        if let kid = object["kid"], !(kid is String) { return nil }
        return TokenHeader(algorithm: object["alg"] as? String, keyID: object["kid"] as? String)
    }
}

extension TokenHeader {
    /// Whether the token's second part is a JSON object (its claims may still be of wrong types).
    static func claimsAreAnObject(_ token: String) -> Bool {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let bytes = Base64URL.decode(parts[1]) else { return false }
        return (try? JSONSerialization.jsonObject(with: bytes)) is [String: Any]
    }
}

/// RFC 4648 §5 without padding, as JWTs use it.
enum Base64URL {
    static func decode(_ text: some StringProtocol) -> Data? {
        var base64 = String(text).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") else { return nil }
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
