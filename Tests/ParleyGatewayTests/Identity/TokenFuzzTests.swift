import Foundation
import ParleyAuth
import ParleyLoad
import ParleyTestSupport
import Testing

@testable import ParleyGateway

/// 5,000 mutated tokens over real sockets: each is refused cleanly (401, no socket), unless the
/// mutation left its bytes meaning the same (a base64url character whose changed bits are
/// padding), and the server goes on serving. The mutations are a function of a seed.
@Suite(.timeLimit(.minutes(3))) struct TokenFuzzTests {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ %\"{}")

    static func mutate(_ token: String, _ random: inout SplitMix64) -> String {
        var characters = Array(token)
        for _ in 0..<(1 + Int(random.next() % 3)) {
            let place = Int(random.next() % UInt64(max(characters.count, 1)))
            let character = alphabet[Int(random.next() % UInt64(alphabet.count))]
            switch random.next() % 5 {
            case 0 where !characters.isEmpty: characters[place] = character
            case 1 where !characters.isEmpty: characters.remove(at: place)
            case 2: characters.insert(character, at: min(place, characters.count))
            case 3: characters = Array(characters.prefix(place))
            default: characters += characters.suffix(Int(random.next() % 16))
            }
        }
        return String(characters)
    }

    /// The same header, claims and signature bytes as the genuine token.
    static func meansTheSame(_ mutated: String, as genuine: String) -> Bool {
        let a = mutated.split(separator: ".", omittingEmptySubsequences: false)
        let b = genuine.split(separator: ".", omittingEmptySubsequences: false)
        guard a.count == 3 else { return false }
        return zip(a, b).allSatisfy { decode($0) != nil && decode($0) == decode($1) }
    }

    static func decode(_ part: Substring) -> Data? {
        // Only base64url's alphabet, unpadded, is a JWT part.
        guard !part.contains(where: { "+/=".contains($0) }) else { return nil }
        var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }

    @Test func fiveThousandMutatedTokensAreRefusedAndTheServerKeepsServing() async throws {
        let genuine = TestTokens.hs256(TestTokens.claims("fuzz", name: "Fuzz"))
        var random = SplitMix64(seed: 29)
        let tokens = (0..<5_000).map { _ in Self.mutate(genuine, &random) }
        // The gateway-wide connect rate (500/s by default) out of the way: alone on the machine,
        // the 5,000 upgrades come faster than that.
        try await withAuthServer(try await AuthServer.jwt(), gateway: { $0.connectionsPerSecond = 1_000_000 }) {
            (server: TestServer) async throws in
            var unexpected: [String] = []
            var admittedAlike = 0
            for batch in stride(from: 0, to: tokens.count, by: 50) {
                let statuses = try await withThrowingTaskGroup(of: (String, Int).self) { group in
                    for token in tokens[batch..<min(batch + 50, tokens.count)] {
                        group.addTask {
                            let escaped = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                            return (token, try await RawHTTP.upgradeStatus(port: server.port, path: "/ws?token=\(escaped)"))
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                for (token, status) in statuses {
                    if status == 101 && Self.meansTheSame(token, as: genuine) {
                        admittedAlike += 1
                    } else if status != 401 {
                        unexpected.append("\(status): \(token)")
                    }
                }
            }
            #expect(unexpected.isEmpty, "\(unexpected.prefix(5))")
            let refused = AuthRefusal.allCases.map { AuthServer.refusals($0, on: server) }.reduce(0, +)
            #expect(refused + admittedAlike == tokens.count)
            // Still serving: the genuine token connects and chats.
            let client = try await TestClient.connect(
                port: server.port, path: "/ws?members=delta", headers: [("Authorization", "Bearer \(genuine)")])
            try await client.send(#"{"action":"setName","name":"Fuzz"}"#)
            #expect(try await client.next() == #"{"members":["Fuzz"]}"#)
            await client.close()
        }
    }
}
