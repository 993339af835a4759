import ParleyChat
import ParleyGateway
import ParleyProtocol
import Testing

@testable import ParleyLoad

/// `rooms:` — the plan of who is in which room, the block's errors, and a run against a real
/// gateway where what is due is worked out per room; a server that keeps members out of a room
/// shows as loss in that room.
@Suite(.serialized, .timeLimit(.minutes(2))) struct RoomsRunTests {
    @Test func thePlanPutsPublishersFirstAndNobodyPastPerClient() {
        let rooms = ScenarioRooms(count: 20, size: .zipf(exponent: 1.0, max: 300), perClient: 3, seed: 7)
        let plan = RoomPlan(rooms, clients: 500, publishersPerRoom: 2)
        #expect(plan == RoomPlan(rooms, clients: 500, publishersPerRoom: 2), "the same scenario, the same rooms")
        #expect(plan.roomsOf.allSatisfy { $0.count <= 3 && Set($0).count == $0.count })
        #expect(plan.members.allSatisfy { Set($0).count == $0.count })
        for room in 0..<20 {
            // Room r's publishers are clients 2r and 2r+1, and they are in it.
            #expect(plan.members[room].contains(2 * room) && plan.members[room].contains(2 * room + 1))
            #expect(plan.room(ofPublisher: 2 * room + 1) == room)
        }
        #expect(plan.room(ofPublisher: 40) == nil, "client 40 publishes nowhere")
        // Zipf: the first room is the largest, 300 members; room 20 gets 300/20 = 15.
        #expect(plan.members[0].count == 300 && plan.members[19].count == 15)
        // Every membership in the rooms is in the clients' lists, and back.
        #expect(plan.members.map(\.count).reduce(0, +) == plan.roomsOf.map(\.count).reduce(0, +))
        #expect(plan.sizeClass(of: 19) == 1 && plan.sizeClass(of: 0) == 2)
    }

    @Test func theBlocksMistakesAreNamed() {
        func failure(_ rooms: String, clients: Int = 100, publishers: Int = 1) -> String? {
            let yaml = """
                name: r
                clients: \(clients)
                rooms: \(rooms)
                phases: [{ name: p, duration: 1s, publishers: \(publishers), rate: 1/s }]
                """
            do {
                _ = try ScenarioParser(file: "r.yaml").parse(yaml)
                return nil
            } catch let error as ScenarioError {
                return "\(error.key): \(error.message)"
            } catch {
                return "\(error)"
            }
        }
        #expect(failure("{ count: 10, size: { fixed: 5 } }") == nil)
        #expect(failure("{ count: 10, size: { fixed: 5 }, members: 3 }")?.hasPrefix("rooms.members: unknown key") == true)
        #expect(failure("{ count: 10, size: { lognormal: 5 } }")?.hasPrefix("rooms.size.lognormal: unknown key") == true)
        #expect(failure("{ count: 10, size: { uniform: [9, 3] } }")?.hasPrefix("rooms.size.uniform[1]: must be at least 9") == true)
        #expect(failure("{ count: 10, size: { zipf: { exponent: 0, max: 5 } } }")?.hasPrefix("rooms.size.zipf.exponent") == true)
        #expect(failure("{ count: 10, size: { fixed: 5 }, perClient: 11 }")?.contains("at most the 10 rooms") == true)
        #expect(failure("{ count: 60, size: { fixed: 5 } }", clients: 100, publishers: 2)?.contains("need 120 clients") == true)
        #expect(failure("{ count: 10, size: { fixed: 5 }, private: 10% }") == nil)
        #expect(failure("{ count: 10, size: { fixed: 5 }, private: 0.25 }") == nil)
        #expect(failure("{ count: 10, size: { fixed: 5 }, private: 120% }")?.hasPrefix("rooms.private: expected a share") == true)
        #expect(failure("{ count: 10, size: { fixed: 5 }, private: some }")?.contains("got \"some\"") == true)
    }

    @Test func thePrivateShareIsTheMessagesOwnAndComesOutAsWritten() throws {
        let scenario = try ScenarioParser(file: "r.yaml").parse(
            """
            name: r
            clients: 100
            rooms: { count: 10, size: { fixed: 5 }, private: 10% }
            phases: [{ name: p, duration: 1s, publishers: 1, rate: 1/s }]
            """)
        let rooms = try #require(scenario.rooms)
        #expect(rooms.privateShare == 0.1)
        let privateOnes = (0..<UInt64(20_000)).filter { rooms.isPrivate(seq: $0) }
        #expect(abs(Double(privateOnes.count) / 20_000 - 0.1) < 0.01, "\(privateOnes.count) of 20,000")
        // The same number, the same answer: publisher and receivers agree without a word.
        #expect(privateOnes == (0..<UInt64(20_000)).filter { rooms.isPrivate(seq: $0) })
        #expect(!ScenarioRooms(count: 1, size: .fixed(1)).isPrivate(seq: 7), "no share, no private message")
        // Each private message has its one recipient, the same for everyone who asks.
        let recipients = privateOnes.map { rooms.privateRecipient(seq: $0, clients: 100) }
        #expect(recipients == privateOnes.map { rooms.privateRecipient(seq: $0, clients: 100) })
        #expect(recipients.allSatisfy { (0..<100).contains($0) } && Set(recipients).count > 80, "spread over the clients")
    }

    @Test func aPrivateMessageAtAnotherClientIsUnexpected() {
        let client = LoadClient(index: 3, recorder: LoopRecorder(runID: 1, runStart: 0), senderReceives: true)
        client.rooms = [0]
        client.becomeReady(at: 10)
        #expect(client.wasMember(at: 20, publisher: 7, recipient: 3), "addressed to it: due, whatever its rooms")
        #expect(!client.wasMember(at: 20, publisher: 0, recipient: 5), "addressed to client 5: not due here, even from its room")
        #expect(!client.wasMember(at: 5, publisher: 0, recipient: 3), "before it was ready")
    }

    private func run(maximumRoomMembers: Int?, privateShare: Double = 0) async throws -> RunReport {
        let gateway = try await HarnessTarget.start { connections, scheduler in
            var configuration = ChatConfiguration()
            configuration.maximumRoomMembers = maximumRoomMembers
            return ChatHandler(connections: connections, scheduler: scheduler, configuration: configuration)
        }
        var scenario = Scenario(name: "rooms", clients: 60, phases: [.init(name: "steady", duration: .seconds(2), publishers: 1, rate: 10)])
        scenario.settle = .milliseconds(300)
        scenario.rooms = ScenarioRooms(count: 6, size: .fixed(10), perClient: 2)
        scenario.rooms?.privateShare = privateShare
        let report = try await LoadTest(scenario: scenario, source: "", options: quietOptions()).run(targets: [gateway.url])
        try await gateway.stop()
        return report.runs[0]
    }

    @Test func whatIsDueIsEachRoomsMembersAndNothingReachesOutsiders() async throws {
        let run = try await run(maximumRoomMembers: nil)
        let rooms = try #require(run.rooms)
        #expect(rooms.rooms == 6 && rooms.memberships == 60 && rooms.smallest == 10 && rooms.largest == 10)
        let small = try #require(rooms.classes.first)
        #expect(rooms.classes.count == 1 && small.name == "1-10" && small.rooms == 6)
        // Each message is due to its room's 10 members, not to the 60 clients.
        #expect(small.messages > 0 && small.expected == small.messages * 10, "\(small)")
        #expect(small.received == small.expected && small.lost == 0 && rooms.roomsWithLoss == 0)
        #expect(run.overall.expected == small.expected && run.overall.unexpected == 0 && run.overall.duplicates == 0)
        #expect(small.fanout.count == small.received)
    }

    @Test func aServerThatKeepsMembersOutShowsAsLossInTheirRooms() async throws {
        // Rooms of at most 6: 4 of each room's 10 joins are refused (room_full), yet are due.
        let run = try await run(maximumRoomMembers: 6)
        let rooms = try #require(run.rooms)
        let small = try #require(rooms.classes.first)
        #expect(rooms.roomsWithLoss == 6)
        #expect(small.lost == small.messages * 4 && small.received == small.messages * 6, "\(small)")
        #expect(run.overall.unexpected == 0)
    }

    @Test func aPrivateShareReachesItsOneRecipientWhereverItsRoomsAre() async throws {
        let run = try await run(maximumRoomMembers: nil, privateShare: 0.3)
        let rooms = try #require(run.rooms)
        let small = try #require(rooms.classes.first)
        let privateOnes = try #require(rooms.privateMessages)
        // About 30 % of the messages, each due to one client (any of the 60, most in no room of
        // the publisher's): a delivery outside the publisher's room counted as due, not unexpected.
        #expect(privateOnes.messages > 0 && privateOnes.expected == privateOnes.messages, "\(privateOnes)")
        #expect(privateOnes.received == privateOnes.expected && privateOnes.lost == 0 && privateOnes.fanout.count == privateOnes.received)
        #expect(small.expected == small.messages * 10 && small.received == small.expected, "\(small)")
        #expect(run.overall.messagesSent == small.messages + privateOnes.messages)
        #expect(run.overall.expected == small.expected + privateOnes.expected && run.overall.received == run.overall.expected)
        #expect(run.overall.unexpected == 0 && run.overall.duplicates == 0)
        let share = Double(privateOnes.messages) / Double(run.overall.messagesSent)
        #expect(share > 0.15 && share < 0.45, "\(share)")
    }
}

extension RoomsRunTests {
    @Test func aRunOfMoreClientsKeepsTheRoomsShape() {
        var rooms = ScenarioRooms(count: 10, size: .fixed(20), perClient: 1)
        rooms.writtenFor = 200
        #expect(RoomPlan(rooms, clients: 200, publishersPerRoom: 1).members.map(\.count) == Array(repeating: 20, count: 10))
        // A capacity step of 800 clients: rooms of 80, every client still in one.
        let larger = RoomPlan(rooms, clients: 800, publishersPerRoom: 1)
        #expect(larger.members.map(\.count) == Array(repeating: 80, count: 10) && larger.roomsOf.allSatisfy { $0.count == 1 })
    }
}
