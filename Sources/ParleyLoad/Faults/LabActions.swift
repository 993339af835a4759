/// What a scenario's `faults:` do to a lab's hosts, by host name. `NamespaceLab` does it to
/// network namespaces; tests give a recording stand-in.
public protocol LabActions: Sendable {
    /// Throws, naming what is missing, unless every host is in the lab and can be acted on.
    func check(hosts: [String]) throws
    /// Packets between `a` and `b` dropped both ways until `heal`.
    func cut(_ a: String, _ b: String) throws
    func heal(_ a: String, _ b: String) throws
    /// Kills every process on `host`; answers how many there were.
    func kill(_ host: String) throws -> Int
}
