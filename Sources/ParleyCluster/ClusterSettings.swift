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
    /// How long a command waits for a connection before it is refused (a public message waits
    /// in the outbox instead).
    public var commandGrace: Duration = .seconds(2)
    /// The public messages a node holds while the database is away (`--outbox-size`), and how
    /// long one may wait unsent (`--outbox-ttl`) before its sender is told it was not sent
    /// (`Outbox`). Past the size a message is refused at once.
    public var outboxCapacity: Int = 1_000
    public var outboxTTL: Duration = .seconds(30)
    /// How long a heartbeat may go unanswered before the node calls its link to the database
    /// lost (`--database-timeout`): a partition that drops packets closes no connection, and
    /// TCP alone would wait for minutes, the node meanwhile sending into a link nobody reads.
    public var databaseTimeout: Duration = .seconds(5)
    /// Reconnection backoff: 100 ms doubling up to this. One second, not more: a failover
    /// manager promotes a standby within seconds, and every second of cap is up to a second
    /// more outage after the database is back (`make cluster-ha`, the standby promoted 2 s
    /// after the kill: messages flowed 1.96 s after the promotion with a 5 s cap). A refused
    /// connection attempt costs the database next to nothing.
    public var maximumBackoff: Duration = .seconds(1)
    /// The history kept in the database for resumes (`--history-size`, `--history-ttl`): this
    /// node trims to them on its heartbeat and reads no more than `historySize` back.
    public var historySize: Int = 500
    public var historyTTL: Duration = .seconds(600)

    public init(url: PostgresURL, nodeName: String) {
        self.url = url
        self.nodeName = nodeName
    }
}
