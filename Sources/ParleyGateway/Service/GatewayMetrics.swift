import CoreMetrics
import NIOCore
import ParleyAuth
import ParleyProtocol
import Prometheus

/// What the gateway counts, through swift-metrics' API, into its own Prometheus registry (one per
/// gateway: tests run several in one process, and a global bootstrap can happen only once).
/// `/metrics` on `--metrics-port` serves `exposition()`.
public final class GatewayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    let connections: CoreMetrics.Meter
    let accepted: CoreMetrics.Counter
    let framesOut: CoreMetrics.Counter
    let slowConsumerCloses: CoreMetrics.Counter
    /// From the handler's post to many until the last event loop has written its share.
    let fanOut: CoreMetrics.Timer
    /// Sockets closed by a deadline before the upgrade: headers too slow (408), idle keep-alive.
    let headerTimeouts: CoreMetrics.Counter
    let idleHTTPCloses: CoreMetrics.Counter
    /// Sockets closed on accept because `maximumPendingUpgrades` others were still before theirs.
    let pendingUpgradeRefusals: CoreMetrics.Counter
    private let errors: [ErrorCode: CoreMetrics.Counter]
    private let refusals: [Int: CoreMetrics.Counter]
    private let authRefusals: [AuthRefusal: CoreMetrics.Counter]
    /// Connections let in by the authorizer, and `refresh`es it accepted.
    let authAllowed: CoreMetrics.Counter
    let tokenRefreshes: CoreMetrics.Counter
    let tokenExpiryCloses: CoreMetrics.Counter
    private let factory: PrometheusMetricsFactory

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["parley_broadcast_fanout_seconds"] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1),
        ]
        self.factory = factory
        connections = CoreMetrics.Meter(label: "parley_connections", factory: factory)
        accepted = CoreMetrics.Counter(label: "parley_connections_accepted_total", factory: factory)
        framesOut = CoreMetrics.Counter(label: "parley_frames_out_total", factory: factory)
        slowConsumerCloses = CoreMetrics.Counter(label: "parley_slow_consumer_closes_total", factory: factory)
        fanOut = CoreMetrics.Timer(label: "parley_broadcast_fanout_seconds", factory: factory)
        headerTimeouts = CoreMetrics.Counter(label: "parley_request_timeouts_total", dimensions: [("kind", "headers")], factory: factory)
        idleHTTPCloses = CoreMetrics.Counter(label: "parley_request_timeouts_total", dimensions: [("kind", "idle")], factory: factory)
        pendingUpgradeRefusals = CoreMetrics.Counter(label: "parley_pending_upgrade_refusals_total", factory: factory)
        var errors: [ErrorCode: CoreMetrics.Counter] = [:]
        for code in ErrorCode.allCases {
            errors[code] = CoreMetrics.Counter(label: "parley_errors_total", dimensions: [("code", code.rawValue)], factory: factory)
        }
        self.errors = errors
        var refusals: [Int: CoreMetrics.Counter] = [:]
        for status in [400, 401, 403, 404, 429, 431, 503] {
            refusals[status] = CoreMetrics.Counter(
                label: "parley_upgrade_refusals_total", dimensions: [("status", String(status))], factory: factory)
        }
        self.refusals = refusals
        var authRefusals: [AuthRefusal: CoreMetrics.Counter] = [:]
        for reason in AuthRefusal.allCases {
            authRefusals[reason] = CoreMetrics.Counter(
                label: "parley_auth_refusals_total", dimensions: [("reason", reason.rawValue)], factory: factory)
        }
        self.authRefusals = authRefusals
        authAllowed = CoreMetrics.Counter(label: "parley_auth_allowed_total", factory: factory)
        tokenRefreshes = CoreMetrics.Counter(label: "parley_token_refreshes_total", factory: factory)
        tokenExpiryCloses = CoreMetrics.Counter(label: "parley_token_expiry_closes_total", factory: factory)
    }

    /// A credential refused, at `$connect` or in a `refresh`, by reason.
    func authRefused(_ reason: AuthRefusal) {
        authRefusals[reason]?.increment()
    }

    /// A cluster node's named rooms: `parley_cluster_room_events_total` (notifications of rooms
    /// received: only those of rooms this node has members in) and `parley_cluster_watched_rooms`;
    /// and `parley_cluster_outbox_messages`, the public messages waiting for the database.
    public func clusterRooms() -> (
        roomEvent: @Sendable () -> Void, watchedRooms: @Sendable (Int) -> Void, outbox: @Sendable (Int) -> Void
    ) {
        let events = CoreMetrics.Counter(label: "parley_cluster_room_events_total", factory: factory)
        let watched = CoreMetrics.Gauge(label: "parley_cluster_watched_rooms", factory: factory)
        let outbox = CoreMetrics.Gauge(label: "parley_cluster_outbox_messages", factory: factory)
        outbox.record(0)
        return ({ events.increment() }, { watched.record($0) }, { outbox.record($0) })
    }

    /// Counters of inbound messages, one per route of the handler (known only once the handler,
    /// which needs the gateway's `Connections`, exists) and one for `$default`.
    func messageCounters(routes: Set<String>) -> MessageCounters {
        var byRoute: [String: CoreMetrics.Counter] = [:]
        for route in routes.sorted() {
            byRoute[route] = CoreMetrics.Counter(label: "parley_messages_in_total", dimensions: [("route", route)], factory: factory)
        }
        let other = CoreMetrics.Counter(
            label: "parley_messages_in_total", dimensions: [("route", ActionName.defaultRoute)], factory: factory)
        return MessageCounters(byRoute: byRoute, other: other)
    }

    func error(_ code: ErrorCode) {
        errors[code]?.increment()
    }

    func expired(_ expiry: RequestDeadlines.Expiry) {
        switch expiry {
        case .requestTimeout: headerTimeouts.increment()
        case .idleClose: idleHTTPCloses.increment()
        }
    }

    func refused(status: Int) {
        (refusals[status]
            ?? CoreMetrics.Counter(label: "parley_upgrade_refusals_total", dimensions: [("status", String(status))], factory: factory))
            .increment()
    }

    /// The Prometheus text format of everything above.
    public func exposition() -> String {
        registry.emitToString()
    }
}

struct MessageCounters: Sendable {
    let byRoute: [String: CoreMetrics.Counter]
    let other: CoreMetrics.Counter

    func count(_ selection: RouteSelection) {
        if case .route(let key, _) = selection, let counter = byRoute[key] {
            counter.increment()
        } else {
            other.increment()
        }
    }
}
