/// Why a node cannot join the cluster; each says what to do about it.
public enum ClusterError: Error, CustomStringConvertible {
    case unreachable(url: String, reason: String)
    case schemaTooNew(found: Int, known: Int)
    case noFreeNodeTag

    public var description: String {
        switch self {
        case .unreachable(let url, let reason):
            "cannot reach PostgreSQL at \(url): \(reason)"
        case .schemaTooNew(let found, let known):
            "the database's cluster schema is version \(found), newer than this parley's \(known): upgrade this node"
        case .noFreeNodeTag:
            "the cluster already has 255 live nodes"
        }
    }
}
