import Logging
import ParleyGateway
import ParleyLoad
import ParleyProtocol
import ParleyTestSupport
import Synchronization

/// A gateway on a free loopback port running any handler (Parley's chat, or a lying relay).
enum HarnessTarget {
    static func start(
        configure: (inout GatewayConfiguration) -> Void = { _ in },
        makeHandler: @escaping (any Connections, any Scheduler) -> any RouteHandler
    ) async throws -> RunningGateway {
        var configuration = GatewayConfiguration.forTests()
        configuration.eventLoopCount = 1
        configure(&configuration)
        var logger = Logger(label: "harness-target")
        logger.logLevel = .warning
        return try await RunningGateway.start(configuration: configuration, logger: logger, makeHandler: makeHandler)
    }
}

/// A relay that is not Parley: `{"action":"relay","body":"…"}` goes to every other connection
/// as the bare body — and, on request, lies: drops every Nth delivery, duplicates every Nth, or
/// delays everything. It counts its lies so the test can hold the harness to them exactly.
final class LyingRelay: RouteHandler {
    enum Lie: Sendable {
        case none
        case dropEvery(Int)
        case duplicateEvery(Int)
        case delay(Duration)
        /// Also sends each message back to its sender, which a relay scenario does not expect.
        case echoToSender
        /// Drops every 10th delivery while it has more than `members` connections: a server
        /// whose capacity is known exactly, whatever the machine's timing.
        case dropAbove(members: Int)
        /// Every nth message goes to nobody, and its sender gets a cluster node's refusal
        /// (`unavailable`, "not sent").
        case refuseEvery(Int)
        /// Every nth message is refused to its sender and delivered to one member all the same:
        /// a server that broke its word.
        case refuseAndDeliverOnceEvery(Int)
    }

    static let refusal = Payload(
        bytes: Array(
            #"{"error":{"code":"unavailable","message":"not sent: the cluster's database was unreachable for 30 s; nobody received it","action":"sendPublic"}}"#
                .utf8))

    private let connections: any Connections
    private let scheduler: any Scheduler
    private let lie: Lie
    private let state = Mutex<(members: [ConnectionID], deliveries: Int, lies: Int, sources: Set<String>, messages: Int)>(
        ([], 0, 0, [], 0))

    init(connections: any Connections, scheduler: any Scheduler, lie: Lie) {
        self.connections = connections
        self.scheduler = scheduler
        self.lie = lie
    }

    var routeKeys: Set<String> { ["relay"] }
    var lies: Int { state.withLock { $0.lies } }
    /// The client addresses connections came from.
    var sources: Set<String> { state.withLock { $0.sources } }

    func connect(_ request: ConnectRequest) -> ConnectDecision {
        state.withLock {
            $0.members.append(request.connectionID)
            if let source = request.sourceIP { $0.sources.insert(source) }
        }
        return .accept
    }

    func disconnect(_ id: ConnectionID) {
        state.withLock { $0.members.removeAll { $0 == id } }
    }

    func attributes(of id: ConnectionID) -> [String: String] { [:] }

    func receive(_ event: MessageEvent) {
        guard case .route(_, let frame) = event.selection, case .string(let body)? = frame.fields["body"] else { return }
        let payload = Payload(bytes: Array(body.utf8))
        state.withLock { state in
            state.messages += 1
            switch lie {
            case .refuseEvery(let n) where state.messages % n == 0:
                state.lies += 1
                connections.post(Self.refusal, to: event.connectionID)
                return
            case .refuseAndDeliverOnceEvery(let n) where state.messages % n == 0:
                state.lies += 1
                connections.post(Self.refusal, to: event.connectionID)
                if let member = state.members.first(where: { $0 != event.connectionID }) { connections.post(payload, to: member) }
                return
            default:
                break
            }
            if case .echoToSender = lie {
                state.lies += 1
                connections.post(payload, to: event.connectionID)
            }
            for member in state.members where member != event.connectionID {
                state.deliveries += 1
                switch lie {
                case .none, .echoToSender, .refuseEvery, .refuseAndDeliverOnceEvery:
                    connections.post(payload, to: member)
                case .dropAbove(let members):
                    if state.members.count > members && state.deliveries % 10 == 0 {
                        state.lies += 1
                    } else {
                        connections.post(payload, to: member)
                    }
                case .dropEvery(let n):
                    if state.deliveries % n == 0 { state.lies += 1 } else { connections.post(payload, to: member) }
                case .duplicateEvery(let n):
                    connections.post(payload, to: member)
                    if state.deliveries % n == 0 {
                        state.lies += 1
                        connections.post(payload, to: member)
                    }
                case .delay(let delay):
                    let connections = self.connections
                    scheduler.schedule(after: delay) { connections.post(payload, to: member) }
                }
            }
        }
    }
}

/// A raw-relay scenario: `clients` connections, `publishers` × `rate` for `seconds`.
func relayScenario(clients: Int, publishers: Int, rate: Double, seconds: Int) -> Scenario {
    var scenario = Scenario(
        name: "relay", clients: clients,
        phases: [Scenario.Phase(name: "steady", duration: .seconds(seconds), publishers: publishers, rate: rate, rampTo: nil)])
    scenario.hello = nil
    scenario.members = nil
    scenario.settle = .milliseconds(200)
    scenario.message = Scenario.Message(kind: .raw, size: 80, template: #"{"action":"relay","body":"{token}"}"#, includeSender: false)
    return scenario
}

/// One run of the relay scenario against a `LyingRelay` telling `lie`; the report and how many
/// lies it told.
func runAgainstRelay(
    _ lie: LyingRelay.Lie, clients: Int, seconds: Int, options: LoadTest.Options = quietOptions()
) async throws -> (RunReport, lies: Int) {
    let relay = Mutex<LyingRelay?>(nil)
    let target = try await HarnessTarget.start { connections, scheduler in
        let handler = LyingRelay(connections: connections, scheduler: scheduler, lie: lie)
        relay.withLock { $0 = handler }
        return handler
    }
    let test = LoadTest(scenario: relayScenario(clients: clients, publishers: 2, rate: 10, seconds: seconds), source: "", options: options)
    let report = try await test.run(targets: [target.url])
    try await target.stop()
    return (report.runs[0], relay.withLock { $0!.lies })
}

/// A public-message scenario against Parley's chat: `clients` members, one steady phase.
func chatScenario(_ name: String, clients: Int, publishers: Int, rate: Double, seconds: Int) -> Scenario {
    var scenario = Scenario(
        name: name, clients: clients,
        phases: [Scenario.Phase(name: "steady", duration: .seconds(seconds), publishers: publishers, rate: rate, rampTo: nil)])
    scenario.settle = .milliseconds(100)
    return scenario
}

func quietOptions(eventLoops: Int = 2) -> LoadTest.Options {
    var options = LoadTest.Options()
    options.quiet = true
    options.eventLoops = eventLoops
    return options
}
