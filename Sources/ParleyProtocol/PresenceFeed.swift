/// What presence events a connection wants, chosen at connect time with `?members=`.
public enum PresenceFeed: String, Sendable, CaseIterable {
    /// The tutorial's: full `members` lists and system texts.
    case full
    /// One `members` snapshot after the connection's own `setName`, then joined/left/renamed.
    case delta
    /// No presence at all (bots, load clients).
    case none

    /// The feed named by a `members` query value; nil (absent) means `full`.
    public static func parse(queryValue: String?) -> PresenceFeed? {
        guard let queryValue else { return .full }
        return PresenceFeed(rawValue: queryValue)
    }
}
