import Foundation
import NIOCore
import NIOWebSocket

/// Clients that come back (`reconnect:`): a share dropped at once by the harness, and any member
/// the server closes (a node killed). Each comes back as the same client — its messages seen,
/// its membership — on the next target, asks to resume from the last `seq` it holds, and is
/// catching up until the resume's marker arrives. After the run, the messages such a client was
/// due and never got are counted as gaps.
final class Reconnects: Sendable {
    let context: SwarmContext
    private let tally: SwarmTally
    let reconnect: Scenario.Reconnect

    /// Nil when the scenario has no `reconnect:`.
    init?(context: SwarmContext) {
        guard let reconnect = context.scenario.reconnect else { return nil }
        self.context = context
        self.tally = context.tally
        self.reconnect = reconnect
    }

    /// At `reconnect.at`, drops `reconnect.drop` of the members at once (publishers stay).
    func startDrops(clock: PhaseClock) -> Task<Void, Never>? {
        guard reconnect.drop > 0, let at = reconnect.at else { return nil }
        let instant = clock.boundaries[0] + UInt64(at.nanoseconds)
        return Task { [self] in
            let now = NIODeadline.now().uptimeNanoseconds
            if instant > now { try? await Task.sleep(for: .nanoseconds(Int64(instant - now))) }
            if Task.isCancelled { return }
            let excluded = tally.publishers.withLock { $0 }
            let members = tally.membership.all
            let count = Int((Double(members.count) * reconnect.drop).rounded())
            for index in members.filter({ !excluded.contains($0) }).shuffled().prefix(count) { drop(index) }
        }
    }

    private func drop(_ index: Int) {
        let loopIndex = index % context.loops.count
        let owned = context.clients[loopIndex]
        context.loops[loopIndex].execute {
            guard let client = owned.value.byIndex[index], client.resume != nil, let channel = client.channel else { return }
            client.resume!.dropping = true
            // Its close handler brings it back after `away`.
            channel.close(promise: nil)
        }
    }

    /// The client's connection closed (on its loop): back after `away` when dropped, at once
    /// when the server closed it.
    func comeBack(_ client: LoadClient, loopIndex: Int) {
        let dropped = client.resume!.dropping
        client.resume!.dropping = false
        client.channel = nil
        context.recorders[loopIndex].value.recordReconnect(dropped: dropped)
        let delay = dropped ? reconnect.away : .milliseconds(100)
        context.loops[loopIndex].scheduleTask(in: .nanoseconds(delay.nanoseconds)) { [self] in
            dial(client, loopIndex: loopIndex, startedAt: NIODeadline.now().uptimeNanoseconds, attempt: 0)
        }
    }

    /// One attempt to come back; a refused or failed dial tries the next target shortly after,
    /// up to 20 times, then counts the client as lost.
    private func dial(_ client: LoadClient, loopIndex: Int, startedAt: UInt64, attempt: Int) {
        guard !tally.isTearingDown, client.leftAt == nil else { return }
        let loop = context.loops[loopIndex]
        let recorder = context.recorders[loopIndex]
        client.resume!.reconnects += 1
        client.resume!.catchingUpSince = startedAt
        let point = client.resume!
        let base = context.targets[(client.index + point.reconnects) % context.targets.count]
        let (target, headers) = context.dial(base.adding(query: point.query(resume: reconnect.resume)), for: client.index)
        let sources = context.scenario.connect.sources
        let source = sources.isEmpty ? nil : sources[client.index % sources.count]
        // A new name each time: on a killed node the old one is held until the cluster reaps it.
        let hello = context.scenario.hello?.replacingOccurrences(of: "{i}", with: "\(client.index)r\(point.reconnects)")
        let handler = LoopBound(LoadClientHandler(client: client), eventLoop: loop)
        context.connector.connect(to: target, from: source, on: loop, readsRawFrames: true, headers: headers) { handler.value }
            .hop(to: loop)
            .assumeIsolated()
            .whenComplete { [self] result in
                if case .success(.upgraded(let channel)) = result {
                    client.channel = channel
                    if let hello { context.send(text: hello, on: channel) }
                    return
                }
                recorder.value.recordDialFailure()
                guard attempt < 20 else {
                    tally.countError("did not come back")
                    client.resume!.catchingUpSince = nil
                    return
                }
                loop.assumeIsolated().scheduleTask(in: .milliseconds(250)) { [self] in
                    dial(client, loopIndex: loopIndex, startedAt: startedAt, attempt: attempt + 1)
                }
            }
    }

    /// Adds each NIO loop's gaps to its measurements (the first `loops.count` of them): public
    /// messages some loop received, that a client which came back was due and never got.
    func addGaps(to measurements: inout [LoopMeasurements]) async throws {
        var delivered = Set<UInt64>()
        for loop in measurements {
            for (seq, count) in loop.perMessageCount.enumerated() where count > 0 { delivered.insert(UInt64(seq)) }
        }
        let gaps = try await countGaps(sent: measurements.flatMap(\.sent), delivered: delivered)
        for (index, count) in gaps.enumerated() { measurements[index].resume.gaps += count }
    }

    /// Public messages the room delivered that a client which came back was due and never got:
    /// counted on each loop once the run is over, against every loop's sent messages.
    private func countGaps(sent: [LoopRecorder.Sent], delivered: Set<UInt64>) async throws -> [Int] {
        let due = sent.filter { $0.recipient == nil && delivered.contains($0.seq) }
        var gaps: [Int] = []
        for (index, loop) in context.loops.enumerated() {
            let owned = context.clients[index]
            gaps.append(
                try await loop.submit {
                    var missing = 0
                    for client in owned.value.byIndex.values where (client.resume?.reconnects ?? 0) > 0 {
                        for message in due
                        where client.wasMember(at: message.scheduled, publisher: message.publisher) && !client.hasSeen(message.seq) {
                            missing += 1
                        }
                    }
                    return missing
                }.get())
        }
        return gaps
    }
}
