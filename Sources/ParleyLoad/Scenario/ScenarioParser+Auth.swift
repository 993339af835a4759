import Foundation
import Yams

/// The `auth:` block, every key checked at its file, line and key. Key files are read relative
/// to the scenario's own folder.
extension ScenarioParser {
    func auth(_ node: Node, _ key: String) throws -> ScenarioAuth {
        let fields = try Fields(try mapping(node, key), path: key, parser: self)
        try fields.allow(["secret", "key", "token", "kid", "claims", "lifetime", "carrier", "refresh", "headers"])
        let given = ["secret", "key", "token"].filter { fields.node($0) != nil }
        guard given.count <= 1 else {
            throw error(
                node, key,
                "give one of secret (an HS256 secret's file), key (an ES256 or RS256 private key's PEM file) or token, not \(given.joined(separator: " and "))"
            )
        }
        var auth = ScenarioAuth(signing: nil)
        if let secret = try fields.optional("secret", { try string($0, $1) }) { auth.signing = .secret(file: relativeToScenario(secret)) }
        if let keyFile = try fields.optional("key", { try string($0, $1) }) {
            auth.signing = .privateKey(file: relativeToScenario(keyFile))
        }
        if let token = try fields.optional("token", { try string($0, $1) }) { auth.signing = .fixed(token: token) }
        auth.keyID = try fields.optional("kid") { try string($0, $1) }
        if let claims = try fields.optional(
            "claims",
            { node, key -> [String: ClaimValue] in
                guard case .object(let object) = try claimValue(node, key) else { throw error(node, key, "expected a mapping of claims") }
                return object
            })
        {
            guard claims["exp"] == nil, claims["iat"] == nil else {
                throw error(
                    fields.node("claims")!, "\(key).claims", "exp and iat are set from lifetime and the minting time; leave them out")
            }
            guard case .string? = claims["sub"] else {
                throw error(fields.node("claims")!, "\(key).claims.sub", "a token needs a sub, e.g. sub: \"user{i}\"")
            }
            auth.claims = claims
        }
        if let lifetime = try fields.optional("lifetime", { try duration($0, $1) }) {
            guard lifetime >= .seconds(2) else {
                throw error(fields.node("lifetime")!, "\(key).lifetime", "at least 2s (a refresh comes at 60 % of it)")
            }
            auth.lifetime = lifetime
        }
        if let carrier = try fields.optional(
            "carrier",
            { node, key -> ScenarioAuth.Carrier in
                let text = try string(node, key)
                guard let carrier = ScenarioAuth.Carrier(rawValue: text) else {
                    throw error(
                        node, key, "expected \(ScenarioAuth.Carrier.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text)\"")
                }
                return carrier
            })
        {
            auth.carrier = carrier
        }
        if let refresh = try fields.optional(
            "refresh",
            { node, key -> Bool in
                guard let value = node.bool else { throw error(node, key, "expected true or false") }
                return value
            })
        {
            auth.refresh = refresh
        }
        if let headers = try fields.optional(
            "headers",
            { node, key -> [String: String] in
                let entries = try Fields(try mapping(node, key), path: key, parser: self).entries
                return try Dictionary(uniqueKeysWithValues: entries.map { ($0.0, try string($0.1.node, "\(key).\($0.0)")) })
            })
        {
            auth.headers = headers
        }
        guard auth.signing != nil || !auth.headers.isEmpty else {
            throw error(node, key, "give secret, key or token (and claims), or headers")
        }
        return auth
    }

    /// A claim as written: scalars keep their YAML type (a number stays a number).
    private func claimValue(_ node: Node, _ key: String) throws -> ClaimValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain, let flag = node.bool { return .bool(flag) }
            if scalar.style == .plain, let number = node.float, Double(scalar.string) != nil { return .number(number) }
            return .string(scalar.string)
        case .sequence(let sequence):
            return .list(try sequence.enumerated().map { try claimValue($1, "\(key)[\($0)]") })
        case .mapping:
            let entries = try Fields(try mapping(node, key), path: key, parser: self).entries
            return .object(try Dictionary(uniqueKeysWithValues: entries.map { ($0.0, try claimValue($0.1.node, "\(key).\($0.0)")) }))
        default:
            throw error(node, key, "expected a string, a number, a list or a mapping")
        }
    }

    private func relativeToScenario(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        return URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(path).path
    }
}
