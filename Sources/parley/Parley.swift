import ArgumentParser

@main
struct Parley: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parley: a WebSocket chat gateway and its chat handler.",
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self
    )
}
