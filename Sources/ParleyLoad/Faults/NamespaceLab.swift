import Foundation

/// Faults done to a lab of network namespaces with iproute2 (needs root, as the lab does). A
/// cut is a blackhole route to the other host's address in each host's namespace: its packets
/// are dropped both ways and nothing is closed. A kill is SIGKILL to every process in the
/// host's namespace (`ip netns pids`), this process excepted.
public struct NamespaceLab: LabActions {
    public let lab: LabDescription
    private let ip: String?

    public init(_ lab: LabDescription) {
        self.lab = lab
        ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public func check(hosts: [String]) throws {
        let known = lab.hosts.keys.sorted().joined(separator: ", ")
        for name in hosts where lab.hosts[name] == nil {
            throw ReportError("faults: no host \(name) in the lab (it has \(known))")
        }
        guard ip != nil else { throw ReportError("faults: need iproute2's ip (apt-get install iproute2)") }
        guard geteuid() == 0 else { throw ReportError("faults: need root, to act on the lab's network namespaces") }
        for name in Set(hosts) {
            let namespace = lab.hosts[name]!.namespace
            guard FileManager.default.fileExists(atPath: "/run/netns/\(namespace)") else {
                throw ReportError("faults: host \(name)'s network namespace \(namespace) does not exist (is the lab up?)")
            }
        }
    }

    public func cut(_ a: String, _ b: String) throws {
        try route("add", in: a, to: b)
        do {
            try route("add", in: b, to: a)
        } catch {
            try? route("del", in: a, to: b)
            throw error
        }
    }

    public func heal(_ a: String, _ b: String) throws {
        // Both, even when one fails: a route left behind would cut the hosts for good.
        let first = Result { try route("del", in: a, to: b) }
        try route("del", in: b, to: a)
        try first.get()
    }

    public func kill(_ host: String) throws -> Int {
        let listed = try run(["netns", "pids", try namespace(of: host)])
        let pids = listed.split(whereSeparator: \.isNewline).compactMap { pid_t($0.trimmingCharacters(in: .whitespaces)) }
        var killed = 0
        for pid in pids where pid != getpid() && Foundation.kill(pid, SIGKILL) == 0 { killed += 1 }
        return killed
    }

    private func route(_ verb: String, in host: String, to peer: String) throws {
        guard let address = lab.hosts[peer]?.address else { throw ReportError("faults: no host \(peer) in the lab") }
        _ = try run(["-n", try namespace(of: host), "route", verb, "blackhole", "\(address)/32"])
    }

    private func namespace(of host: String) throws -> String {
        guard let namespace = lab.hosts[host]?.namespace else { throw ReportError("faults: no host \(host) in the lab") }
        return namespace
    }

    /// Runs `ip` with `arguments`; its output, or an error with what it said.
    private func run(_ arguments: [String]) throws -> String {
        guard let ip else { throw ReportError("faults: need iproute2's ip (apt-get install iproute2)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ip)
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let said = output.fileHandleForReading.readDataToEndOfFile()
        let complaint = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: complaint, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw ReportError("ip \(arguments.joined(separator: " ")): \(text.isEmpty ? "exit \(process.terminationStatus)" : text)")
        }
        return String(decoding: said, as: UTF8.self)
    }
}
