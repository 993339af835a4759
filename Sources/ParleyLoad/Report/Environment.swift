import Foundation
import Glibc
import NIOCore

public struct Environment: Codable, Sendable {
    public var cores: Int
    public var os: String
    public var swift: String
    public var commit: String?
    public var targets: [String]
    public var hostname: String
    public var eventLoops: Int
    /// True when wss:// certificates were not checked (`--insecure`); absent otherwise.
    public var insecureTLS: Bool? = nil
    /// The processor's model name (/proc/cpuinfo) and the memory, rounded to GiB: with `cores`,
    /// what makes two machines comparable (a CI runner's hostname changes every job).
    public var cpuModel: String? = nil
    public var memoryGiB: Int? = nil
    public var parleyVersion: String? = nil
}

extension Environment {
    static func current(targets: [String], eventLoops: Int, commit: String?, insecureTLS: Bool) -> Environment {
        var uts = utsname()
        uname(&uts)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        #if swift(>=6.3)
        let swift = "6.3+"
        #else
        let swift = "< 6.3"
        #endif
        return Environment(
            cores: System.coreCount, os: "\(text(uts.sysname)) \(text(uts.release))", swift: swift,
            commit: commit, targets: targets, hostname: ProcessInfo.processInfo.hostName, eventLoops: eventLoops,
            insecureTLS: insecureTLS ? true : nil, cpuModel: Machine.cpuModel(),
            memoryGiB: Int((Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824).rounded()),
            parleyVersion: ParleyVersion.current)
    }
}
