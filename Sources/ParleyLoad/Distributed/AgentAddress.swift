/// An agent's address as people write it: "host:port", "[::1]:port" (the brackets dropped).
public enum AgentAddress {
    /// Host and port; nil when it is not HOST:PORT. Port 0 (any free one) only for listening.
    public static func split(_ address: String, listening: Bool = false) -> (String, Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            ((listening ? 0 : 1)...65535).contains(port)
        else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}
