/// A room scenario's figures (`rooms:`): the rooms as dealt, and per size class of room the
/// messages, what was due (from each member's interval in its room), what arrived, and fan-out.
public struct RoomsReport: Codable, Sendable {
    public struct SizeClass: Codable, Sendable {
        /// "1-10", "11-100", "101-1000", ">1000" members.
        public var name: String
        public var rooms: Int
        public var messages: Int
        public var expected: Int
        public var received: Int
        public var lost: Int
        public var fanout: HistogramReport
    }

    public var rooms: Int
    /// Client-in-room pairs: every join of the run.
    public var memberships: Int
    public var smallest: Int
    public var median: Int
    public var largest: Int
    /// Rooms where some message reached fewer members than were due.
    public var roomsWithLoss: Int
    public var classes: [SizeClass]
    /// With `private:`, the private messages mixed in (one recipient each, in no room).
    public var privateMessages: SizeClass?
}
