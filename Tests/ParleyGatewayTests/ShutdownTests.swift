import Foundation
import NIOCore
import NIOPosix
import ParleyTestSupport
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1))) struct ShutdownTests {
    @Test func gracefulShutdownClosesEveryClientWith1001() async throws {
        let server = try await TestServer.start()
        let alice = try await server.namedClient("alice")
        let bob = try await server.client()
        try await server.stop()
        #expect(try await alice.closeCode() == 1001)
        #expect(try await bob.closeCode() == 1001)
    }

    /// Sockets that never became WebSockets do not hold the shutdown: one that sent nothing, one
    /// halfway through its request line, one idle after a whole keep-alive request. The drain
    /// closes them at once (a browser's spare pre-connected socket held `parley serve` for 16 s).
    @Test func shutdownClosesSocketsThatNeverUpgraded() async throws {
        // Their own deadlines far off (30 s, 60 s): a drain that waited on these sockets would take
        // that long, so a bound of 5 s tells the two apart on a loaded machine too (2 s was
        // missed by 0.1–0.9 s while the suite ran beside it).
        let server = try await TestServer.start(gateway: {
            $0.headerTimeout = .seconds(30)
            $0.httpIdleTimeout = .seconds(60)
        })
        let member = try await server.namedClient("member")
        var sockets: [any Channel] = []
        for bytes in ["", "GET /ws HTTP/1.1\r\nHost: x\r\n", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"] {
            let channel = try await ClientBootstrap(group: TestClient.group).connect(host: "127.0.0.1", port: server.port).get()
            if !bytes.isEmpty { try await channel.writeAndFlush(ByteBuffer(string: bytes)).get() }
            sockets.append(channel)
        }
        try await Task.sleep(for: .milliseconds(200))  // the keep-alive request answered, the rest waiting
        let start = ContinuousClock.now
        // Bounded: a shutdown that waits on these sockets must fail the test, not hang the run.
        let stopped = Atomic<Bool>(false)
        Task {
            try? await server.stop()
            stopped.store(true, ordering: .releasing)
        }
        while !stopped.load(ordering: .acquiring) && ContinuousClock.now - start < .seconds(10) {
            try await Task.sleep(for: .milliseconds(10))
        }
        let took = ContinuousClock.now - start
        let finished = stopped.load(ordering: .acquiring)
        try #require(finished, "shutdown still waiting after \(took) on sockets that never upgraded")
        #expect(took < .seconds(5), "shutdown took \(took) with three sockets that never upgraded")
        #expect(try await member.closeCode() == 1001)
        for channel in sockets {
            // Closed by the server: the client side sees its close at once.
            #expect(await closedByServer(channel, within: .seconds(2)), "a socket that never upgraded was left open")
            try? await channel.close()
        }
    }

    /// A client that vanishes without a close frame is gone for the server too: its slot is
    /// freed and the room hears that it left.
    @Test func clientDroppingTheSocketIsDisconnected() async throws {
        try await withServer { server in
            let watcher = try await server.namedClient("watcher", feed: "full")
            _ = try await watcher.next(2)
            let leaver = try await server.namedClient("leaver")
            _ = try await watcher.next(2)
            await leaver.abort()
            #expect(try await watcher.next(2) == [#"{"systemMessage":"leaver has left the chat"}"#, #"{"members":["watcher"]}"#])
            try await waitUntil { server.gateway.openConnections == 1 }
        }
    }

    /// The executable: readiness line on stdout, SIGTERM drains with 1001 and exits 0.
    @Test func serveCommandAnnouncesAndDrainsOnSIGTERM() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("parley")
        let executable =
            FileManager.default.fileExists(atPath: binary.path)
            ? binary : productsDirectory().appendingPathComponent("parley")
        let process = Process()
        process.executableURL = executable
        process.arguments = ["serve", "--port", "0", "--log-level", "warning"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let line = try await readLine(from: output.fileHandleForReading)
        #expect(line.hasPrefix("parley listening on ws://127.0.0.1:"))
        let port = try #require(Int(line.split(separator: ":").last ?? ""))

        let client = try await TestClient.connect(port: port, path: "/ws?members=none")
        try await client.send(#"{"action":"setName","name":"x"}"#)
        kill(process.processIdentifier, SIGTERM)
        #expect(try await client.closeCode() == 1001)
        try await waitUntil { !process.isRunning }
        #expect(process.terminationStatus == 0)
    }

    private func productsDirectory() -> URL {
        Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL.deletingLastPathComponent()
            ?? URL(fileURLWithPath: ".build/debug")
    }

    private func readLine(from handle: FileHandle) async throws -> String {
        let task = Task.detached { () -> String in
            var bytes: [UInt8] = []
            while true {
                let chunk = handle.readData(ofLength: 1)
                if chunk.isEmpty || chunk.first == UInt8(ascii: "\n") { break }
                bytes.append(contentsOf: chunk)
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        return await task.value
    }
}
