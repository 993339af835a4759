import Foundation
import ParleyTestSupport
import Testing

/// A frame as the JSON object it must be.
func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

extension TestClient {
    /// The texts and seqs of the next `count` public messages this client hears (other events
    /// skipped), each within `timeout` of the one before.
    func publicMessages(_ count: Int, within timeout: Duration = .seconds(10)) async throws -> [(text: String, seq: Int)] {
        var heard: [(String, Int)] = []
        while heard.count < count {
            let event = try jsonObject(try await next(within: timeout))
            guard event["publicMessage"] != nil, let text = event["text"] as? String else { continue }
            heard.append((text, event["seq"] as? Int ?? -1))
        }
        return heard
    }
}

extension TestClient {
    /// The next event that carries `key` (other events skipped), as its object.
    func event(_ key: String, within timeout: Duration = .seconds(10)) async throws -> [String: Any] {
        while true {
            let event = try jsonObject(try await next(within: timeout))
            if let value = event[key] as? [String: Any] { return value }
        }
    }
}

/// alice on node a and bob on node b, once both nodes list them both.
func aliceAndBob(on a: ClusterNode, and b: ClusterNode) async throws -> (alice: TestClient, bob: TestClient) {
    let alice = try await a.client(named: "alice")
    let bob = try await b.client(named: "bob")
    for node in [a, b] { try await node.waitForMembers(inAnyOrder: ["alice", "bob"]) }
    return (alice, bob)
}
