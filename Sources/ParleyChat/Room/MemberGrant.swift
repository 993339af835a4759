import ParleyProtocol

/// What a member's identity lets it do in one room, decided by the directory when it joins:
/// its user (several sockets of one user are one member) and whether it may publish there.
struct MemberGrant: Sendable, Equatable {
    let user: String?
    let mayPublish: Bool

    /// `--auth none`: nobody is anybody in particular, and everybody may speak.
    static let anonymous = MemberGrant(user: nil, mayPublish: true)

    /// `identity` in room `room` (nil identity: anonymous).
    init(_ identity: ConnectionIdentity?, in room: RoomName) {
        self.user = identity?.user
        self.mayPublish = identity?.rooms.mayPublish(room.text) ?? true
    }

    init(user: String?, mayPublish: Bool) {
        self.user = user
        self.mayPublish = mayPublish
    }
}
