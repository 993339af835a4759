import ArgumentParser
import Foundation
import ParleyHost
import ParleyLoad

struct Agent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve as a load agent: run a coordinator's share of each run with this machine's clients.",
        discussion: """
            A coordinator (`parley-load run|capacity SCENARIO --agents A:PORT,B:PORT`) connects,
            estimates this machine's clock offset, ships the scenario and this agent's share of
            the clients and publishers, starts every agent at one instant and merges what they
            measured. Start one agent per load machine, by hand, with ssh, or as a service; the
            same parley-load version on every machine. One coordinator at a time; the agent
            keeps serving after each.

            Examples:
              parley-load agent --listen 0.0.0.0:7070
              ssh load2 parley-load agent --listen 10.0.0.12:7070 --threads 8
            """
    )

    @Option(help: "HOST:PORT to listen on for a coordinator.") var listen: String
    @Option(
        name: [.customLong("threads"), .customLong("event-loops")],
        help: "Event loops (threads) this agent's clients are dealt over; one per usable core by default.")
    var eventLoops = LoadTest.Options().eventLoops
    @Flag(help: "No log lines on stderr.") var quiet = false

    func run() async throws {
        guard let (host, port) = AgentAddress.split(listen, listening: true) else {
            throw BadInput(description: "--listen: expected HOST:PORT, got \"\(listen)\"")
        }
        guard eventLoops > 0 else { throw BadInput(description: "--threads must be at least 1") }
        _ = OpenFilesLimit.raiseToHardLimit()
        let quiet = quiet
        let log: @Sendable (String) -> Void = { line in
            if !quiet { FileHandle.standardError.write(Data("parley-load agent: \(line)\n".utf8)) }
        }
        let agent = LoadAgent(eventLoops: eventLoops, log: log)
        try await agent.serve(host: host, port: port) { bound in
            log("listening on \(host):\(bound) (protocol \(AgentMessage.version), \(eventLoops) event loops)")
        }
    }
}
