/// How a node takes part in the cluster.
public struct ClusterSettings: Sendable {
    public var url: PostgresURL
    /// This node's name in `parley_nodes` (`--node-id`); a restarted node keeps its tag by it.
    public var nodeName: String
    /// How often the node says it is alive.
    public var heartbeatInterval: Duration = .seconds(1)
    /// A node silent this long is dead: the survivors remove its connections and announce the
    /// leaves. The bound on how long a dead node's members linger.
    public var deadNodeAfter: Duration = .seconds(10)
    /// How long a command waits for a connection before it is refused (or, a public message,
    /// applied to this node's members only).
    public var commandGrace: Duration = .seconds(2)
    /// Reconnection backoff: 100 ms doubling up to this.
    public var maximumBackoff: Duration = .seconds(5)
    /// The history kept in the database for resumes (`--history-size`, `--history-ttl`): this
    /// node trims to them on its heartbeat and reads no more than `historySize` back.
    public var historySize: Int = 500
    public var historyTTL: Duration = .seconds(600)

    public init(url: PostgresURL, nodeName: String) {
        self.url = url
        self.nodeName = nodeName
    }
}
