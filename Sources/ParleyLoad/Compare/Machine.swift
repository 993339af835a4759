import Foundation

/// What makes two machines comparable for timings: the processor model, its cores and the
/// memory — not the hostname, which an ephemeral CI runner changes every job.
public struct Machine: Codable, Sendable, Hashable, CustomStringConvertible {
    public var cpuModel: String
    public var cores: Int
    public var memoryGiB: Int

    public init(_ environment: Environment) {
        cpuModel = environment.cpuModel ?? "unknown processor"
        cores = environment.cores
        memoryGiB = environment.memoryGiB ?? 0
    }

    /// This machine.
    public static var current: Machine {
        Machine(Environment.current(targets: [], eventLoops: 1, commit: nil, insecureTLS: false))
    }

    public var description: String { "\(cores) × \(cpuModel), \(memoryGiB) GiB" }

    /// The first `model name` in /proc/cpuinfo (nil where there is none).
    static func cpuModel() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}
