import NIOCore

/// One publisher's timetable on its loop.
final class PublisherTask {
    let client: LoadClient
    let timetable: Timetable
    let recorder: LoopRecorder
    let loop: any EventLoop
    let send: (LoadClient, UInt64) -> Void
    private var next = 0

    init(
        client: LoadClient, timetable: Timetable, recorder: LoopRecorder, loop: any EventLoop, send: @escaping (LoadClient, UInt64) -> Void
    ) {
        self.client = client
        self.timetable = timetable
        self.recorder = recorder
        self.loop = loop
        self.send = send
    }

    func scheduleNext() {
        guard let due = timetable.due(next) else { return }
        loop.assumeIsolated().scheduleTask(deadline: NIODeadline.uptimeNanoseconds(due)) { [self] in fire() }
    }

    private func fire() {
        let now = NIODeadline.now().uptimeNanoseconds
        while let due = timetable.due(next), due <= now {
            send(client, due)
            next += 1
        }
        scheduleNext()
    }
}
