import ParleyProtocol

/// What one data frame means to the client that received it — deliveries (probe tokens found
/// without decoding JSON), presence, the room's position, readiness — recorded into the
/// recorder of the thread that read it. Shared by both receive paths: NIO's
/// (`LoadClientHandler`) and the direct one (`ReceiveLoop`).
enum ClientFrames {
    static func receive(_ bytes: UnsafeRawBufferPointer, client: LoadClient, recorder: LoopRecorder, at now: UInt64) {
        recorder.recordFrame(bytes: bytes.count)
        if let awaited = client.awaitedMembers, memberCount(bytes) ?? 0 >= awaited {
            client.awaitedMembers = nil
            recorder.recordPresenceComplete(at: now)
        }
        // A frame may carry one message's token more than once (Parley's public event
        // repeats the text in "publicMessage" and "text"): that is one delivery.
        // What arrives before a resume's marker is its replay: counted as delivered, but not as
        // fan-out latency (it waited out the client's absence, not the server).
        let replayed = client.resume?.isCatchingUp == true
        var lastInFrame: ProbeToken?
        ProbeToken.scan(bytes) { token in
            guard token != lastInFrame else { return }
            lastInFrame = token
            recorder.recordDelivery(token, client: client, now: now, replayed: replayed)
        }
        if isPublicRefusal(bytes) { recorder.recordRefusal(publisher: client.index) }
        if client.resume != nil, let position = RoomPosition.read(bytes) { client.observe(position) }
        if let expectation = client.readyExpectation, contains(bytes, expectation) {
            client.becomeReady(at: now)
        }
    }

    /// Whether the frame is the server's answer that a public message of this client was not
    /// sent (a cluster node's outbox past its size or age, docs/PROTOCOL.md): an `unavailable`
    /// error for `sendPublic`. One byte decides for every other frame.
    static func isPublicRefusal(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let prefix = refusalPrefix
        guard bytes.count > prefix.count, bytes[2] == UInt8(ascii: "e"), bytes.prefix(prefix.count).elementsEqual(prefix) else {
            return false
        }
        return contains(bytes, sendPublicAction)
    }

    private static let refusalPrefix = Array(#"{"error":{"code":"unavailable""#.utf8)
    private static let sendPublicAction = Array(#""action":"sendPublic""#.utf8)

    /// The number of names in a `{"members":[…]}` event, or nil for any other frame. Counts
    /// string quotes, halved: names are JSON strings, and escaped quotes come with a backslash.
    static func memberCount(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let prefix = membersPrefix
        guard bytes.count >= prefix.count, bytes.prefix(prefix.count).elementsEqual(prefix) else { return nil }
        var quotes = 0
        var previous: UInt8 = 0
        for byte in bytes.dropFirst(prefix.count) {
            if byte == UInt8(ascii: "\""), previous != UInt8(ascii: "\\") { quotes += 1 }
            if byte == UInt8(ascii: "]"), quotes % 2 == 0 { break }
            previous = previous == UInt8(ascii: "\\") && byte == UInt8(ascii: "\\") ? 0 : byte
        }
        return quotes / 2
    }

    /// Made once: `memberCount` runs on every frame of a presence scenario.
    private static let membersPrefix = Array(#"{"members":["#.utf8)

    static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        let first = needle[0]
        var index = 0
        while index + needle.count <= haystack.count {
            if haystack[index] == first {
                var match = true
                for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                    match = false
                    break
                }
                if match { return true }
            }
            index += 1
        }
        return false
    }
}
