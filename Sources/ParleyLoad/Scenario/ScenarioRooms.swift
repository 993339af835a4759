/// `rooms:` — clients spread over many rooms of skewed sizes, each client in several
/// (docs/LOAD.md, "Rooms"). With it, a phase's `publishers` are per room and its `rate` per
/// publisher; a message is due to the members of its room alone.
public struct ScenarioRooms: Codable, Sendable, Equatable {
    /// How many members each room is drawn to have.
    public enum Size: Codable, Sendable, Equatable {
        case fixed(Int)
        /// Uniform over a…b (inclusive).
        case uniform(Int, Int)
        /// Zipf's law over ranks: room k (from 1) gets `max / k^exponent` members, at least 1.
        case zipf(exponent: Double, max: Int)
    }

    public var count: Int
    public var size: Size
    /// Rooms each client joins at most (a client is put where the rooms have room for it).
    public var perClient: Int = 1
    /// Draws for `uniform` and the order clients are dealt in; the same seed, the same rooms.
    public var seed: UInt64 = 1
    /// The scenario's `clients` the sizes were written for: a run of another count (a capacity
    /// step, `--clients`) scales every size by its ratio to this, so the rooms keep their shape.
    public var writtenFor: Int?
    /// The share of the publishers' messages sent as private messages to a random client instead
    /// of to the publisher's room (`private: 10%`), as chat traffic mixes them.
    public var privateShare: Double = 0

    public init(count: Int, size: Size, perClient: Int = 1, seed: UInt64 = 1) {
        self.count = count
        self.size = size
        self.perClient = perClient
        self.seed = seed
    }

    /// The room's name on the wire: `r0`, `r1`, …
    public static func name(_ room: Int) -> String { "r\(room)" }

    /// Whether message `seq` of the run is a private one, and (below) to whom. Functions of the
    /// number and the seed alone, so that whoever receives a token knows what the publisher made
    /// of it — and whether it came to the right client — without a word on the wire, on every
    /// loop and every agent alike.
    public func isPrivate(seq: UInt64) -> Bool {
        guard privateShare > 0 else { return false }
        var draws = Self.draws(seq: seq, seed: seed)
        return draws.unit() < privateShare
    }

    /// The one client of `clients` that private message `seq` goes to.
    public func privateRecipient(seq: UInt64, clients: Int) -> Int {
        var draws = Self.draws(seq: seq, seed: seed)
        _ = draws.next()
        return Int(draws.next() % UInt64(max(clients, 1)))
    }

    private static func draws(seq: UInt64, seed: UInt64) -> SplitMix64 {
        SplitMix64(seed: seq ^ (seed &* 0xD6E8_FEB8_6659_FD93))
    }
}
