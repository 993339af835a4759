import ParleyChat
import ParleyLoad
import Testing

/// Both receive paths count the same server the same way, exactly: the direct path (ready
/// members read by `ReceiveLoop`s) changes what a frame costs, never what is counted.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ReceivePathTests {
    func run(_ lie: LyingRelay.Lie, path: ReceivePath) async throws -> (RunReport, lies: Int) {
        var options = quietOptions()
        options.receivePath = path
        return try await runAgainstRelay(lie, clients: 40, seconds: 2, options: options)
    }

    @Test(arguments: [LyingRelay.Lie.dropEvery(97), .duplicateEvery(89)])
    func bothPathsCountALyingRelayExactly(_ lie: LyingRelay.Lie) async throws {
        for path in ReceivePath.allCases {
            let (run, lies) = try await run(lie, path: path)
            #expect(lies > 0)
            #expect(run.overall.expected == run.overall.messagesSent * 39, "\(path): everyone but the sender")
            if case .dropEvery = lie {
                #expect(run.overall.lost == lies && run.overall.duplicates == 0, "\(path): every drop counted, once")
            } else {
                #expect(run.overall.duplicates == lies && run.overall.lost == 0, "\(path): every duplicate counted, once")
            }
            // Publishers (the two lowest) stay on NIO; every other member reads directly.
            #expect(run.directReaders == (path == .direct ? 38 : nil), "\(path): \(String(describing: run.directReaders)) direct readers")
        }
    }

    @Test func parleysReadinessHandOffLosesNothing() async throws {
        // Parley answers the readiness probe while the room's traffic is already flowing: the
        // hand-off happens mid-stream, and every message must still arrive once.
        for path in ReceivePath.allCases {
            let target = try await HarnessTarget.start { connections, scheduler in
                ChatHandler(connections: connections, scheduler: scheduler)
            }
            let scenario = chatScenario("handoff", clients: 60, publishers: 3, rate: 20, seconds: 2)
            var options = quietOptions()
            options.receivePath = path
            let report = try await LoadTest(scenario: scenario, source: "", options: options).run(targets: [target.url])
            try await target.stop()
            let run = report.runs[0]
            #expect(run.connect.ready == 60)
            #expect(run.overall.received == run.overall.expected && run.overall.expected == 60 * run.overall.messagesSent, "\(path)")
            #expect(run.overall.duplicates == 0 && run.overall.unexpected == 0, "\(path)")
            #expect(run.directReaders == (path == .direct ? 57 : nil), "\(path)")
        }
    }
}
