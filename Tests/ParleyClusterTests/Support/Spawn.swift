import Foundation

/// Runs a program to its end with posix_spawn and waitpid, not Foundation's Process: Process
/// learns of an exit through a descriptor the child inherits, so a server the child leaves
/// running (`pg_ctl start`), or any process that inherited that descriptor meanwhile, keeps
/// `isRunning` true forever. The child gets no descriptor of this process's but its output file:
/// PostgreSQL counts inherited descriptors against its limit, and a test process full of sockets
/// leaves it too few to start.
enum Spawn {
    struct TimedOut: Error, CustomStringConvertible {
        let description: String
    }

    static func run(
        _ executable: String, _ arguments: [String], timeout: Duration = .seconds(90)
    ) async throws -> (
        status: Int32, output: String
    ) {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("parley-spawn-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // (glibc ≥ 2.34 has closefrom for spawn; Swift's Glibc module does not import it.)
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw TimedOut(description: "\(executable): posix_spawn error \(spawned)") }
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw TimedOut(description: "\(executable) \(arguments.joined(separator: " ")) ran past \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let exited = (status & 0x7f) == 0
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return (exited ? (status >> 8) & 0xff : -1, output)
    }
}
