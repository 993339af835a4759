import Testing

@testable import ParleyProtocol

@Suite struct RouteSelectionTests {
    let keys: Set<String> = ["setName", "sendPublic", "sendPrivate"]

    func select(_ text: String) -> RouteSelection {
        RouteSelection.select(Array(text.utf8), routeKeys: keys)
    }

    @Test func actionSelectsItsRoute() {
        guard case .route("sendPublic", let frame) = select(#"{"action":"sendPublic","message":"hi"}"#) else {
            Issue.record("not routed")
            return
        }
        #expect(frame.fields["message"] == .string("hi"))
    }

    @Test(arguments: ["nope", "", "[1,2]", "\"text\"", "42", "{\"action\":", "null"])
    func notAJSONObjectIsInvalidJSON(_ text: String) {
        #expect(select(text) == .invalidJSON)
        #expect(select(text).defaultRouteError?.code == .invalidJSON)
        #expect(select(text).defaultRouteError?.action == nil)
    }

    @Test func missingOrNonStringActionIsUnknownWithNullAction() throws {
        for text in [#"{}"#, #"{"action":5}"#, #"{"action":null}"#, #"{"action":["setName"]}"#] {
            let error = try #require(select(text).defaultRouteError)
            #expect(error.code == .unknownAction)
            #expect(error.action == nil)
        }
    }

    @Test func actionsMatchExactly() throws {
        for action in ["setname", "SetName", " setName", "$default", "$connect"] {
            let error = try #require(select(#"{"action":"\#(action)"}"#).defaultRouteError)
            #expect(error.code == .unknownAction)
            #expect(error.action == action)
        }
    }

    @Test func fieldTypesAreNamedInErrors() throws {
        let frame = try #require(InboundFrame.parse(Array(#"{"a":1,"b":true,"c":null,"d":[],"e":{},"f":"x","g":1.5}"#.utf8)))
        #expect(frame.fields["a"] == .number(1))
        #expect(frame.fields["b"] == .bool)
        #expect(frame.fields["c"] == .null)
        #expect(frame.fields["d"] == .array)
        #expect(frame.fields["e"] == .object)
        #expect(frame.fields["f"] == .string("x"))
        #expect(frame.fields["g"] == .number(1.5))
        guard case .failure(let error) = frame.requiredString("b") else {
            Issue.record("a boolean passed as a string")
            return
        }
        #expect(error.code == .invalidField)
        #expect(error.message.contains("boolean"))
        guard case .failure(let missing) = frame.requiredString("zzz") else {
            Issue.record("a missing field passed")
            return
        }
        #expect(missing.message.contains("required"))
    }
}
