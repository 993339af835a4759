import Foundation
import JWTKit

/// The keys `--auth jwt` verifies with, and the one algorithm each key verifies: the token's
/// `alg` must be that algorithm (it never chooses it), which shuts out `alg: none` and the
/// RS256 / HS256 confusion. From `--jwt-key FILE` (an HS256 secret, or an RS256 / ES256 public key
/// in PEM) or `--jwks FILE` (an identity provider's JSON Web Key Set; each key needs a `kid`).
public struct VerificationKeys: Sendable {
    let collection: JWTKeyCollection
    /// The algorithm each key verifies, by `kid`.
    let algorithms: [String: String]
    /// A key file's one key, used whatever `kid` a token names.
    let singleKeyAlgorithm: String?

    /// The shortest HS256 secret accepted: RFC 7518 §3.2 asks for a key as long as the hash.
    public static let minimumSecretBytes = 32

    public var keyIDs: [String] { algorithms.keys.sorted() }

    /// The algorithm a token naming `keyID` must be signed with; nil: no such key.
    func algorithm(for keyID: String?) -> String? {
        if let singleKeyAlgorithm { return singleKeyAlgorithm }
        if let keyID { return algorithms[keyID] }
        return algorithms.count == 1 ? algorithms.values.first : nil
    }

    /// `--jwt-key FILE`: PEM (`-----BEGIN …`) is a public key, RS256 or ES256 by its type;
    /// anything else is an HS256 secret, the file's bytes with a trailing newline dropped.
    public static func keyFile(_ path: String) async throws(KeyFileError) -> VerificationKeys {
        let data = try read(path)
        let collection = JWTKeyCollection()
        let text = String(decoding: data, as: UTF8.self)
        if text.contains("-----BEGIN") {
            if text.contains("PRIVATE KEY") {
                throw KeyFileError(path: path, problem: "holds a private key; give the server the public key only")
            }
            if let key = try? ES256PublicKey(pem: text) {
                await collection.add(ecdsa: key)
                return VerificationKeys(collection: collection, algorithms: [:], singleKeyAlgorithm: "ES256")
            }
            if let key = try? Insecure.RSA.PublicKey(pem: text) {
                await collection.add(rsa: key, digestAlgorithm: .sha256)
                return VerificationKeys(collection: collection, algorithms: [:], singleKeyAlgorithm: "RS256")
            }
            throw KeyFileError(path: path, problem: "is PEM but neither a P-256 (ES256) nor an RSA (RS256, 2048 bits or more) public key")
        }
        var secret = data
        if secret.last == UInt8(ascii: "\n") { secret.removeLast() }
        if secret.last == UInt8(ascii: "\r") { secret.removeLast() }
        guard secret.count >= minimumSecretBytes else {
            throw KeyFileError(
                path: path, problem: "holds a \(secret.count)-byte HS256 secret; at least \(minimumSecretBytes) bytes are needed")
        }
        await collection.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return VerificationKeys(collection: collection, algorithms: [:], singleKeyAlgorithm: "HS256")
    }

    /// `--jwks FILE`: `{"keys": [...]}`; each key's algorithm is its `alg`, or follows from its
    /// type (RSA: RS256; EC: ES256, ES384, ES512 by curve; OKP: EdDSA).
    public static func jwksFile(_ path: String) async throws(KeyFileError) -> VerificationKeys {
        let data = try read(path)
        let jwks: JWKS
        do { jwks = try JSONDecoder().decode(JWKS.self, from: data) } catch {
            throw KeyFileError(path: path, problem: "is not a JSON Web Key Set ({\"keys\": [...]}): \(error)")
        }
        guard !jwks.keys.isEmpty else { throw KeyFileError(path: path, problem: "holds no keys") }
        let collection = JWTKeyCollection()
        var algorithms: [String: String] = [:]
        for (index, jwk) in jwks.keys.enumerated() {
            let place = "key \(index + 1)"
            guard let kid = jwk.keyIdentifier?.string, !kid.isEmpty else {
                throw KeyFileError(path: path, problem: "\(place) has no \"kid\" (tokens name their key by it)")
            }
            guard algorithms[kid] == nil else { throw KeyFileError(path: path, problem: "\(place): the kid \"\(kid)\" appears twice") }
            guard let algorithm = jwk.algorithm?.rawValue ?? inferredAlgorithm(jwk) else {
                throw KeyFileError(path: path, problem: "\(place) (kid \"\(kid)\"): no \"alg\", and none follows from its type")
            }
            do { try await collection.add(jwk: jwk) } catch {
                throw KeyFileError(path: path, problem: "\(place) (kid \"\(kid)\") is not a usable public key: \(error)")
            }
            algorithms[kid] = algorithm
        }
        return VerificationKeys(collection: collection, algorithms: algorithms, singleKeyAlgorithm: nil)
    }

    private static func inferredAlgorithm(_ jwk: JWK) -> String? {
        switch jwk.keyType {
        case .rsa: return "RS256"
        case .ecdsa:
            switch jwk.curve?.rawValue {
            case "P-256": return "ES256"
            case "P-384": return "ES384"
            case "P-521": return "ES512"
            default: return nil
            }
        case .octetKeyPair: return "EdDSA"
        default: return nil
        }
    }

    private static func read(_ path: String) throws(KeyFileError) -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeyFileError(path: path, problem: "cannot be read")
        }
        return data
    }
}

/// A key file that cannot be used, with the file and what is wrong (start refuses with it; a
/// reload keeps the keys it had and logs it).
public struct KeyFileError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let problem: String
    public var description: String { "\(path) \(problem)" }
}
