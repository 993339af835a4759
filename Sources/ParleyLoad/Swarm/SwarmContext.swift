import NIOCore
import NIOWebSocket
import Synchronization

/// What every part of one run shares: the scenario and its targets, the event loops with each
/// loop's recorder and clients, the connector, the direct receive path if any, this process's
/// share of a split run, and the tally. Made once by `LoadRun`; never changed.
final class SwarmContext: Sendable {
    let scenario: Scenario
    let clientCount: Int
    let targets: [TargetURL]
    let runID: UInt32
    let runStart: UInt64
    let loops: [any EventLoop]
    let recorders: [LoopBound<LoopRecorder>]
    let clients: [LoopBound<LoopClients>]
    let connector: ClientConnector
    let direct: DirectClientReaders?
    /// The lowest client numbers stay on NIO: publishers are chosen from them.
    let publisherReserve: Int
    /// This process's part of a run split over agents (`run --agents`); nil for a whole run.
    let share: RunShare?
    let tally: SwarmTally
    /// With `rooms:`: who is in which room, the same in every part of the run.
    let roomPlan: RoomPlan?
    /// The clients' tokens (`auth:`), minted before the swarm connects.
    private let credentialsBox = Mutex<ClientCredentials?>(nil)
    var credentials: ClientCredentials? { credentialsBox.withLock { $0 } }
    func install(_ credentials: ClientCredentials) { credentialsBox.withLock { $0 = credentials } }

    /// Client `index`'s dial: the target with its token where the scenario puts it.
    func dial(_ target: TargetURL, for index: Int) -> (target: TargetURL, headers: [(String, String)]) {
        guard let credentials else { return (target, []) }
        return (credentials.target(target, for: index), credentials.headers(for: index))
    }

    init(
        scenario: Scenario, clientCount: Int, targets: [TargetURL], runID: UInt32, runStart: UInt64, loops: [any EventLoop],
        recorders: [LoopBound<LoopRecorder>], clients: [LoopBound<LoopClients>], connector: ClientConnector,
        direct: DirectClientReaders?, share: RunShare?, roomPlan: RoomPlan? = nil
    ) {
        self.scenario = scenario
        self.clientCount = clientCount
        self.targets = targets
        self.runID = runID
        self.runStart = runStart
        self.loops = loops
        self.recorders = recorders
        self.clients = clients
        self.connector = connector
        self.direct = direct
        self.share = share
        let mostPublishers = scenario.phases.map(\.publishers).max() ?? 0
        self.roomPlan = roomPlan
        // A room's publishers are its first `mostPublishers` clients r×stride…: all kept on NIO.
        let roomPublishers = scenario.rooms.map { $0.count * mostPublishers }
        self.publisherReserve = roomPublishers ?? share.map { $0.publishers.max() ?? 0 } ?? mostPublishers
        self.tally = SwarmTally(firstNewClient: (share?.clientBase ?? 0) + clientCount)
    }

    /// The first client number of this process's share (0 for a whole run).
    var clientBase: Int { share?.clientBase ?? 0 }

    /// Whether client `index` reads on the direct path once ready (`ReceiveLoop`).
    func receivesDirectly(_ index: Int) -> Bool {
        guard let direct, index - clientBase >= publisherReserve else { return false }
        return direct.address(forTarget: index % targets.count) != nil
    }

    func send(text: String, on channel: any Channel) {
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text))
        channel.writeAndFlush(frame, promise: nil)
    }
}
