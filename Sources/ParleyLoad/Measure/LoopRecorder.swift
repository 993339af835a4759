import Histogram
import NIOCore
import ParleyProtocol

/// Everything measured on one event loop, touched only on that loop: no locks on the receive
/// path. Merged across loops once the run is over.
final class LoopRecorder {
    struct Sent: Sendable, Codable {
        let seq: UInt64
        let scheduled: UInt64
        let publisher: Int
        /// The private message's recipient, or nil for public/raw.
        let recipient: Int?
    }

    struct Second: Sendable, Codable {
        var deliveries = 0
        var latency = LatencyHistogram(significantDigits: .two)
    }

    let runID: UInt32
    private(set) var clock: PhaseClock?
    let runStart: UInt64

    private(set) var fanout: [LatencyHistogram] = []
    private(set) var sendLag: [LatencyHistogram] = []
    private(set) var received: [Int] = []
    private(set) var duplicates: [Int] = []
    /// Per phase: deliveries to clients that were not members when the message was due.
    private(set) var unexpected: [Int] = []
    /// Per message (by seq): expected deliveries seen, and the last one's receive time.
    private(set) var perMessageCount: [UInt32] = []
    private(set) var perMessageLast: [UInt64] = []
    private(set) var seconds: [Second] = []
    private(set) var sent: [Sent] = []
    private(set) var connect = LatencyHistogram()
    /// Every frame's payload bytes, whatever it carried (presence included).
    private(set) var framesReceived = 0
    private(set) var bytesReceived = 0
    /// When clients first held the complete member list, from the start of the run.
    private(set) var presenceComplete = LatencyHistogram()
    /// How late this loop ran its lag probe over the phases (`LoopLagProbe`).
    private(set) var loopLag = LatencyHistogram()
    /// Clients that came back (`reconnect:`): what each resume ended with, how long from the
    /// dial to its marker, what the replays delivered and what came twice.
    private(set) var resume = ResumeTally()
    /// Public messages the server refused to send (`unavailable`, "not sent"), by publisher: the
    /// refusal names no message, so the analysis pairs them with that publisher's messages nobody
    /// received, oldest first (a node's outbox refuses its oldest held messages first).
    private(set) var refusals: [Int: Int] = [:]

    /// Tokens carry common time in a run split over agents: local = token − shift (0 otherwise).
    let tokenShift: UInt64
    /// With several targets (a cluster's nodes), client i is on target i mod n: fan-out is kept
    /// apart by where the receiver was — on its publisher's node, or on another (through the
    /// bus) — and per node. 0: not kept (one target, or clients that move between targets).
    let nodeCount: Int
    private(set) var byNode = NodeFanout()
    /// With `rooms:`: fan-out kept apart by the size class of the message's room.
    let roomPlan: RoomPlan?
    private(set) var fanoutByClass: [LatencyHistogram] = []

    init(runID: UInt32, runStart: UInt64, tokenShift: UInt64 = 0, nodeCount: Int = 0, roomPlan: RoomPlan? = nil) {
        self.runID = runID
        self.runStart = runStart
        self.tokenShift = tokenShift
        self.nodeCount = nodeCount > 1 ? nodeCount : 0
        byNode = NodeFanout(nodes: self.nodeCount)
        self.roomPlan = roomPlan
        if roomPlan != nil { fanoutByClass = Array(repeating: LatencyHistogram(), count: RoomPlan.privateClass + 1) }
    }

    var totalReceived: Int { received.reduce(0, +) }

    func latency(inSecond second: Int) -> LatencyHistogram? {
        second >= 0 && second < seconds.count ? seconds[second].latency : nil
    }

    func startPhases(_ clock: PhaseClock) {
        self.clock = clock
        fanout = Array(repeating: LatencyHistogram(), count: clock.phaseCount)
        sendLag = Array(repeating: LatencyHistogram(), count: clock.phaseCount)
        received = Array(repeating: 0, count: clock.phaseCount)
        duplicates = Array(repeating: 0, count: clock.phaseCount)
        unexpected = Array(repeating: 0, count: clock.phaseCount)
    }

    func recordConnect(nanos: UInt64) {
        connect.record(micros: nanos / 1000)
    }

    func recordSent(_ message: Sent, at now: UInt64) {
        sent.append(message)
        guard let clock else { return }
        sendLag[clock.phase(of: message.scheduled)].record(micros: (now &- message.scheduled) / 1000)
    }

    func recordFrame(bytes: Int) {
        framesReceived += 1
        bytesReceived += bytes
    }

    func recordLoopLag(micros: UInt64) {
        loopLag.record(micros: micros)
    }

