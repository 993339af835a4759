import Foundation
import Logging
import ParleyProtocol
import Synchronization

/// The chat ("the Lambda"): answers `setName`, `join`, `leave`, `sendPublic`, `sendPrivate`,
/// `$connect`, `$disconnect` and `$default`. The rules live in values: the node's `Directory`
/// (names, memberships) and one `Room` per room, each behind its own lock (`Serialized`); this
/// class only feeds them and performs the effects they return, after the locks are released.
///
/// A `sendPublic` takes only its room's lock: rooms never wait for each other, and a node's event
/// loops work on different rooms at once. Everything else goes through the directory's lock,
/// which takes a room's lock inside it when it changes a room (never the other way round).
public final class ChatHandler: RouteHandler, ClusterRoom {
    public static let routes = ActionName.chatRoutes

    private let directory: Serialized<Directory>
    private let rooms: RoomTable
    /// Connections whose frames wait behind a name claim (cluster only): while any do, every
    /// `sendPublic` goes through the directory, which parks it if its sender is one of them.
    private let parkedCount = Atomic<Int>(0)
    private let connections: any Connections
    private let scheduler: any Scheduler
    private let logger: Logger
    private let bus: (any ClusterBus)?
    private let configuration: ChatConfiguration
    private let clockMillis: @Sendable () -> Int64

    public var routeKeys: Set<String> { Self.routes }

    public init(
        connections: any Connections,
        scheduler: any Scheduler,
        configuration: ChatConfiguration = ChatConfiguration(),
        clockMillis: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
        logger: Logger = Logger(label: "parley.chat"),
        bus: (any ClusterBus)? = nil
    ) {
        let cluster = bus != nil
        self.rooms = RoomTable(defaultName: configuration.defaultRoom) { name in
            Room(name: name, configuration: configuration, decidedByCluster: cluster, clockMillis: clockMillis)
        }
        self.directory = Serialized(Directory(configuration: configuration, decidedByCluster: cluster, clockMillis: clockMillis))
        self.connections = connections
        self.scheduler = scheduler
        self.logger = logger
        self.bus = bus
        self.configuration = configuration
        self.clockMillis = clockMillis
        bus?.attach(self)
    }

    // MARK: RouteHandler

    public func connect(_ request: ConnectRequest) -> ConnectDecision {
        guard let feed = PresenceFeed.parse(queryValue: request.query["members"]) else {
            return .refuse(status: 400, reason: "members must be one of full, delta, none")
        }
        let joinsDefaultRoom: Bool
        switch request.query["rooms"] {
        case nil: joinsDefaultRoom = true
        case "none"?:
            if bus != nil {
                return .refuse(status: 400, reason: "rooms=none: on a cluster node the default room holds every named connection")
            }
            joinsDefaultRoom = false
        case let other?:
            return .refuse(status: 400, reason: "rooms must be none (or absent: join the default room), got \(other.prefix(40))")
        }
        let resume = ResumeRequest.parse(since: request.query["since"], epoch: request.query["epoch"])
        _ = directory.change { directory in
            directory.connect(
                request.connectionID, feed: feed, joinsDefaultRoom: joinsDefaultRoom, resume: resume, identity: request.identity)
            return []
        }
        return .accept
    }

    public func receive(_ event: MessageEvent) {
        if case .route(ActionName.sendPublic, let frame) = event.selection, parkedCount.load(ordering: .relaxed) == 0,
            sendPublicToItsRoom(frame, event)
        {
            return
        }
        changeDirectory { $0.receive(event, rooms: rooms) }
    }

    public func disconnect(_ id: ConnectionID) { changeDirectory { $0.disconnect(id, rooms: rooms) } }

    public func identityRefreshed(_ id: ConnectionID, to identity: ConnectionIdentity) {
        changeDirectory { directory in
            directory.refreshIdentity(id, to: identity, rooms: rooms)
            return Directory.Outcome()
        }
    }

    public func attributes(of id: ConnectionID) -> [String: String] {
        directory.read { $0.name(of: id) }.map { ["name": $0.display] } ?? [:]
    }

    /// The default room's named members in join order, as this node sees them (for operators and tests).
    public var memberNames: [String] { rooms.defaultRoom.read { $0.memberNames } }

    /// The rooms this node holds, the default room included (for operators and tests).
    public var roomCount: Int { rooms.count }

    /// The hot path: a member's message goes to its room under that room's lock only. False when
    /// the room refused it (the sender is not a member), or is not served here: the directory
    /// then answers why, in the checks' order.
    private func sendPublicToItsRoom(_ frame: InboundFrame, _ event: MessageEvent) -> Bool {
        let id = event.connectionID
        guard let message = try? PublicMessage(frame, maximumScalars: configuration.maximumMessageScalars, defaultRoom: rooms.defaultName),
            let cell = rooms.cell(message.room)
        else { return false }
        let (drain, member) = cell.publish(from: id, text: message.text, timestampMillis: clockMillis(), overRate: event.overRate)
        guard member else { return false }
        cell.drain(drain) { perform($0, in: cell) }
        return true
    }

