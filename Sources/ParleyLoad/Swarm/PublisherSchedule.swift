import Foundation
import NIOCore
import NIOWebSocket
import ParleyProtocol

/// The publishers' timetable: each phase's publishers chosen among the members on NIO's path
/// (the lowest numbers), each sending on its own loop on an open-model timetable. A late loop
/// sends every message that is due, each with its own scheduled time: lateness shows as latency
/// and send lag, never as missing samples.
final class PublisherSchedule: Sendable {
    let context: SwarmContext
    private let tally: SwarmTally
    let factory: MessageFactory

    init(context: SwarmContext) {
        self.context = context
        self.tally = context.tally
        self.factory = MessageFactory(scenario: context.scenario)
    }

    /// Runs each publisher's timetable on its own loop. A late loop sends every message that is
    /// due, each with its own scheduled time: lateness shows as latency and send lag.
    func startPublishers(phase: Scenario.Phase, phaseIndex: Int, start: UInt64) {
        let chosen: [Int]
        let wanted: Int
        if let plan = context.roomPlan {
            // Room r's publishers are its clients r×stride…r×stride+publishers−1 (in a split run,
            // those of this agent's clients: they are the members it holds).
            let members = Set(tally.membership.all)
            let owned = (context.clientBase..<(context.clientBase + context.clientCount))
            wanted =
                plan.members.indices.flatMap { room in
                    (0..<min(phase.publishers, plan.publisherStride)).map { room * plan.publisherStride + $0 }
                }.filter { owned.contains($0) }.count
            chosen = plan.members.indices.flatMap { room in
                (0..<min(phase.publishers, plan.publisherStride)).map { room * plan.publisherStride + $0 }
            }.filter { members.contains($0) }
        } else {
            wanted = context.share?.publishers[phaseIndex] ?? phase.publishers
            chosen = tally.membership.lowest(wanted) { !context.receivesDirectly($0) }
        }
        tally.publishers.withLock { $0 = Set(chosen) }
        if chosen.count < wanted {
            tally.countError("publishers short: \(chosen.count) of \(wanted) in \(phase.name)")
        }
        // A room run's publishers are the agent's own room publishers: staggered among themselves.
        let slotBase = context.roomPlan != nil ? 0 : context.share?.publisherSlotBase[phaseIndex] ?? 0
        let slots = context.roomPlan != nil ? max(chosen.count, 1) : context.share?.totalPublishers[phaseIndex] ?? phase.publishers
        for (slot, publisher) in chosen.enumerated() {
            let loopIndex = publisher % context.loops.count
            let loop = context.loops[loopIndex]
            let owned = context.clients[loopIndex]
            let recorder = context.recorders[loopIndex]
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
        let counted = tally.nextSeq.wrappingAdd(1, ordering: .relaxed).oldValue
        let seq = context.share?.seq(counted) ?? counted
        // A room run's private share goes to one client anywhere (the number's own), not to the
        // publisher's room.
        let roomsRecipient = context.roomPlan?.privateRecipient(seq: seq)
        let isPrivate = context.scenario.message.kind == .private || roomsRecipient != nil
        let recipient = isPrivate ? roomsRecipient ?? tally.membership.random() : nil
        if isPrivate && recipient == nil { return }
        let token = ProbeToken(
            run: context.runID, publisher: UInt32(client.index), seq: seq, scheduledNanos: context.share?.common(scheduled) ?? scheduled)
        let room = isPrivate ? nil : context.roomPlan?.room(ofPublisher: client.index)
        let data = factory.frame(token: token, recipient: recipient, room: room, allocator: channel.allocator)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: data), promise: nil)
        let now = NIODeadline.now().uptimeNanoseconds
        client.recorder.recordSent(.init(seq: seq, scheduled: scheduled, publisher: client.index, recipient: recipient), at: now)
        tally.sent.add(1, ordering: .relaxed)
    }
}
