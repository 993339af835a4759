import Testing

@testable import ParleyProtocol

@Suite struct ChatNameTests {
    @Test func trimmedAndFolded() throws {
        let name = try ChatName(validating: "  Alice \n")
        #expect(name.display == "Alice")
        #expect(name.key == ChatName.foldedKey("ALICE"))
        #expect(try ChatName(validating: "STRASSE").key == ChatName.foldedKey("strasse"))
    }

    @Test func lengthCountsUnicodeScalars() throws {
        #expect(throws: Never.self) { try ChatName(validating: String(repeating: "é", count: 32)) }
        #expect(throws: Never.self) { try ChatName(validating: String(repeating: "🎉", count: 32)) }
        let tooLong = #expect(throws: ProtocolError.self) { try ChatName(validating: String(repeating: "a", count: 33)) }
        #expect(tooLong?.code == .invalidName)
    }

    @Test(arguments: ["", "   ", "\n\t", "a\u{0}b", "a\u{7}b", "bell\u{7F}"])
    func rejected(_ raw: String) {
        let error = #expect(throws: ProtocolError.self) { try ChatName(validating: raw) }
        #expect(error?.code == .invalidName)
        #expect(error?.action == "setName")
    }
}

@Suite struct ConnectionIDTests {
    @Test func textFormRoundTripsAndKeepsLoop() throws {
        let id = ConnectionID(loopIndex: 3, serial: 42)
        #expect(id.loopIndex == 3)
        #expect(id.description.count == 16)
        #expect(try #require(ConnectionID(id.description)) == id)
        #expect(ConnectionID("xyz") == nil)
        #expect(ConnectionID("zzzzzzzzzzzzzzzz") == nil)
    }

    @Test func nodeTagKeepsIDsOfTwoNodesApartAndLeavesTheLoop() throws {
        let here = ConnectionID(loopIndex: 1, node: 7, serial: 42)
        let there = ConnectionID(loopIndex: 1, node: 8, serial: 42)
        #expect(here != there)
        #expect(here.node == 7 && there.node == 8)
        #expect(here.loopIndex == 1)
        #expect(ConnectionID(loopIndex: 2, serial: 5).node == 0)
        #expect(try #require(ConnectionID(here.description)).node == 7)
    }
}

@Suite struct PresenceFeedTests {
    @Test func parse() {
        #expect(PresenceFeed.parse(queryValue: nil) == .full)
        #expect(PresenceFeed.parse(queryValue: "delta") == .delta)
        #expect(PresenceFeed.parse(queryValue: "none") == PresenceFeed.none)
        #expect(PresenceFeed.parse(queryValue: "FULL") == nil)
        #expect(PresenceFeed.parse(queryValue: "") == nil)
    }
}
