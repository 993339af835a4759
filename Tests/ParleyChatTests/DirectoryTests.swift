import ParleyProtocol
import Testing

@testable import ParleyChat

/// The directory as a value beside real room cells: names, parked frames, private messages,
/// memberships — what it answers itself and what it changes in which room.
@Suite struct DirectoryTests {
    private static func id(_ serial: UInt64) -> ConnectionID { ConnectionID(loopIndex: 0, serial: serial) }
    private let alice = id(1)
    private let bob = id(2)
    private static func name(_ text: String) -> ChatName { try! ChatName(validating: text) }

    private struct Node {
        var directory: Directory
        let rooms: RoomTable

        init(cluster: Bool, configure: (inout ChatConfiguration) -> Void = { _ in }) {
            var configuration = ChatConfiguration()
            configure(&configuration)
            let settled = configuration
            directory = Directory(configuration: settled, decidedByCluster: cluster, clockMillis: { 7 })
            rooms = RoomTable(defaultName: settled.defaultRoom) { name in
                Room(name: name, configuration: settled, decidedByCluster: cluster, clockMillis: { 7 })
            }
        }

        mutating func connect(_ id: ConnectionID, rooms none: Bool = false) {
            directory.connect(id, feed: PresenceFeed.none, joinsDefaultRoom: !none, resume: nil)
        }

        mutating func send(_ id: ConnectionID, _ json: String, overRate: Bool = false) -> [String] {
            let event = MessageEvent(
                connectionID: id, selection: RouteSelection.select(Array(json.utf8), routeKeys: ActionName.chatRoutes),
                overRate: overRate)
            return EffectLines.of(directory.receive(event, rooms: rooms))
        }

        mutating func apply(_ event: RoomEvent) -> [String] { EffectLines.of(directory.apply(event, rooms: rooms)) }

        func members(_ room: String) -> [String]? {
            rooms.cell(try! RoomName(validating: room, action: nil))?.read { $0.memberNames }
        }
    }

    @Test func clusterParksFramesBehindAClaimUntilTheDecisionComesBack() {
        var node = Node(cluster: true)
        node.connect(alice)
        #expect(node.send(alice, #"{"action":"setName","name":"alice"}"#) == ["submit \(RoomCommand.claim(alice, Self.name("alice")))"])
        // Sent right after setName: judged after the name, not refused as not_named.
        #expect(node.send(alice, #"{"action":"sendPublic","message":"hi"}"#).isEmpty)
        let named = node.apply(.named(alice, Self.name("alice")))
        #expect(named.count == 2 && named[0] == "schedule flushPresence" && named[1].hasPrefix("submit publicMessage"), "\(named)")
    }

