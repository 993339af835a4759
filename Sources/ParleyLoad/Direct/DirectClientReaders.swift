import NIOCore

/// The direct receive path's readers: one `ReceiveLoop` (an epoll thread) per event loop, and
/// each target's address for the loops' own connects (nil: that target stays on NIO, e.g. TLS).
final class DirectClientReaders: ClientReaders {
    let loops: [ReceiveLoop]
    private let addresses: [SocketAddress?]

    init(loops: [ReceiveLoop], targets: [TargetURL]) {
        self.loops = loops
        self.addresses = targets.map { target in
            guard !target.isSecure else { return nil }
            return (try? SocketAddress(ipAddress: target.host, port: target.port))
                ?? (try? SocketAddress.makeAddressResolvingHost(target.host, port: target.port))
        }
    }

    /// The address the direct path connects to for target `index`, or nil when it cannot.
    func address(forTarget index: Int) -> SocketAddress? { addresses[index] }

    func start() {
        for loop in loops { loop.start() }
    }

    func startPhases(_ clock: PhaseClock) async throws {
        for loop in loops {
            await loop.submit {
                loop.recorder.startPhases(clock)
                loop.startLagProbe(from: clock.boundaries.first!, until: clock.boundaries.last!)
            }
        }
    }

    func busySeconds() async throws -> [Double] {
        var seconds: [Double] = []
        for loop in loops { seconds.append(await loop.submit { loop.busySeconds() }) }
        return seconds
    }

    func eachRecorder<T: Sendable>(_ read: @escaping @Sendable (LoopRecorder) -> T) async throws -> [T] {
        var values: [T] = []
        for loop in loops { values.append(await loop.submit { read(loop.recorder) }) }
        return values
    }

    func collect() async throws -> ReadersCollected {
        var collected = ReadersCollected()
        for loop in loops {
            let (snapshot, adopted) = await loop.submit {
                loop.closeAll()
                return (loop.recorder.snapshot(), loop.adopted)
            }
            collected.measurements.append(snapshot)
            collected.directReaders += adopted
            await loop.stop()
        }
        return collected
    }

    func abandon() async {
        for loop in loops {
            loop.enqueue { loop.closeAll() }
            await loop.stop()
        }
    }
}
