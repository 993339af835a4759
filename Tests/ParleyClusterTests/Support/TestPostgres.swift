import Foundation

/// A throwaway PostgreSQL for one test: `initdb` in a temporary directory (as the `postgres`
/// user when the tests run as root, which PostgreSQL requires), a free loopback port, fsync off.
/// Stopped and deleted by `stop()`; `restart()` keeps the data (the database-restart test).
final class TestPostgres: Sendable {
    static let binaries = ProcessInfo.processInfo.environment["PG_BIN"] ?? "/usr/lib/postgresql/15/bin"

    let directory: URL
    let port: Int
    /// Each commit waits for a standby (`start(synchronousStandby: true)`).
    let synchronous: Bool
    var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    private init(directory: URL, port: Int, synchronous: Bool = false) {
        self.directory = directory
        self.port = port
        self.synchronous = synchronous
    }

    /// `synchronousStandby`: a commit waits until a standby has it (`startStandby()`), so that
    /// what the primary acknowledged survives its loss.
    static func start(synchronousStandby: Bool = false) async throws -> TestPostgres {
        let server = TestPostgres(directory: try await makeDirectory(), port: try freePort(), synchronous: synchronousStandby)
        try await server.asOwner("initdb", ["-D", server.dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        if synchronousStandby {
            // In the file, not in pg_ctl's -o: pg_ctl hands its options to a shell, which globs '*'.
            try server.appendSettings(["synchronous_commit = on", "synchronous_standby_names = '*'"])
        }
        try await server.startServer()
        return server
    }

    /// A hot standby of this server, streaming its WAL (`pg_basebackup -R`; initdb's pg_hba
    /// trusts replication from loopback), on its own port. It asks for no standby of its own, so
    /// that once promoted it commits alone.
    func startStandby() async throws -> TestPostgres {
        let standby = TestPostgres(directory: try await Self.makeDirectory(), port: try Self.freePort())
        try await standby.asOwner(
            "pg_basebackup",
            ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-D", standby.dataDirectory, "-R", "-X", "stream", "-c", "fast"])
        try standby.appendSettings(["synchronous_standby_names = ''", "hot_standby = on"])
        try await standby.startServer()
        return standby
    }

    /// Makes a standby the primary (`pg_ctl promote`, waiting until it accepts writes).
    func promote() async throws {
        try await asOwner("pg_ctl", ["-D", dataDirectory, "-w", "-t", "30", "promote"])
    }

    /// A standby stops receiving its primary's WAL (its `primary_conninfo` emptied, reloaded):
    /// what the primary commits from now on this standby never has. An asynchronous standby's
    /// lag at the moment of a failover, made certain.
    func detachFromPrimary() async throws {
        _ = try await value("ALTER SYSTEM SET primary_conninfo = ''")
        _ = try await value("SELECT pg_reload_conf()")
        let deadline = ContinuousClock.now + .seconds(15)
        while try await value("SELECT count(*) FROM pg_stat_wal_receiver") != "0" {
            guard ContinuousClock.now < deadline else { throw Failed(description: "the standby kept receiving WAL") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Kills the server as a crash would (`-m immediate`: no checkpoint, every connection cut).
    func kill() async throws {
        try await asOwner("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"])
    }

    private func appendSettings(_ lines: [String]) throws {
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDirectory).appendingPathComponent("postgresql.conf"))
        defer { try? file.close() }
        try file.seekToEnd()
        try file.write(contentsOf: Data(("\n" + lines.joined(separator: "\n") + "\n").utf8))
    }

    private static func makeDirectory() async throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("parley-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if asRoot { try await run("/bin/chown", ["postgres", directory.path]) }
        return directory
    }

    var dataDirectory: String { directory.appendingPathComponent("data").path }

    func startServer() async throws {
        // Not durable, for speed, unless a standby must have each commit: options given here
        // override postgresql.conf, so a synchronous server's `synchronous_commit = on` is left be.
        let commit = synchronous ? "" : " -c synchronous_commit=off"
        let options = "-p \(port) -k \(directory.path) -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" + commit
        try await asOwner(
            "pg_ctl", ["-D", dataDirectory, "-o", options, "-l", directory.appendingPathComponent("log").path, "-w", "-t", "30", "start"])
    }

    /// Stops the server (fast: every connection is cut), keeping its data for `startServer()`.
    func stopServer() async throws {
        try await asOwner("pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "stop"])
    }

    func stop() async {
        try? await asOwner("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(at: directory)
    }

    /// One value from `sql`, as psql prints it unaligned (for assertions on the tables).
    func value(_ sql: String) async throws -> String {
        let result = try await Spawn.run(
            "\(Self.binaries)/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", "postgres", "-tAc", sql])
        guard result.status == 0 else { throw Failed(description: "psql \(sql) failed (\(result.status)): \(result.output)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func asOwner(_ tool: String, _ arguments: [String]) async throws {
        let path = "\(Self.binaries)/\(tool)"
        if Self.asRoot {
            try await Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", path] + arguments)
        } else {
            try await Self.run(path, arguments)
        }
    }

    private static var asRoot: Bool { getuid() == 0 }

    private static func run(_ executable: String, _ arguments: [String]) async throws {
        let result = try await Spawn.run(executable, arguments)
        guard result.status == 0 else {
            throw Failed(description: "\(executable) \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.output)")
        }
    }

    private static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw Failed(description: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Runs `body` with a fresh PostgreSQL and always removes it.
func withPostgres(synchronousStandby: Bool = false, _ body: (TestPostgres) async throws -> Void) async throws {
    let postgres = try await TestPostgres.start(synchronousStandby: synchronousStandby)
    do {
        try await body(postgres)
    } catch {
        await postgres.stop()
        throw error
    }
    await postgres.stop()
}
