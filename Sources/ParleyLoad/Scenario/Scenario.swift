/// One load run, as written in a scenario file (docs/LOAD.md, "Scenario file").
public struct Scenario: Codable, Sendable, Equatable {
    public enum Target: Codable, Sendable, Equatable {
        /// A gateway started inside the load process on a free loopback port.
        case embedded
        /// ws:// or wss:// URLs; clients are spread over them round-robin.
        case urls([String])
    }

    public enum MessageKind: String, Codable, Sendable, CaseIterable {
        /// Parley's `sendPublic`: every member gets it, the sender included.
        case `public`
        /// Parley's `sendPrivate` to a random member: exactly one recipient.
        case `private`
        /// A frame from `template` with `{token}` in it, for servers that are not Parley; every
        /// other connection (or every one, with `includeSender`) is expected to get it.
        case raw
    }

    public struct Connect: Codable, Sendable, Equatable {
        /// Arrivals per second (open model: each client starts at its own instant).
        public var rate: Double = 500
        /// Local source addresses to spread clients over (past ~28k connections per address).
        public var sources: [String] = []
        /// A connect (TCP + upgrade + ready) slower than this counts as a timeout error.
        public var timeout: Duration = .seconds(10)
    }

    public struct Message: Codable, Sendable, Equatable {
        public var kind: MessageKind = .public
        /// Bytes of text per message, token included.
        public var size: Int = 128
        public var template: String?
        /// Whether the sender gets its own message (Parley's public does; a plain relay does not).
        public var includeSender: Bool?

        public var senderReceives: Bool { includeSender ?? (kind == .public) }

        public init(kind: MessageKind = .public, size: Int = 128, template: String? = nil, includeSender: Bool? = nil) {
            self.kind = kind
            self.size = size
            self.template = template
            self.includeSender = includeSender
        }
    }

    public struct Phase: Codable, Sendable, Equatable {
        public var name: String
        public var duration: Duration
        public var publishers: Int
        /// Messages per second per publisher at the start of the phase.
        public var rate: Double
        /// If set, the rate ramps linearly to this by the end of the phase.
        public var rampTo: Double?

        public init(name: String, duration: Duration, publishers: Int, rate: Double, rampTo: Double? = nil) {
            self.name = name
            self.duration = duration
            self.publishers = publishers
            self.rate = rate
            self.rampTo = rampTo
        }
    }

    public struct Churn: Codable, Sendable, Equatable {
        /// Clients leaving (and as many new ones joining) per second during phases.
        public var rate: Double
    }

    /// `reconnect:` — clients that lose their connection come back and resume where they stopped
    /// (docs/LOAD.md, "Reconnects and resume"): a share dropped at once by the harness, and any
    /// member the server closes (a node killed).
    public struct Reconnect: Codable, Sendable, Equatable {
        /// The share of members (0…1, publishers excepted) the harness drops at once at `at`.
        public var drop: Double = 0
        /// When, from the start of the phases.
        public var at: Duration?
        /// How long a dropped client stays away before it reconnects.
        public var away: Duration = .seconds(2)
        /// Reconnect with `?since=&epoch=` (false: a plain reconnect, which misses what was sent
        /// meanwhile — the comparison that shows what resume is for).
        public var resume = true

        public init(drop: Double = 0, at: Duration? = nil, away: Duration = .seconds(2), resume: Bool = true) {
            self.drop = drop
            self.at = at
            self.away = away
            self.resume = resume
        }
    }

    public struct Ready: Codable, Sendable, Equatable {
        /// Sent after `hello`; the client is a member once a frame containing `expect` arrives.
        public var send: String
        public var expect: String
    }

    public var name: String
    public var description: String = ""
    public var target: Target = .embedded
    public var clients: Int
    public var connect = Connect()
    /// The `?members=` feed appended to Parley URLs that carry no query (`none` by default, so
    /// that fan-out scenarios measure messages, not presence).
    public var members: String? = "none"
    /// The first frame each client sends; `{i}` is the client's index.
    public var hello: String? = #"{"action":"setName","name":"u{i}"}"#
    public var ready: Ready?
    public var message = Message()
    public var phases: [Phase]
    public var churn: Churn?
    /// Wait between the last client being ready and the first phase.
    public var settle: Duration = .milliseconds(500)
    /// Repeat the run once per value, in one report.
    public var sweepClients: [Int]?
    /// Record when each client first holds the complete member list (a `members` event naming
    /// every client), for presence storms; needs `members: full` or `delta`.
    public var measurePresence = false
    /// Extra clients that join and then stop reading (`SlowConsumers`); nil or 0 for none.
    public var slowConsumers: Int?
    /// Sockets that attack the server beside the members (`HalfOpenAttack`); nil for none.
    public var attack: Attack?
    /// Metric → condition, e.g. `fanout.p99: "< 50ms"`.
    public var thresholds: [String: String] = [:]
    /// `compare:` — metric → tolerance for `compare` and `run --baseline` (`fanout.p99: 15%`,
    /// `connect.p99: ignore`). How a result is judged, not what runs: left out of the digest.
    public var compare: [String: Tolerance]? = nil

    /// `reconnect:` — drops and server closes answered by reconnecting and resuming; nil: a client
    /// the server closes is an error, as ever.
    public var reconnect: Reconnect?
    /// `rooms:` — many rooms; nil: one room (the server's default room), as ever.
    public var rooms: ScenarioRooms?
    /// Each client's credential (`auth:`): minted tokens or a fixed one, and extra headers.
    public var auth: ScenarioAuth?
    /// `faults:` — cuts and kills of a lab's hosts at given times (`run --lab`); nil for none
    /// (and left out of the digest then, as every absent section).
    public var faults: [ScenarioFault]?
    /// `attack:` — a slowloris beside the members.
    public struct Attack: Codable, Sendable, Equatable {
        /// Sockets that send half a request line and wait (reopened when closed).
        public var halfOpen: Int
        /// Also run the scenario without the attack first, in the same report, for comparison.
        public var baseline = true

        public init(halfOpen: Int, baseline: Bool = true) {
            self.halfOpen = halfOpen
            self.baseline = baseline
        }
    }

    public init(name: String, clients: Int, phases: [Phase]) {
        self.name = name
        self.clients = clients
        self.phases = phases
    }

    /// The readiness probe in force: the scenario's own, or for Parley kinds with the default
    /// hello a private message to oneself (cheap, and proves the name took).
    public var effectiveReady: Ready? {
        if let ready { return ready }
        guard message.kind != .raw, hello == Scenario.defaultHello else { return nil }
        return Ready(send: #"{"action":"sendPrivate","message":"ready","to":"u{i}"}"#, expect: #""privateMessage""#)
    }

    public static let defaultHello = #"{"action":"setName","name":"u{i}"}"#

    public var totalDuration: Duration { phases.reduce(.zero) { $0 + $1.duration } }

    /// Clients refresh their tokens during the run (its phases, the settle and the drain's 10 s).
    var refreshesTokens: Bool { auth?.refreshes(inRunOf: totalDuration + settle + .seconds(10)) ?? false }
}
