import Foundation
import Synchronization

/// The live line on stderr while a run goes (only when stderr is a terminal): what stage, how
/// many connected and ready, messages sent, errors.
public final class ProgressLine: Sendable {
    private let lastPrint = Mutex<ContinuousClock.Instant?>(nil)
    private let label: String

    public init(label: String) {
        self.label = label
    }

    /// A progress line if stderr is a terminal and not quieted, else nil.
    public static func forTerminal(label: String, quiet: Bool) -> ProgressLine? {
        guard !quiet, isatty(STDERR_FILENO) != 0 else { return nil }
        return ProgressLine(label: label)
    }

    func update(
        stage: String, connected: Int, ready: Int, sent: Int, errors: Int, delivered: Int? = nil, p99Micros: UInt64? = nil
    ) {
        let now = ContinuousClock.now
        let due = lastPrint.withLock { last -> Bool in
            if let last, now - last < .milliseconds(250) { return false }
            last = now
            return true
        }
        guard due else { return }
        var line = "\r\u{1B}[2K\(label) \(stage): connected \(connected), ready \(ready), sent \(sent)"
        if let delivered { line += ", delivered \(delivered)" }
        if let p99Micros { line += ", p99 (last second) \(Quantities.formatMicros(Double(p99Micros)))" }
        line += ", errors \(errors)"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}