    @Test func aRefusedClaimAnswersTheRequesterAndReleasesItsFrames() {
        var node = Node(cluster: true)
        node.connect(alice)
        _ = node.send(alice, #"{"action":"setName","name":"alice"}"#)
        _ = node.send(alice, #"{"action":"sendPublic","message":"hi"}"#)
        let refused = EffectLines.of(
            node.directory.refuse(.claim(alice, Self.name("alice")), because: RouteChecks.nameTaken(Self.name("alice")), rooms: node.rooms))
        #expect(refused == ["error \(alice.rawValue): name_taken", "error \(alice.rawValue): not_named"])
    }

    @Test func singleNodeRefusesATakenNameBeforeAnyoneIsAsked() {
        var node = Node(cluster: false)
        node.connect(alice)
        node.connect(bob)
        _ = node.send(alice, #"{"action":"setName","name":"alice"}"#)
        #expect(node.send(bob, #"{"action":"setName","name":"ALICE"}"#) == ["error \(bob.rawValue): name_taken"])
    }

    @Test func privateMessagesToThisNodeSkipTheBusOthersGoThroughIt() {
        var node = Node(cluster: true)
        node.connect(alice)
        _ = node.send(alice, #"{"action":"setName","name":"alice"}"#)
        _ = node.apply(.named(alice, Self.name("alice")))
        _ = node.apply(.named(Self.id(900), Self.name("faraway")))
        let toSelf = node.send(alice, #"{"action":"sendPrivate","message":"x","to":"alice"}"#)
        #expect(toSelf.count == 1 && toSelf[0].hasPrefix("post \(alice.rawValue)") && toSelf[0].contains(#""seq":1"#))
        let toRemote = node.send(alice, #"{"action":"sendPrivate","message":"x","to":"faraway"}"#)
        #expect(toRemote.count == 1 && toRemote[0].hasPrefix("submit privateMessage"))
        #expect(node.members("lobby") == ["alice", "faraway"], "another node's named member is in the default room")
    }

    @Test func aLeaveKeepsTheNameUntilDecidedAndAReapedLiveMemberClaimsAgain() {
        var node = Node(cluster: true)
        for (id, name) in [(alice, "alice"), (bob, "bob")] {
            node.connect(id)
            _ = node.send(id, #"{"action":"setName","name":"\#(name)"}"#)
            _ = node.apply(.named(id, Self.name(name)))
        }
        #expect(EffectLines.of(node.directory.disconnect(bob, rooms: node.rooms)) == ["submit leave(\(bob))"])
        #expect(node.members("lobby") == ["alice", "bob"])
        _ = node.apply(.left(bob))
        #expect(node.members("lobby") == ["alice"])
        // The cluster reaped alice although her socket is here: she is registered again.
        #expect(node.apply(.left(alice)) == ["submit \(RoomCommand.claim(alice, Self.name("alice")))"])
        #expect(node.members("lobby") == ["alice"])
    }

    @Test func oneErrorPerFrameInTheProtocolsCheckOrder() {
        var node = Node(cluster: false) { $0.maximumMessageScalars = 4 }
        node.connect(alice)
        let unnamed: [(String, String)] = [
            ("not json", "invalid_json"),
            (#"{"action":"dance"}"#, "unknown_action"),
            (#"{"action":"sendPublic"}"#, "invalid_field"),
            (#"{"action":"sendPublic","message":"hi","room":7}"#, "invalid_field"),
            (#"{"action":"join"}"#, "invalid_field"),
            (#"{"action":"setName","name":"  "}"#, "invalid_name"),
            (#"{"action":"sendPublic","message":"hi","room":"a b"}"#, "invalid_room"),
            (#"{"action":"join","room":""}"#, "invalid_room"),
            (#"{"action":"sendPublic","message":"12345","room":"r"}"#, "message_too_long"),
            (#"{"action":"sendPublic","message":"hi"}"#, "not_named"),
            (#"{"action":"join","room":"r"}"#, "not_named"),
        ]
        for (json, code) in unnamed {
            #expect(node.send(alice, json, overRate: true) == ["error \(alice.rawValue): \(code)"], "\(json)")
        }
        _ = node.send(alice, #"{"action":"setName","name":"alice"}"#)
        #expect(
            node.send(alice, #"{"action":"sendPublic","message":"hi","room":"r"}"#, overRate: true) == [
                "error \(alice.rawValue): not_in_room"
            ])
        #expect(node.send(alice, #"{"action":"leave","room":"r"}"#, overRate: true) == ["error \(alice.rawValue): not_in_room"])
        #expect(node.send(alice, #"{"action":"join","room":"r"}"#, overRate: true) == ["error \(alice.rawValue): rate_limited"])
        #expect(node.members("r") == nil, "a refused join creates no room")
    }

    @Test func roomLimitsAreAnsweredAndTheConnectionStaysUsable() {
        var node = Node(cluster: false) {
            $0.maximumRoomsPerConnection = 2
            $0.maximumRoomMembers = 1
        }
        node.connect(alice)
        node.connect(bob)
        _ = node.send(alice, #"{"action":"setName","name":"alice"}"#)
        _ = node.send(bob, #"{"action":"setName","name":"bob"}"#)
        #expect(node.send(alice, #"{"action":"join","room":"a"}"#) == ["schedule flushPresence"])
        #expect(node.send(alice, #"{"action":"join","room":"b"}"#) == ["error \(alice.rawValue): too_many_rooms"], "lobby + a is two")
        #expect(node.send(bob, #"{"action":"join","room":"a"}"#) == ["error \(bob.rawValue): room_full"])
        _ = node.send(alice, #"{"action":"leave","room":"lobby"}"#)
        #expect(node.send(alice, #"{"action":"join","room":"b"}"#) == ["schedule flushPresence"])
        let sent = node.send(alice, #"{"action":"sendPublic","message":"hi","room":"b"}"#)
        #expect(sent.count == 1 && sent[0].hasSuffix(#""room":"b"}"#))
    }

    @Test func roomsNoneSkipsTheDefaultRoomAndAnEmptiedRoomIsForgotten() {
        var node = Node(cluster: false) { $0.historySize = 0 }
        node.connect(alice, rooms: true)
        _ = node.send(alice, #"{"action":"setName","name":"alice"}"#)
        #expect(node.members("lobby") == [])
        #expect(node.send(alice, #"{"action":"sendPublic","message":"hi"}"#) == ["error \(alice.rawValue): not_in_room"])
        _ = node.send(alice, #"{"action":"join","room":"x"}"#)
        #expect(node.rooms.count == 2)
        _ = node.send(alice, #"{"action":"rename"}"#)
        _ = node.send(alice, #"{"action":"setName","name":"alicia"}"#)
        #expect(node.members("x") == ["alicia"], "a rename reaches every room")
        _ = EffectLines.of(node.directory.disconnect(alice, rooms: node.rooms))
        #expect(node.rooms.count == 1, "no members and no history: forgotten")
    }
}
