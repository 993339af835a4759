import NIOCore

/// NIO's event loops as readers: each loop's recorder and the clients it owns.
struct NIOClientReaders: ClientReaders {
    let loops: [any EventLoop]
    let recorders: [LoopBound<LoopRecorder>]
    let clients: [LoopBound<LoopClients>]

    func startPhases(_ clock: PhaseClock) async throws {
        for (index, loop) in loops.enumerated() {
            let recorder = recorders[index]
            try await loop.submit {
                recorder.value.startPhases(clock)
                LoopLagProbe.start(on: loop, recorder: recorder, from: clock.boundaries.first!, until: clock.boundaries.last!)
            }.get()
        }
    }

    func busySeconds() async throws -> [Double] {
        var seconds: [Double] = []
        for loop in loops { seconds.append(try await loop.submit { ThreadCPU.seconds() }.get()) }
        return seconds
    }

    func eachRecorder<T: Sendable>(_ read: @escaping @Sendable (LoopRecorder) -> T) async throws -> [T] {
        var values: [T] = []
        for (index, loop) in loops.enumerated() {
            let recorder = recorders[index]
            values.append(try await loop.submit { read(recorder.value) }.get())
        }
        return values
    }

    func collect() async throws -> ReadersCollected {
        var collected = ReadersCollected()
        for (index, loop) in loops.enumerated() {
            let recorder = recorders[index]
            let owned = clients[index]
            let (snapshot, intervals) = try await loop.submit {
                let table = owned.value
                let intervals = table.byIndex.values.compactMap(\.interval)
                for client in table.byIndex.values { client.channel?.close(promise: nil) }
                return (recorder.value.snapshot(), intervals)
            }.get()
            collected.measurements.append(snapshot)
            collected.intervals += intervals
        }
        return collected
    }

    func abandon() async {}
}
