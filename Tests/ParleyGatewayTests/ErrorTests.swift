import ParleyTestSupport
import Testing

/// Every error code over a socket: only the sender hears it, and its connection stays open.
@Suite(.timeLimit(.minutes(1))) struct ErrorTests {
    @Test func everyCodeReachesOnlyTheSenderAndKeepsItOpen() async throws {
        try await withServer(gateway: { $0.inboundMessagesPerSecond = 1000 }, chat: { $0.maximumMessageScalars = 10 }) { server in
            let bob = try await server.namedClient("bob")
            let alice = try await server.namedClient("alice")
            let unnamed = try await server.client()
            let cases: [(TestClient, String, String, String)] = [
                (alice, "not json", "invalid_json", "null"),
                (alice, #"{"message":"hi"}"#, "unknown_action", "null"),
                (alice, #"{"action":"dance"}"#, "unknown_action", #""dance""#),
                (alice, #"{"action":"sendPublic","message":3}"#, "invalid_field", #""sendPublic""#),
                (alice, #"{"action":"setName","name":""}"#, "invalid_name", #""setName""#),
                (alice, #"{"action":"sendPublic","message":"0123456789X"}"#, "message_too_long", #""sendPublic""#),
                (unnamed, #"{"action":"sendPublic","message":"hi"}"#, "not_named", #""sendPublic""#),
                (alice, #"{"action":"setName","name":"Bob"}"#, "name_taken", #""setName""#),
                (alice, #"{"action":"sendPrivate","message":"hi","to":"zed"}"#, "unknown_recipient", #""sendPrivate""#),
            ]
            for (sender, frame, code, action) in cases {
                try await sender.send(frame)
                let answer = try await sender.next()
                #expect(answer.hasPrefix(#"{"error":{"code":"\#(code)","message":"#), "\(frame)")
                #expect(answer.hasSuffix(#","action":\#(action)}}"#), "\(frame)")
            }
            try await bob.expectSilence()
            // Still open: a valid message after all those errors goes through.
            try await alice.send(#"{"action":"sendPublic","message":"still here"}"#)
            #expect(try await bob.next().contains("alice: still here"))
        }
    }

    @Test func rateLimitedThenClosedWith1008() async throws {
        try await withServer(gateway: {
            $0.inboundMessagesPerSecond = 5
            $0.rateStrikesBeforeClose = 10
        }) { server in
            let flooder = try await server.namedClient("flooder")
            let bystander = try await server.namedClient("bystander")
            // In one burst: sent one by one on a loaded machine, the budget refills between them.
            try await flooder.sendAll((0..<40).map { #"{"action":"sendPublic","message":"m\#($0)"}"# })
            var codes: [String] = []
            var close: UInt16?
            loop: while true {
                switch try await flooder.nextEvent() {
                case .text(let text):
                    if text.contains(#""code":"rate_limited""#) { codes.append("rate_limited") }
                case .close(let code, _):
                    close = code
                    break loop
                case .ended:
                    break loop
                default: continue
                }
            }
            #expect(codes.count >= 5)
            #expect(close == 1008)
            // The bystander saw only the messages within budget (a burst of 5, setName included,
            // plus refill), never all 40.
            var seen = 0
            while (try? await bystander.next(within: .milliseconds(300))) != nil { seen += 1 }
            #expect(seen > 0 && seen < 20)
        }
    }
}
