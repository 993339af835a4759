import Foundation
import NIOCore
import NIOWebSocket
import ParleyProtocol
import Synchronization

/// Publishers on their timetables, and churn while the phases run.
extension LoadRun {
    // MARK: publishing

    /// Runs each publisher's timetable on its own loop. A late loop sends every message that is
    /// due, each with its own scheduled time: lateness shows as latency and send lag.
    func startPublishers(phase: Scenario.Phase, phaseIndex: Int, start: UInt64) {
        let wanted = share?.publishers[phaseIndex] ?? phase.publishers
        let chosen = membership.lowest(wanted) { !receivesDirectly($0) }
        publishers.withLock { $0 = Set(chosen) }
        if chosen.count < wanted {
            countError("publishers short: \(chosen.count) of \(wanted) in \(phase.name)")
        }
        let slotBase = share?.publisherSlotBase[phaseIndex] ?? 0
        let slots = share?.totalPublishers[phaseIndex] ?? phase.publishers
        for (slot, publisher) in chosen.enumerated() {
            let loopIndex = publisher % loops.count
            let loop = loops[loopIndex]
            let owned = clients[loopIndex]
            let recorder = recorders[loopIndex]
            let timetable = Timetable(start: start, phase: phase, slot: slotBase + slot, of: slots)
            loop.execute { [self] in
                guard let client = owned.value.byIndex[publisher] else { return }
                let task = PublisherTask(
                    client: client, timetable: timetable, recorder: recorder.value, loop: loop,
                    send: { [self] client, scheduled in publish(from: client, scheduled: scheduled) })
                task.scheduleNext()
            }
        }
    }

    /// Sends one message; runs on the publisher's loop.
    func publish(from client: LoadClient, scheduled: UInt64) {
        // Away or catching up after a reconnect: nothing is sent (a message sent before the name
        // is back would be refused, and counted lost).
        guard let channel = client.channel, client.leftAt == nil, client.resume?.isCatchingUp != true else { return }
        let counted = nextSeq.wrappingAdd(1, ordering: .relaxed).oldValue
        let seq = share?.seq(counted) ?? counted
        let recipient = scenario.message.kind == .private ? membership.random() : nil
        if scenario.message.kind == .private && recipient == nil { return }
        let token = ProbeToken(run: runID, publisher: UInt32(client.index), seq: seq, scheduledNanos: share?.common(scheduled) ?? scheduled)
        let data = factory.frame(token: token, recipient: recipient, allocator: channel.allocator)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: data), promise: nil)
        let now = NIODeadline.now().uptimeNanoseconds
        client.recorder.recordSent(.init(seq: seq, scheduled: scheduled, publisher: client.index, recipient: recipient), at: now)
        sentCount.add(1, ordering: .relaxed)
    }

    // MARK: churn

    /// Clients leave (and as many new ones join) at the churn rate while the phases run. A
    /// leaver stops being a member at once but keeps reading for a second, so messages already
    /// due to it are not miscounted as lost.
    func startChurn(clock: PhaseClock) -> Task<Void, Never>? {
        guard let rate = scenario.churn?.rate, rate > 0 else { return nil }
        return Task { [self] in
            let interval = Duration.nanoseconds(Int64(1e9 / rate))
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                let excluded = publishers.withLock { $0 }
                guard let leaver = membership.random(excluding: excluded) else { continue }
                membership.remove(leaver)
                let loop = loops[leaver % loops.count]
                let owned = clients[leaver % loops.count]
                loop.execute {
                    guard let client = owned.value.byIndex[leaver] else { return }
                    client.leave(at: NIODeadline.now().uptimeNanoseconds)
                    let channel = client.channel
                    loop.scheduleTask(in: .seconds(1)) { channel?.close(promise: nil) }
                }
                let newcomer = nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue
                startClient(newcomer, due: NIODeadline.now().uptimeNanoseconds)
            }
        }
    }
}
