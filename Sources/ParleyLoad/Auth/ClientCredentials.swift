import Foundation
import NIOCore
import Synchronization

/// The run's tokens: minted for every client before the swarm connects (a signature per client
/// would otherwise sit in the connect latency being measured), put where the scenario says on
/// each upgrade, and minted again for each `refresh`.
final class ClientCredentials: Sendable {
    let auth: ScenarioAuth
    let minter: TokenMinter
    /// Each client's current token, and when it was minted: its refresh is due 60 % of a
    /// lifetime later.
    private struct Current: Sendable {
        let token: String
        let minted: NIODeadline
    }

    private let current: Mutex<[Int: Current]>

    private init(auth: ScenarioAuth, minter: TokenMinter, current: [Int: Current]) {
        self.auth = auth
        self.minter = minter
        self.current = Mutex(current)
    }

    /// Mints the first token of clients `indices`.
    static func prepare(_ auth: ScenarioAuth, indices: Range<Int>, report: (Int) -> Void = { _ in }) async throws -> ClientCredentials {
        let minter = try await TokenMinter.load(auth)
        var current: [Int: Current] = [:]
        if minter.mints {
            let now = Date()
            let at = NIODeadline.now()
            for index in indices {
                if let token = try await minter.token(for: index, now: now) { current[index] = Current(token: token, minted: at) }
                if index % 1024 == 0 { report(index - indices.lowerBound) }
            }
        }
        return ClientCredentials(auth: auth, minter: minter, current: current)
    }

    /// Client `index`'s token now (minting one for a client first seen, e.g. a churned one).
    func token(for index: Int) async throws -> String? {
        if let token = cachedToken(for: index) { return token }
        return try await minter.token(for: index)
    }

    func cachedToken(for index: Int) -> String? { current.withLock { $0[index]?.token } }

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
        let due = (current.withLock { $0[index]?.minted } ?? .now()) + TimeAmount(auth.refreshAfter)
        return max(.zero, due - .now())
    }

    /// A fresh token for client `index` (kept for its reconnects too) and the refresh frame carrying it.
    func refreshFrame(for index: Int) async throws -> String? {
        let at = NIODeadline.now()
        guard let token = try await minter.token(for: index) else { return nil }
        current.withLock { $0[index] = Current(token: token, minted: at) }
        return #"{"action":"refresh","token":"\#(token)"}"#
    }
}
