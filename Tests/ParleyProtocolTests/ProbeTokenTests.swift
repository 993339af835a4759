import Testing

@testable import ParleyProtocol

@Suite struct ProbeTokenTests {
    @Test func roundTripsThroughTextAndJSONWrapping() {
        let token = ProbeToken(run: 7, publisher: 3, seq: 12345, scheduledNanos: 987_654_321_000)
        #expect(token.text == "PRB:7:3:12345:987654321000:PRB")
        let frame = OutboundEvent.publicMessage(from: "u3", text: token.text + " xxxx", seq: 1, timestampMillis: 1).encode()
        #expect(ProbeToken.all(in: frame.bytes) == [token, token], "the public event carries the text twice")
    }

    @Test func skipsMalformedLookAlikes() {
        let text = "PRB: PRB:1:2:3 PRB:1:2:3:4 PRB:a:b:c:d:PRB PRB:1:2:3:4:PRX PRB:1:2:3:4:PRB"
        #expect(ProbeToken.all(in: Array(text.utf8)) == [ProbeToken(run: 1, publisher: 2, seq: 3, scheduledNanos: 4)])
        #expect(ProbeToken.all(in: Array("PRB:99999999999:1:1:1:PRB".utf8)).isEmpty, "run beyond 32 bits")
        #expect(ProbeToken.all(in: []).isEmpty)
    }

    @Test func findsSeveralTokensInOneFrame() {
        let a = ProbeToken(run: 1, publisher: 0, seq: 1, scheduledNanos: 10)
        let b = ProbeToken(run: 1, publisher: 1, seq: 2, scheduledNanos: 20)
        #expect(ProbeToken.all(in: Array("[\(a.text),\(b.text)]".utf8)) == [a, b])
    }
}
