import Foundation
import ParleyTestSupport
import Synchronization
import Testing

@testable import ParleyGateway

/// Resume over real sockets: a member dropped for 2 s under a 10 msg/s broadcast comes back with
/// `?since=&epoch=` and holds every message exactly once, in order; a restarted server (a new
/// epoch) says the resume failed; bad values are errors on a usable connection.
@Suite(.timeLimit(.minutes(2))) struct ResumeOverSocketsTests {
    /// A public message's seq, or nil for any other event.
    static func seq(_ text: String) -> Int? {
        guard text.hasPrefix(#"{"publicMessage""#), let range = text.range(of: #""seq":"#) else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    static func marker(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["resumed"] as? [String: Any]
    }

    @Test func aMemberDroppedForTwoSecondsResumesWithNoGapsAndNoDuplicates() async throws {
        try await withServer { server in
            let alice = try await server.namedClient("alice")
            // A first visit: whatever the room holds (nothing yet), and the epoch to come back with.
            let bob = try await TestClient.connect(port: server.port, path: "/ws?members=none&since=0")
            try await bob.send(#"{"action":"setName","name":"bob"}"#)
            let first = try #require(Self.marker(try await bob.next()))
            let epoch = try #require(first["epoch"] as? String)
            #expect(first["from"] as? Int == 1 && first["to"] as? Int == 0)

            // alice broadcasts 45 messages at 10 per second throughout, and reads her own copies:
            // a seq she has received was decided by the room before anything that happens after.
            let publishing = Task {
                for index in 1...45 {
                    try await alice.send(#"{"action":"sendPublic","message":"n\#(index)"}"#)
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            let aliceHeard = Mutex(0)
            let aliceReading = Task {
                while aliceHeard.withLock({ $0 }) < 45 {
                    if let seq = Self.seq(try await alice.next(within: .seconds(10))) { aliceHeard.withLock { $0 = seq } }
                }
            }
            var seqs: [Int] = []
            while seqs.count < 8 { if let seq = Self.seq(try await bob.next()) { seqs.append(seq) } }
            await bob.abort()
            try await Task.sleep(for: .seconds(2))

            let decidedWhileAway = aliceHeard.withLock { $0 }
            let back = try await TestClient.connect(port: server.port, path: "/ws?members=none&since=\(seqs.last!)&epoch=\(epoch)")
            try await back.send(#"{"action":"setName","name":"bob"}"#)
            var marker: [String: Any]?
            var replayed: [Int] = []
            while marker == nil {
                let text = try await back.next()
                if let seq = Self.seq(text) { replayed.append(seq) } else { marker = Self.marker(text) }
            }
            // Everything decided before bob came back is in the replay (it was numbered before his
            // join), and only the replay's range: seqs[7] + 1 … the marker's `to`.
            #expect(decidedWhileAway > seqs.last!, "messages were sent while bob was away")
            let to = try #require(marker?["to"] as? Int)
            #expect(to >= decidedWhileAway, "the replay reaches everything decided while away (\(to) < \(decidedWhileAway))")
            #expect(marker?["from"] as? Int == seqs.last! + 1)
            #expect(replayed == Array((seqs.last! + 1)...to), "\(replayed)")
            seqs += replayed
            try await publishing.value
            try await aliceReading.value
            while seqs.last! < 45 { if let seq = Self.seq(try await back.next()) { seqs.append(seq) } }
            #expect(seqs == Array(1...45), "every message once, in order: \(seqs)")
            await back.close()
            await alice.close()
        }
    }

    @Test func aRestartedServerHasANewEpochAndSaysTheResumeFailed() async throws {
        var epoch = ""
        try await withServer { server in
            let bob = try await TestClient.connect(port: server.port, path: "/ws?members=none&since=0")
            try await bob.send(#"{"action":"setName","name":"bob"}"#)
            epoch = try #require(Self.marker(try await bob.next())?["epoch"] as? String)
            try await bob.send(#"{"action":"sendPublic","message":"before the restart"}"#)
            _ = try await bob.next()
        }
        try await withServer { server in
            let bob = try await TestClient.connect(port: server.port, path: "/ws?members=none&since=1&epoch=\(epoch)")
            try await bob.send(#"{"action":"setName","name":"bob"}"#)
            let text = try await bob.next()
            let failed = try #require(
                (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["resumeFailed"] as? [String: Any])
            #expect(failed["reason"] as? String == "epoch" && failed["epoch"] as? String != epoch, "\(text)")
        }
    }

    @Test func badValuesAreAnsweredWithAnErrorAndTheConnectionStaysUsable() async throws {
        try await withServer { server in
            for query in ["since=soon", "since=-3", "epoch=ab", "since=1&epoch=xyz", "since=7&epoch=00"] {
                let client = try await TestClient.connect(port: server.port, path: "/ws?members=none&\(query)")
                try await client.send(#"{"action":"setName","name":"carol"}"#)
                let text = try await client.next()
                if query == "since=7&epoch=00" {
                    #expect(text.contains("resumeFailed"), "another epoch: \(text)")
                } else {
                    #expect(text.contains(#""code":"invalid_field""#) && text.contains(#""action":"$connect""#), "\(query): \(text)")
                }
                try await client.send(#"{"action":"sendPublic","message":"usable"}"#)
                #expect(try await client.next().contains(#""text":"usable""#))
                await client.close()
                try await Task.sleep(for: .milliseconds(100))  // the name is free again
            }
        }
    }
}
