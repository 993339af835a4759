import ParleyProtocol
import Testing

@testable import ParleyChat

/// The room as a state machine, without a handler, a lock or a socket: feed commands and
/// decisions, assert the effects it returns (and that it performs none itself).
@Suite struct RoomTests {
    private static func id(_ serial: UInt64) -> ConnectionID { ConnectionID(loopIndex: 0, serial: serial) }
    private let alice = id(1)
    private let bob = id(2)

    private static func room(cluster: Bool) -> Room {
        Room(store: MemoryConnectionStore(), configuration: ChatConfiguration(), decidedByCluster: cluster, clockMillis: { 7 })
    }

    private static func frame(_ id: ConnectionID, _ json: String, overRate: Bool = false) -> MessageEvent {
        MessageEvent(
            connectionID: id, selection: RouteSelection.select(Array(json.utf8), routeKeys: ActionName.chatRoutes),
            overRate: overRate)
    }

    private static func setName(_ id: ConnectionID, _ name: String) -> MessageEvent {
        frame(id, #"{"action":"setName","name":"\#(name)"}"#)
    }

    private static func sendPublic(_ id: ConnectionID, _ text: String) -> MessageEvent {
        frame(id, #"{"action":"sendPublic","message":"\#(text)"}"#)
    }

    /// One line per effect, payloads as text: what a reader would check by eye.
    private static func lines(_ effects: [RoomEffect]) -> [String] {
        effects.map { effect in
            switch effect {
            case .post(let payload, let to): "post \(to.rawValue): \(payload.text)"
            case .broadcast(let payload, let to): "broadcast \(to.map(\.rawValue)): \(payload.text)"
            case .postToEach(let payload, let to): "each \(to.map(\.rawValue)): \(payload.text)"
            case .error(let error, let to): "error \(to.rawValue): \(error.code.rawValue)"
            case .submit(let command): "submit \(command)"
            case .schedule(_, let timer): "schedule \(timer)"
            case .warning(let text): "warning \(text)"
            }
        }
    }

    @Test func singleNodeDecidesAtOnceAndNumbersPublicMessages() {
        var room = Self.room(cluster: false)
        room.connect(alice, feed: .none)
        #expect(Self.lines(room.receive(Self.setName(alice, "alice"))) == ["schedule flushPresence"])
        let first = Self.lines(room.receive(Self.sendPublic(alice, "hi")))
        #expect(first.count == 1 && first[0].hasPrefix("broadcast [\(alice.rawValue)]") && first[0].contains(#""seq":1"#))
        let second = Self.lines(room.receive(Self.sendPublic(alice, "again")))
        #expect(second.count == 1 && second[0].contains(#""seq":2"#))
        #expect(room.publicSeq == 2)
        // Nothing submitted: the in-process decider settled every command.
        #expect(!(first + second).contains { $0.hasPrefix("submit") })
    }

    @Test func clusterParksFramesBehindAClaimUntilTheDecisionComesBack() {
        var room = Self.room(cluster: true)
        room.connect(alice, feed: .none)
        let claim = Self.lines(room.receive(Self.setName(alice, "alice")))
        #expect(claim == ["submit \(RoomCommand.claim(alice, try! ChatName(validating: "alice")))"])
        // Sent right after setName: judged after the name, not refused as not_named.
        #expect(room.receive(Self.sendPublic(alice, "hi")).isEmpty)
        let named = Self.lines(room.apply(.named(alice, try! ChatName(validating: "alice"))))
        #expect(named.count == 2)
        #expect(named[0] == "schedule flushPresence")
        #expect(named[1].hasPrefix("submit publicMessage"))
        // The bus numbers it; applying the decision is what posts.
        let posted = Self.lines(room.apply(.publicMessage(from: "alice", text: "hi", seq: 41, timestampMillis: 7)))
        #expect(posted.count == 1 && posted[0].contains(#""seq":41"#))
    }

    @Test func aRefusedClaimAnswersTheRequesterAndReleasesItsFrames() {
        var room = Self.room(cluster: true)
        room.connect(alice, feed: .none)
        _ = room.receive(Self.setName(alice, "alice"))
        _ = room.receive(Self.sendPublic(alice, "hi"))
        let refused = Self.lines(
            room.refuse(
                .claim(alice, try! ChatName(validating: "alice")), because: RouteChecks.nameTaken(try! ChatName(validating: "alice"))))
        #expect(refused == ["error \(alice.rawValue): name_taken", "error \(alice.rawValue): not_named"])
    }

    @Test func singleNodeRefusesATakenNameBeforeItIsSubmitted() {
        var room = Self.room(cluster: false)
        room.connect(alice, feed: .none)
        room.connect(bob, feed: .none)
        _ = room.receive(Self.setName(alice, "alice"))
        #expect(Self.lines(room.receive(Self.setName(bob, "ALICE"))) == ["error \(bob.rawValue): name_taken"])
    }

    @Test func privateMessagesToThisNodeSkipTheBusOthersGoThroughIt() {
        var room = Self.room(cluster: true)
        room.connect(alice, feed: .none)
        _ = room.receive(Self.setName(alice, "alice"))
        _ = room.apply(.named(alice, try! ChatName(validating: "alice")))
        let remote = Self.id(900)
        _ = room.apply(.named(remote, try! ChatName(validating: "faraway")))
        let toSelf = Self.lines(room.receive(Self.frame(alice, #"{"action":"sendPrivate","message":"x","to":"alice"}"#)))
        #expect(toSelf.count == 1 && toSelf[0].hasPrefix("post \(alice.rawValue)") && toSelf[0].contains(#""seq":1"#))
        let toRemote = Self.lines(room.receive(Self.frame(alice, #"{"action":"sendPrivate","message":"x","to":"faraway"}"#)))
        #expect(toRemote.count == 1 && toRemote[0].hasPrefix("submit privateMessage"))
    }

    @Test func aLeaveKeepsTheNameUntilDecidedAndAReapedLiveMemberClaimsAgain() {
        var room = Self.room(cluster: true)
        room.connect(alice, feed: .none)
        room.connect(bob, feed: .none)
        for (id, name) in [(alice, "alice"), (bob, "bob")] {
            _ = room.receive(Self.setName(id, name))
            _ = room.apply(.named(id, try! ChatName(validating: name)))
        }
        #expect(Self.lines(room.disconnect(bob)) == ["submit leave(\(bob))"])
        #expect(room.store.namedDisplayNames == ["alice", "bob"])
        _ = room.apply(.left(bob))
        #expect(room.store.namedDisplayNames == ["alice"])
        // The cluster reaped alice although her socket is here: she is registered again.
        #expect(Self.lines(room.apply(.left(alice))) == ["submit \(RoomCommand.claim(alice, try! ChatName(validating: "alice")))"])
        #expect(room.store.namedDisplayNames == ["alice"])
    }

    @Test func oneErrorPerFrameInTheProtocolsCheckOrder() {
        var room = Self.room(cluster: false)
        room.connect(alice, feed: .none)
        let cases: [(String, String)] = [
            ("not json", "invalid_json"),
            (#"{"action":"dance"}"#, "unknown_action"),
            (#"{"action":"sendPublic"}"#, "invalid_field"),
            (#"{"action":"setName","name":"  "}"#, "invalid_name"),
            (#"{"action":"sendPublic","message":"hi"}"#, "not_named"),
        ]
        for (json, code) in cases {
            #expect(Self.lines(room.receive(Self.frame(alice, json, overRate: true))) == ["error \(alice.rawValue): \(code)"])
        }
        _ = room.receive(Self.setName(alice, "alice"))
        #expect(
            Self.lines(room.receive(Self.frame(alice, #"{"action":"sendPublic","message":"hi"}"#, overRate: true)))
                == ["error \(alice.rawValue): rate_limited"])
    }

    @Test func aMessageAppliedLocallyDuringAnOutageTakesNoSeq() {
        var room = Self.room(cluster: true)
        room.connect(alice, feed: .none)
        _ = room.receive(Self.setName(alice, "alice"))
        _ = room.apply(.named(alice, try! ChatName(validating: "alice")))
        _ = room.apply(.publicMessage(from: "alice", text: "before", seq: 21, timestampMillis: 7))
        let local = Self.lines(
            room.applyLocally(
                .publicMessage(sender: alice, from: try! ChatName(validating: "alice"), text: "meanwhile", timestampMillis: 8)))
        #expect(local.count == 1 && local[0].contains(#""local":true"#) && !local[0].contains(#""seq""#), "\(local)")
        #expect(room.publicSeq == 21, "the cluster's next number is still 22")
        let after = Self.lines(room.apply(.publicMessage(from: "alice", text: "after", seq: 22, timestampMillis: 9)))
        #expect(after.count == 1 && after[0].contains(#""seq":22"#))
    }

    @Test func presenceIsOneWindowThenAMembersList() {
        var room = Self.room(cluster: false)
        room.connect(alice, feed: .full)
        room.connect(bob, feed: .full)
        #expect(Self.lines(room.receive(Self.setName(alice, "alice"))) == ["schedule flushPresence"])
        #expect(room.receive(Self.setName(bob, "bob")).isEmpty)
        let flushed = Self.lines(room.fire(.flushPresence, now: .now))
        #expect(flushed.first == "each [\(alice.rawValue)]: {\"members\":[\"alice\",\"bob\"]}")
        #expect(flushed.count == 5)
        #expect(room.fire(.flushPresence, now: .now).isEmpty)
    }
}
