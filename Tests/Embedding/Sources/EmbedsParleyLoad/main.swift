import ParleyLoad

// A scenario parsed through the library, as a tool that embeds the harness would: the figures
// printed come from the parse, so a build that linked a stub would not print them.
let scenario = try ScenarioParser(file: "embedded.yaml").parse(
    """
    name: embedded
    clients: 250
    phases:
      - { name: steady, duration: 5s, publishers: 2, rate: 3/s }
    """)
print("ParleyLoad embedded: scenario \(scenario.name), \(scenario.clients) clients, \(scenario.phases.count) phase")
