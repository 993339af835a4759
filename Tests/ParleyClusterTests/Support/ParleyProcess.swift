import Foundation

/// `parley serve --store postgres` as its own process: a node that can be killed with SIGKILL.
final class ParleyProcess: Sendable {
    let process: Process
    let port: Int

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    static func start(postgresURL: String, nodeID: String, deadNodeAfterSeconds: Int) async throws -> ParleyProcess {
        let binary = URL(fileURLWithPath: ".build/debug/parley")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw TestPostgres.Failed(description: "build the parley binary first (swift build)")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = [
            "serve", "--port", "0", "--store", "postgres", "--postgres-url", postgresURL, "--node-id", nodeID,
            "--dead-node-after", "\(deadNodeAfterSeconds)", "--heartbeat-ms", "200", "--log-level", "warning",
            "--connect-rate", "10000", "--connect-rate-per-ip", "10000",
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // "parley listening on ws://127.0.0.1:PORT". Read on a dispatch thread: a blocking read
        // on one of the few cooperative threads can starve the tests running beside it.
        let handle = output.fileHandleForReading
        let line: Data = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var line = Data()
                while !line.contains(UInt8(ascii: "\n")) {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    line.append(chunk)
                }
                continuation.resume(returning: line)
            }
        }
        guard line.contains(UInt8(ascii: "\n")) else { throw TestPostgres.Failed(description: "parley exited before listening") }
        let text = String(decoding: line, as: UTF8.self)
        guard let port = text.split(separator: ":").last.flatMap({ Int($0.prefix { $0.isNumber }) }) else {
            throw TestPostgres.Failed(description: "unexpected readiness line: \(text)")
        }
        return ParleyProcess(process: process, port: port)
    }

    /// SIGKILL: no drain, no leave, no goodbye to the database.
    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
    }
}
