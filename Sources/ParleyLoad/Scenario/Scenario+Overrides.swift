extension Scenario {
    /// The scenario with the command line's overrides (`--clients`, `--duration`): a client
    /// count replaces the scenario's (and any sweep); a duration scales every phase so that the
    /// run lasts about that long, keeping their proportions.
    public func overridden(clients: Int?, duration: Duration?) -> Scenario {
        var scenario = self
        if let clients {
            scenario.clients = clients
            scenario.sweepClients = nil
        }
        if let duration {
            let total = scenario.totalDuration.seconds
            for index in scenario.phases.indices {
                let share = scenario.phases[index].duration.seconds / total
                scenario.phases[index].duration = .nanoseconds(Int64(duration.seconds * share * 1e9))
            }
        }
        return scenario
    }
}
