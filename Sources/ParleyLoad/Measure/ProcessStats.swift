import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The load process's own CPU and memory, so that a saturated harness is visible in its report.
struct ProcessSample: Sendable, Codable {
    let wall: UInt64  // uptime ns
    let cpuSeconds: Double
    let rssBytes: Int

    static func now() -> ProcessSample {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        let cpu =
            Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return ProcessSample(wall: NIODeadline.now().uptimeNanoseconds, cpuSeconds: cpu, rssBytes: residentBytes())
    }

    /// Current resident set size, from /proc/self/statm (pages × page size).
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    func report(since start: ProcessSample) -> ProcessReport {
        let seconds = Double(wall &- start.wall) / 1e9
        let cpu = cpuSeconds - start.cpuSeconds
        return ProcessReport(cpuSeconds: cpu, cpuPerSecond: seconds > 0 ? cpu / seconds : 0, rssBytes: rssBytes)
    }
}

/// CPU time of the calling thread: an event loop's own work, apart from the rest of the process.
enum ThreadCPU {
    static func seconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
