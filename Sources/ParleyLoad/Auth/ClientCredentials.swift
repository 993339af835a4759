import Foundation
import NIOCore
import Synchronization

/// The run's tokens: minted for every client before the swarm connects (a signature per client
/// would otherwise sit in the connect latency being measured), put where the scenario says on
/// each upgrade, and minted again for each `refresh`.
final class ClientCredentials: Sendable {
    let auth: ScenarioAuth
    let minter: TokenMinter
    private let tokens: Mutex<[Int: String]>
    /// When each client's current token was minted: its refresh is due 60 % of a lifetime later.
    private let minted: Mutex<[Int: NIODeadline]>

    private init(auth: ScenarioAuth, minter: TokenMinter, tokens: [Int: String], minted: [Int: NIODeadline]) {
        self.auth = auth
        self.minter = minter
        self.tokens = Mutex(tokens)
        self.minted = Mutex(minted)
    }

    /// Mints the first token of clients `indices`.
    static func prepare(_ auth: ScenarioAuth, indices: Range<Int>, report: (Int) -> Void = { _ in }) async throws -> ClientCredentials {
        let minter = try await TokenMinter.load(auth)
        var tokens: [Int: String] = [:]
        var minted: [Int: NIODeadline] = [:]
        if minter.mints {
            let now = Date()
            let at = NIODeadline.now()
            for index in indices {
                tokens[index] = try await minter.token(for: index, now: now)
                minted[index] = at
                if index % 1024 == 0 { report(index - indices.lowerBound) }
            }
        }
        return ClientCredentials(auth: auth, minter: minter, tokens: tokens, minted: minted)
    }

    /// Client `index`'s token now (minting one for a client first seen, e.g. a churned one).
    func token(for index: Int) async throws -> String? {
        if let token = tokens.withLock({ $0[index] }) { return token }
        return try await minter.token(for: index)
    }

    func cachedToken(for index: Int) -> String? { tokens.withLock { $0[index] } }

    /// The headers of client `index`'s upgrade.
    func headers(for index: Int) -> [(String, String)] {
        var headers = auth.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        guard let token = cachedToken(for: index) else { return headers }
        switch auth.carrier {
        case .bearer: headers.append(("Authorization", "Bearer \(token)"))
        case .subprotocol: headers.append(("Sec-WebSocket-Protocol", "parley, bearer.\(token)"))
        case .query: break
        }
        return headers
    }

    /// The target client `index` dials (`?token=` when that is the carrier).
    func target(_ target: TargetURL, for index: Int) -> TargetURL {
        guard auth.carrier == .query, let token = cachedToken(for: index) else { return target }
        return target.adding(
            query: "token="
                + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? token))
    }

    /// How long until client `index`'s token is due for a refresh.
    func untilRefresh(of index: Int) -> TimeAmount {
        let due = (minted.withLock { $0[index] } ?? .now()) + TimeAmount(auth.refreshAfter)
        return max(.zero, due - .now())
    }

    /// A fresh token for client `index` (kept for its reconnects too) and the refresh frame carrying it.
    func refreshFrame(for index: Int) async throws -> String? {
        let at = NIODeadline.now()
        guard let token = try await minter.token(for: index) else { return nil }
        tokens.withLock { $0[index] = token }
        minted.withLock { $0[index] = at }
        return #"{"action":"refresh","token":"\#(token)"}"#
    }
}
