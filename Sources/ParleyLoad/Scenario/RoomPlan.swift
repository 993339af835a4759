import Foundation

/// Who is in which room (`rooms:`), worked out the same way by every part of a run from the
/// scenario alone. Room r's publishers come first: clients r×stride … r×stride+stride−1 (the
/// lowest numbers, which stay on NIO's path and may send), so a token's publisher names its
/// room (`room(ofPublisher:)`). Then each room's size is drawn, and the rooms, largest first,
/// take the clients that are in the fewest rooms so far (dealt in a seeded order), none past
/// `perClient`. A room drawn larger than what is left gets fewer members: the report gives the
/// sizes as they came. A run of more (or fewer) clients than the scenario was written for
/// scales every size by that ratio: a capacity step keeps the rooms' shape.
struct RoomPlan: Sendable, Equatable {
    /// Per room, its members' client indices (ascending).
    let members: [[Int]]
    /// Per client, its rooms (ascending).
    let roomsOf: [[Int]]

    /// Size classes for the report, by member count: 1–10, 11–100, 101–1000, more.
    static let classes: [(name: String, upTo: Int)] = [("1-10", 10), ("11-100", 100), ("101-1000", 1000), (">1000", .max)]

    /// Per room, its size class (looked up per delivery: worked out once here).
    let classOfRoom: [Int]

    /// The plan of `scenario`'s rooms for a run of `clients` (nil without `rooms:`): what the run,
    /// its recorders and its analysis all deal from.
    static func of(_ scenario: Scenario, clients: Int) -> RoomPlan? {
        scenario.rooms.map { RoomPlan($0, clients: clients, publishersPerRoom: scenario.phases.map(\.publishers).max() ?? 0) }
    }

    /// Publisher places per room: the most publishers any phase has.
    let publisherStride: Int
    /// The block the plan was dealt from (its private share, its seed).
    let rooms: ScenarioRooms

    init(_ rooms: ScenarioRooms, clients: Int, publishersPerRoom stride: Int) {
        publisherStride = max(stride, 1)
        self.rooms = rooms
        let stride = publisherStride
        var random = SplitMix64(seed: rooms.seed)
        let scale = Double(clients) / Double(rooms.writtenFor ?? clients)
        let drawn: [Int] = (0..<rooms.count).map { rank in
            let size: Double =
                switch rooms.size {
                case .fixed(let size): Double(size)
                case .uniform(let low, let high): Double(low + Int(random.next() % UInt64(high - low + 1)))
                case .zipf(let exponent, let max): Swift.max(1, (Double(max) / pow(Double(rank + 1), exponent)).rounded())
                }
            return Swift.max(1, Int((size * scale).rounded()))
        }
        var members: [[Int]] = Array(repeating: [], count: rooms.count)
        var roomsOf: [[Int]] = Array(repeating: [], count: clients)
        let publishers = min(clients, rooms.count * stride)
        for client in 0..<publishers {
            members[client / stride].append(client)
            roomsOf[client].append(client / stride)
        }
        // Dealing order: a seeded shuffle, so that rooms do not all start at client 0.
        var order = Array(publishers..<clients)
        for index in Swift.stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(index, Int(random.next() % UInt64(index + 1)))
        }
        // buckets[k]: clients in k rooms so far, in dealing order; a room takes from the lowest.
        var buckets: [[Int]] = Array(repeating: [], count: rooms.perClient + 1)
        buckets[0] = order
        if rooms.perClient > 1 { buckets[1] = Array(0..<publishers) }
        for room in drawn.indices.sorted(by: { drawn[$0] > drawn[$1] || (drawn[$0] == drawn[$1] && $0 < $1) }) {
            var taken: [Int] = []
            var need = min(drawn[room], clients) - members[room].count
            var level = 0
            // Clients taken here move up a bucket only after the room is dealt: none is taken twice.
            while need > 0 && level < rooms.perClient {
                // A room's own publishers are in it already.
                let chosen = buckets[level].lazy.filter { $0 / stride != room || $0 >= publishers }.prefix(need)
                let picked = Set(chosen)
                buckets[level].removeAll { picked.contains($0) }
                taken += picked.sorted()
                need -= picked.count
                level += 1
            }
            for client in taken {
                roomsOf[client].append(room)
                buckets[roomsOf[client].count].append(client)
            }
            members[room] = (members[room] + taken).sorted()
        }
        self.members = members
        self.roomsOf = roomsOf.map { $0.sorted() }
        self.classOfRoom = members.map { room in Self.classes.firstIndex { room.count <= $0.upTo } ?? Self.classes.count - 1 }
    }

    /// The room a publisher's messages go to; nil for a client that publishes nowhere.
    func room(ofPublisher client: Int) -> Int? {
        client / publisherStride < members.count ? client / publisherStride : nil
    }

    /// The class index of `room` (by its members as dealt).
    func sizeClass(of room: Int) -> Int { classOfRoom[room] }

    /// Where a run's private messages are counted apart: after the size classes.
    static var privateClass: Int { classes.count }

    /// The client the run's message `seq` went to when it was private rather than for its
    /// publisher's room; nil for a room's message.
    func privateRecipient(seq: UInt64) -> Int? {
        rooms.isPrivate(seq: seq) ? rooms.privateRecipient(seq: seq, clients: roomsOf.count) : nil
    }
}
