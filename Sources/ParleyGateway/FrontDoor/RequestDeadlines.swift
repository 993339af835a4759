/// The deadlines of a socket before it is a WebSocket, as a value: from accept until the first
/// request's headers are complete (`headerTimeout`), and between requests on a kept-alive HTTP
/// connection (`idleTimeout`). While a request is being answered there is none. A slowloris
/// socket that sends half a request line and waits, or a spare socket that never sends at all,
/// meets the first; a page's connection left open after its last fetch meets the second.
/// `RequestDeadlineHandler` runs it on the socket (docs/PROTOCOL.md, "Limits").
///
/// The header deadline is spread over the last fifth of the timeout (8–10 s for 10 s), drawn per
/// socket: an attacker opens its sockets in one burst, and a deadline that closes them all in the
/// same instant made the server answer and reaccept thousands in one loop turn — a spike in every
/// member's fan-out each time the wave came round (measured with `make slowloris`: the
/// independent C client read p99 6.1 → 15.3 ms attacked). Spread, the wave is a trickle.
struct RequestDeadlines: Equatable {
    enum State: Equatable {
        /// Waiting for a request's headers; `first` until one has been answered.
        case awaitingHeaders(first: Bool)
        /// A request's headers are in; its response has not ended yet.
        case answering
    }

    /// What to do when the armed deadline passes.
    enum Expiry: Equatable {
        /// The first request's headers did not arrive in time: answer 408 and close.
        case requestTimeout
        /// A kept-alive connection sat idle: close it without a word.
        case idleClose
    }

    /// What the handler must do with its timer after an event.
    enum TimerAction: Equatable {
        case arm(Duration)
        case cancel
        case keep
    }

    /// The share of `headerTimeout` the header deadline is spread over, ending at the timeout.
    static let headerSpread = 0.2

    let headerTimeout: Duration
    let idleTimeout: Duration
    private(set) var state: State = .awaitingHeaders(first: true)

    init(headerTimeout: Duration, idleTimeout: Duration) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
    }

    /// The socket was accepted. `draw` in 0..<1 (random per socket) places its deadline in the
    /// spread: 0 is the full timeout, towards 1 a fifth sooner.
    func accepted(draw: Double) -> TimerAction {
        let clamped = min(max(draw, 0), 1)
        return .arm(headerTimeout - headerTimeout * (Self.headerSpread * clamped))
    }

    /// A request's headers are complete.
    mutating func receivedHeaders() -> TimerAction {
        state = .answering
        return .cancel
    }

    /// A response ended: the connection now waits for the next request, idle.
    mutating func sentResponseEnd() -> TimerAction {
        guard state == .answering else { return .keep }
        state = .awaitingHeaders(first: false)
        return .arm(idleTimeout)
    }

    /// The armed deadline passed; nil if it no longer applies (a request came in meanwhile).
    func expired() -> Expiry? {
        switch state {
        case .awaitingHeaders(first: true): .requestTimeout
        case .awaitingHeaders(first: false): .idleClose
        case .answering: nil
        }
    }
}