    // MARK: ClusterRoom (what the bus decided)

    public func apply(_ event: RoomEvent) {
        switch event {
        case .publicMessage:
            let cell = rooms.defaultRoom
            cell.drain(cell.change { $0.apply(event) }) { perform($0, in: cell) }
        case .roomMessage(let room, _, _, _, _):
            // A room this node no longer holds (its last member here just left) hears nothing.
            guard let cell = rooms.cell(room) else { return }
            cell.drain(cell.change { $0.apply(event) }) { perform($0, in: cell) }
        default:
            changeDirectory { $0.apply(event, rooms: rooms) }
        }
    }

    public func refuse(_ command: RoomCommand, because error: ProtocolError) {
        switch command {
        case .resume(let id, _): finishResume(id, with: nil)
        case .roomResume(let id, let room, _): finishResume(id, in: room, with: nil)
        default: changeDirectory { $0.refuse(command, because: error, rooms: rooms) }
        }
    }

    public func resynchronize(named: [(id: ConnectionID, name: ChatName)]) {
        changeDirectory { $0.resynchronize(named: named, rooms: rooms) }
    }

    public func localNamedMembers() -> [(id: ConnectionID, name: ChatName)] {
        rooms.defaultRoom.read { $0.localNamedMembers }
    }

    public func appliedSeq(in room: RoomName?) -> UInt64? {
        guard let cell = room.map({ rooms.cell($0) }) ?? rooms.defaultRoom else { return nil }
        return cell.read { $0.caughtUpSeq }
    }

    public func appliedEpoch(in room: RoomName?) -> String? {
        guard let cell = room.map({ rooms.cell($0) }) ?? rooms.defaultRoom else { return nil }
        return cell.read { $0.caughtUpEpoch }
    }

    public func catchUp(in room: RoomName?, with history: HistorySnapshot) {
        guard let cell = room.map({ rooms.cell($0) }) ?? rooms.defaultRoom else { return }
        cell.drain(cell.change { $0.catchUp(with: history) }) { perform($0, in: cell) }
    }

    public func finishResume(_ id: ConnectionID, with history: HistorySnapshot?) {
        let cell = rooms.defaultRoom
        cell.drain(cell.change { $0.finishResume(id, with: history) }) { perform($0, in: cell) }
    }

    public func finishResume(_ id: ConnectionID, in room: RoomName, with history: HistorySnapshot?) {
        guard let cell = rooms.cell(room) else { return }
        cell.drain(cell.change { $0.finishResume(id, with: history) }) { perform($0, in: cell) }
    }

    public func resynchronize(room: RoomName, named: [(id: ConnectionID, name: ChatName)]) {
        guard let cell = rooms.cell(room) else { return }
        cell.drain(cell.change { $0.resynchronize(named: named) }) { perform($0, in: cell) }
    }

    public func localRoomMemberships() -> [(id: ConnectionID, room: RoomName, name: ChatName)] {
        // Not the default room's: every named connection is in it, and it is no named room (a
        // reconnected node that watched it as one took its members from the named rooms' table
        // — its own members only — and lost every other node's from its list).
        let defaultName = rooms.defaultName
        return directory.read { $0.localRoomMemberships }.filter { $0.room != defaultName }
    }

    // MARK: the effect runner

    /// Changes the directory (and through it, rooms); then performs the directory's effects and
    /// each changed room's, outside every lock.
    private func changeDirectory(_ body: (inout Directory) -> Directory.Outcome) {
        let (drain, changedRooms) = directory.change { directory in
            let outcome = body(&directory)
            self.parkedCount.store(directory.parkedCount, ordering: .relaxed)
            return (outcome.effects, outcome.rooms)
        }
        directory.drain(drain) { perform($0, in: nil) }
        for (cell, roomDrain) in changedRooms { cell.drain(roomDrain) { perform($0, in: cell) } }
    }

    /// `cell`: the room whose effect this is (its timers wake it); nil for the directory's.
    private func perform(_ effect: RoomEffect, in cell: RoomTable.Cell?) {
        switch effect {
        case .post(let payload, let id): connections.post(payload, to: id)
        case .broadcast(let payload, let ids): connections.post(payload, to: ids)
        case .postToEach(let payload, let ids): connections.post(payload, to: ids)
        case .error(let error, let id): connections.postError(error, to: id)
        case .submit(let command): bus?.submit(command)
        case .schedule(let delay, let timer):
            guard let cell else { return }
            scheduler.schedule(after: delay) { [self] in fire(timer, in: cell) }
        case .warning(let message): logger.warning("\(message)")
        }
    }

    private func fire(_ timer: RoomTimer, in cell: RoomTable.Cell) {
        if timer == .forgetIfEmpty {
            guard let name = cell.read({ $0.name }) else { return }
            changeDirectory { directory in
                directory.forgetIfIdle(name, rooms: rooms)
                return Directory.Outcome()
            }
            return
        }
        cell.drain(cell.change { $0.fire(timer, now: .now) }) { perform($0, in: cell) }
    }
}
