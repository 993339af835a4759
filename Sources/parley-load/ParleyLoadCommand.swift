import ArgumentParser
import Foundation
import ParleyLoad

/// Exit codes other tools and CI rely on (docs/LOAD.md): 0 ran and every threshold held; 99 a
/// threshold or a compare tolerance failed; 3 thresholds failed on a generator-bound run (an
/// invalid run); 2 bad scenario or arguments; 1 anything else.
enum LoadExit {
    static let thresholdFailed: Int32 = 99
    /// Thresholds failed on a run whose figures the generator polluted: not a verdict on the
    /// server (docs/LOAD.md, "Is the generator keeping up?").
    static let invalidRun: Int32 = 3
    /// A load agent failed, closed or went silent mid-run (`--agents`): no verdict at all.
    static let agentLost: Int32 = 4
    /// A scenario's fault could not be done or undone (`faults:`): the run did not measure what
    /// it says; the report says which and why.
    static let faultFailed: Int32 = 5
    static let badInput: Int32 = 2
    static let other: Int32 = 1
}

struct BadInput: Error, CustomStringConvertible {
    let description: String
}

@main
struct ParleyLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley-load",
        abstract: "Load tests for WebSocket chat servers: scenarios, fan-out latency, reports, gates.",
        discussion: """
            Exit codes: 0 every threshold held; 99 a threshold or compare tolerance failed;
            3 thresholds failed on a run where parley-load itself was the bottleneck
            (GENERATOR-BOUND: rerun with more --threads or load machines); 4 a load agent
            (--agents) failed, closed or went silent, and the run has no result;
            2 bad scenario or arguments (the message names the file, line and key); 1 other.
            """,
        version: ParleyVersion.current,
        subcommands: [Run.self, Capacity.self, Compare.self, Report.self, BaselineCommand.self, Noise.self, Agent.self, Scale.self]
    )

    /// Maps argument errors to exit 2 (ArgumentParser's own is 64) and everything else to 1.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ScenarioError {
            FileHandle.standardError.write(Data("parley-load: \(error)\n".utf8))
            Foundation.exit(LoadExit.badInput)
        } catch let error as BadInput {
            FileHandle.standardError.write(Data("parley-load: \(error)\n".utf8))
            Foundation.exit(LoadExit.badInput)
        } catch let error as AgentFailure {
            FileHandle.standardError.write(Data("parley-load: \(error)\n".utf8))
            Foundation.exit(LoadExit.agentLost)
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data("\(message)\n".utf8))
            Foundation.exit(code == .validationFailure ? LoadExit.badInput : LoadExit.other)
        }
    }
}
