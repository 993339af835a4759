import Foundation
import NIOCore

/// The cores this process may run on: NIO's count (cgroup quota or cpuset, else online CPUs)
/// narrowed by the affinity mask, which `taskset` sets and NIO does not read. A harness pinned
/// to one core of two that used 0.95 CPU was saturated, not half idle; a server pinned to one
/// core runs best with one event loop (two loops there cost 5–15 % more CPU per delivery).
public enum UsableCores {
    public static var count: Int {
        max(1, min(System.coreCount, affinityCount() ?? System.coreCount))
    }

    /// The bits set in `Cpus_allowed` of /proc/self/status (Glibc's module has no
    /// `sched_getaffinity`), or nil where there is no such file.
    public static func affinityCount(status: String? = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) -> Int? {
        guard let status,
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
        else { return nil }
        let mask = line.dropFirst("Cpus_allowed:".count).filter { $0.isHexDigit }
        guard !mask.isEmpty else { return nil }
        return mask.reduce(0) { $0 + ($1.hexDigitValue ?? 0).nonzeroBitCount }
    }
}
