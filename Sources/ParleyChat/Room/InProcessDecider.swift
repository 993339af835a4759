import ParleyProtocol

/// Decides a single node's room commands at once, the way the cluster's database decides them
/// for many nodes (`RoomSQL`): a name is given unless someone else holds it, a public message
/// gets the next `seq`. With it, a single node runs the same decide → apply path as a cluster.
enum InProcessDecider {
    enum Decision: Sendable {
        case event(RoomEvent)
        case refused(ProtocolError)
    }

    /// `lastSeq` is the room's last public `seq`: on one node the room is the counter's only owner.
    static func decide(_ command: RoomCommand, in store: any ConnectionStore, lastSeq: UInt64) -> Decision {
        switch command {
        case .claim(let id, let name):
            if let owner = store.member(namedKey: name.key), owner.id != id {
                return .refused(RouteChecks.nameTaken(name))
            }
            return .event(.named(id, name))
        case .leave(let id):
            return .event(.left(id))
        case .publicMessage(_, let from, let text, let timestampMillis):
            return .event(.publicMessage(from: from.display, text: text, seq: lastSeq + 1, timestampMillis: timestampMillis))
        case .privateMessage(_, let to, let from, let text, let timestampMillis):
            return .event(.privateMessage(to: to, from: from.display, text: text, timestampMillis: timestampMillis))
        case .resume:
            // A single node answers from its own history without a command; never submitted.
            return .refused(ProtocolError(.unavailable, "this gateway reads no shared history", action: ActionName.connect))
        }
    }
}
