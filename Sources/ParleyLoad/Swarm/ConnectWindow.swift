/// How many clients may be between their connect and their readiness at once, when the
/// open-files limit is near. On the direct receive path a client holds two descriptors then
/// (the receive loop's socket and NIO's duplicate for the upgrade), and a server's accept backlog
/// keeps thousands of connections the kernel accepted but the server has not answered: 19,500
/// clients under a limit of 20,000 ran out of descriptors, 953 to 1,208 connects failing with
/// EMFILE against the C limit server (2026-12-04). Far from the limit there is no bound, and a
/// client held back is late by its wait, which its connect latency shows.
struct ConnectWindow: Equatable {
    /// Descriptors kept for what is not a client: event loops, timers, files, the report.
    static let reserved = 128
    /// The least window: a limit this tight fails clients whatever the window is.
    static let least = 16

    let pending: Int

    /// nil when every client can be pending at once within `openFiles` (or the limit is unknown).
    init?(clients: Int, openFiles: Int, descriptorsWhilePending: Int) {
        guard openFiles > 0, descriptorsWhilePending > 1 else { return nil }
        let spare = openFiles - Self.reserved - clients
        let pending = spare / (descriptorsWhilePending - 1)
        guard pending < clients else { return nil }
        self.pending = max(Self.least, pending)
    }
}