    func recordPresenceComplete(at now: UInt64) {
        presenceComplete.record(micros: (now &- runStart) / 1000)
    }

    /// One token seen by `client` at `now`.
    func recordDelivery(_ token: ProbeToken, client: LoadClient, now: UInt64, replayed: Bool = false) {
        // Another run's token (a second harness on the same server) is not this run's to count.
        guard token.run == runID, let clock else { return }
        let scheduled = token.scheduledNanos &- tokenShift
        let phase = clock.phase(of: scheduled)
        guard client.markSeen(token.seq) else {
            duplicates[phase] += 1
            if (client.resume?.reconnects ?? 0) > 0 { resume.duplicates += 1 }
            return
        }
        let recipient = roomPlan?.privateRecipient(seq: token.seq)
        guard client.wasMember(at: scheduled, publisher: Int(token.publisher), recipient: recipient) else {
            unexpected[phase] += 1
            return
        }
        if replayed {
            received[phase] += 1
            resume.replayed += 1
            let second = Int((now &- runStart) / 1_000_000_000)
            if second >= seconds.count { seconds += Array(repeating: Second(), count: second + 1 - seconds.count) }
            seconds[second].deliveries += 1
            return
        }
        let latency = now > scheduled ? now - scheduled : 0
        fanout[phase].record(micros: latency / 1000)
        if recipient != nil {
            fanoutByClass[RoomPlan.privateClass].record(micros: latency / 1000)
        } else if let roomPlan, let room = roomPlan.room(ofPublisher: Int(token.publisher)) {
            fanoutByClass[roomPlan.sizeClass(of: room)].record(micros: latency / 1000)
        }
        if nodeCount > 0 {
            let node = client.index % nodeCount
            byNode.record(micros: latency / 1000, node: node, sameNode: node == Int(token.publisher) % nodeCount)
        }
        received[phase] += 1
        let seq = Int(token.seq)
        if seq >= perMessageCount.count {
            let size = Swift.max(seq + 1, perMessageCount.count * 2)
            perMessageCount += Array(repeating: 0, count: size - perMessageCount.count)
            perMessageLast += Array(repeating: 0, count: size - perMessageLast.count)
        }
        perMessageCount[seq] += 1
        perMessageLast[seq] = Swift.max(perMessageLast[seq], now)
        let second = Int((now &- runStart) / 1_000_000_000)
        if second >= seconds.count { seconds += Array(repeating: Second(), count: second + 1 - seconds.count) }
        seconds[second].deliveries += 1
        seconds[second].latency.record(micros: latency / 1000)
    }

    func recordResume(_ outcome: String, micros: UInt64) {
        resume.outcomes[outcome, default: 0] += 1
        resume.latency.record(micros: micros)
    }

    func recordReconnect(dropped: Bool) {
        if dropped { resume.dropped += 1 } else { resume.serverClosed += 1 }
    }

    func recordDialFailure() { resume.dialFailures += 1 }

    func recordRefusal(publisher: Int) { refusals[publisher, default: 0] += 1 }

    /// A copy of what was measured, to carry off the loop.
    func snapshot() -> LoopMeasurements {
        LoopMeasurements(
            fanout: fanout, sendLag: sendLag, received: received, duplicates: duplicates, unexpected: unexpected,
            perMessageCount: perMessageCount, perMessageLast: perMessageLast, seconds: seconds,
            sent: sent, connect: connect, framesReceived: framesReceived, bytesReceived: bytesReceived,
            presenceComplete: presenceComplete, loopLag: loopLag, resume: resume, byNode: byNode, fanoutByClass: fanoutByClass,
            refusals: refusals)
    }
}

/// One loop's measurements, off the loop.
struct LoopMeasurements: Sendable, Codable {
    var fanout: [LatencyHistogram]
    var sendLag: [LatencyHistogram]
    var received: [Int]
    var duplicates: [Int]
    var unexpected: [Int]
    var perMessageCount: [UInt32]
    var perMessageLast: [UInt64]
    var seconds: [LoopRecorder.Second]
    var sent: [LoopRecorder.Sent]
    var connect: LatencyHistogram
    var framesReceived: Int
    var bytesReceived: Int
    var presenceComplete: LatencyHistogram
    var loopLag: LatencyHistogram
    var resume: ResumeTally
    var byNode: NodeFanout
    /// With `rooms:`, per size class of `RoomPlan.classes`; empty otherwise.
    var fanoutByClass: [LatencyHistogram] = []
    /// Refused public messages by publisher (`LoopRecorder.refusals`).
    var refusals: [Int: Int] = [:]
}
