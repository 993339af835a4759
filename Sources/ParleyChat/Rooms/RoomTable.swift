import ParleyProtocol
import Synchronization

/// The node's rooms by name, each its own `Serialized<Room>`: one room's events never wait for
/// another's lock, so a node's event loops work on different rooms at once. Looking a room up
/// takes only the lock of one of 64 shards (chosen by the name's hash), held for a dictionary
/// read. Rooms are created and forgotten only under the directory's lock, so a join never
/// lands in a room being forgotten.
final class RoomTable: Sendable {
    typealias Cell = Serialized<Room>

    let defaultName: RoomName
    /// Kept apart: the tutorial's room is looked up by no name, and is never forgotten.
    let defaultRoom: Cell
    private let shards: [Shard]
    private let make: @Sendable (RoomName) -> Room
    private let rooms = Atomic<Int>(1)

    init(defaultName: RoomName, make: @escaping @Sendable (RoomName?) -> Room) {
        self.defaultName = defaultName
        self.defaultRoom = Cell(make(nil))
        self.make = { make($0) }
        self.shards = (0..<64).map { _ in Shard() }
    }

    /// How many rooms the node holds (the default room included).
    var count: Int { rooms.load(ordering: .relaxed) }

    func cell(_ name: RoomName) -> Cell? {
        if name == defaultName { return defaultRoom }
        return shard(name).rooms.withLock { $0[name] }
    }

    /// The room, created empty when the node holds none of that name. Under the directory's lock.
    func cellCreating(_ name: RoomName) -> Cell {
        if name == defaultName { return defaultRoom }
        return shard(name).rooms.withLock { rooms in
            if let cell = rooms[name] { return cell }
            let cell = Cell(make(name))
            rooms[name] = cell
            self.rooms.wrappingAdd(1, ordering: .relaxed)
            return cell
        }
    }

    /// Every room held, the default room first (a cluster's renames reach them all).
    var allCells: [Cell] {
        [defaultRoom] + shards.flatMap { shard in shard.rooms.withLock { Array($0.values) } }
    }

    /// Drops a room nobody is in. Under the directory's lock.
    func forget(_ name: RoomName) {
        guard name != defaultName else { return }
        let removed = shard(name).rooms.withLock { $0.removeValue(forKey: name) != nil }
        if removed { rooms.wrappingSubtract(1, ordering: .relaxed) }
    }

    private func shard(_ name: RoomName) -> Shard {
        shards[Int(UInt(bitPattern: name.hashValue) % UInt(shards.count))]
    }

    /// A Mutex cannot live in an array: each shard is a small class around one.
    private final class Shard: Sendable {
        let rooms = Mutex<[RoomName: Cell]>([:])
    }
}

extension Serialized<Room> {
    /// A member's public message into this room, under its lock (the hot path and the
    /// directory's both). `member` false: the sender is not in the room (the caller says why).
    func publish(from id: ConnectionID, text: String, timestampMillis: Int64, overRate: Bool) -> (drain: Drain, member: Bool) {
        let (drain, member) = change { room -> (effects: [RoomEffect], output: Bool) in
            guard let mayPublish = room.publishRight(id) else { return ([], false) }
            if !mayPublish { return ([.error(RouteChecks.forbiddenToPublish(room.name), to: id)], true) }
            if overRate { return ([.error(RouteChecks.rateLimited(ActionName.sendPublic), to: id)], true) }
            return (room.publish(from: id, text: text, timestampMillis: timestampMillis) ?? [], true)
        }
        return (drain, member)
    }
}
