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
