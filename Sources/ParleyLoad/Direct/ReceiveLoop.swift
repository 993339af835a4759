import CParleyPoll
import Foundation
import Glibc
import NIOCore
import Synchronization

/// One thread with its own epoll set that reads ready clients' sockets straight from the kernel:
/// one read per readiness event, one clock read per read (every frame of a read arrived at
/// once), frames cut in place (`ServerFrameReader`) and recorded into this loop's own
/// `LoopRecorder` without locks — what the C probe client does. NIO's channel machinery per
/// read (selector bookkeeping, pipeline hops, a buffer per read, retains and releases) was most
/// of parley-load's user-space CPU per received frame under `perf` (docs/LOAD.md, "What the
/// harness costs"). NIO still connects nothing here but does the upgrade, TLS, publishers,
/// reconnects and churn; a client is handed over once it is ready (`LoadClientHandler`).
final class ReceiveLoop: @unchecked Sendable {
    /// Work for the loop's thread. Its captures are used only there.
    private struct Job: @unchecked Sendable {
        let run: () -> Void
    }

    let index: Int
    /// Touched only on this loop's thread, like a NIO loop's recorder.
    let recorder: LoopRecorder
    private let epoll: Int32
    private let wake: Int32
    private let lagTimer: Int32
    private let inbox = Mutex<[Job]>([])
    private let exited = Mutex<CheckedContinuation<Void, Never>?>(nil)
    // The thread's own state from here on.
    /// By descriptor: a lookup per read that costs an index, not a hash.
    private var sockets: [DirectSocket?] = []
    /// Connects in progress (`ReceiveLoop+Connect`), by descriptor.
    var connecting: [Int32: PendingConnect] = [:]
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    private var lagProbe: (due: UInt64, end: UInt64)?
    private var running = true
    /// Clients handed over so far. Read on the loop.
    private(set) var adopted = 0
    /// When the thread started, and how long it has waited in epoll_wait since (ns).
    private var startedAt: UInt64 = 0
    private var waited: UInt64 = 0

    init(index: Int, recorder: LoopRecorder) {
        self.index = index
        self.recorder = recorder
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wake = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        lagTimer = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
        precondition(epoll >= 0 && wake >= 0 && lagTimer >= 0, "epoll, eventfd or timerfd: errno \(errno)")
        watch(wake, events: EPOLLIN.rawValue)
        watch(lagTimer, events: EPOLLIN.rawValue)
    }

    deinit {
        readBuffer.deallocate()
        close(wake)
        close(lagTimer)
        close(epoll)
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "parley-load receive \(index)"
        thread.start()
    }

    /// Runs `body` on the loop's thread and answers its result.
    func submit<T: Sendable>(_ body: @escaping () -> T) async -> T {
        await withCheckedContinuation { continuation in
            enqueue { continuation.resume(returning: body()) }
        }
    }

    func enqueue(_ body: @escaping () -> Void) {
        inbox.withLock { $0.append(Job(run: body)) }
        var one: UInt64 = 1
        _ = write(wake, &one, 8)
    }

    /// Ends the thread once what is queued has run; its sockets must be closed by then.
    func stop() async {
        await withCheckedContinuation { continuation in
            exited.withLock { $0 = continuation }
            enqueue { [self] in running = false }
        }
    }

    /// Takes over a ready client's socket; `tail` is a frame NIO had only begun to read.
    func adopt(descriptor: Int32, client: LoadClient, tail: ByteBuffer?) {
        let job = Job { [self] in
            let index = Int(descriptor)
            if index >= sockets.count { sockets += Array(repeating: nil, count: max(index + 1 - sockets.count, sockets.count)) }
            adopted += 1
            sockets[index] = DirectSocket(descriptor: descriptor, client: client, reader: ServerFrameReader(pending: tail))
            watch(descriptor, events: EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
        }
        enqueue(job.run)
    }

    /// Records how late the loop wakes for a 10 ms tick from `start` until `end`, as
    /// `LoopLagProbe` does on NIO's loops. Call on the loop.
    func startLagProbe(from start: UInt64, until end: UInt64) {
        lagProbe = (start, end)
        armLagTimer()
    }

    /// Says goodbye on every socket it reads (close 1000) and closes them. Call on the loop.
    func closeAll() {
        for case let socket? in sockets {
            socket.sendClose(code: 1000)
            close(socket.descriptor)
        }
        sockets.removeAll()
        for (descriptor, pending) in connecting {
            close(descriptor)
            pending.completion(.failure(ChannelError.ioOnClosedChannel))
        }
        connecting.removeAll()
    }

    // MARK: the thread

    /// Seconds this loop was not waiting for the network since it started: its work, and any
    /// time other work kept it off the CPU — either way, time it could not read. Unlike its
    /// thread CPU time this reaches 1 when the loop falls behind, whatever took the core (the
    /// kernel's receive work on this core is not the thread's CPU time, but delays it all the
    /// same). Call on the loop.
    func busySeconds() -> Double {
        Double(NIODeadline.now().uptimeNanoseconds &- startedAt &- waited) / 1e9
    }

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        startedAt = NIODeadline.now().uptimeNanoseconds
        while running {
            let before = NIODeadline.now().uptimeNanoseconds
            let count = events.withUnsafeMutableBufferPointer {
                epoll_wait(epoll, $0.baseAddress, Int32($0.count), connecting.isEmpty ? -1 : 10)
            }
            waited &+= NIODeadline.now().uptimeNanoseconds &- before
            if count < 0 {
                precondition(errno == EINTR, "epoll_wait: errno \(errno)")
                continue
            }
            for event in events.prefix(Int(count)) {
                let descriptor = event.data.fd
                if descriptor == wake {
                    runJobs()
                } else if descriptor == lagTimer {
                    probeLag()
                } else if connecting[descriptor] != nil {
                    finishConnect(descriptor)
                } else {
                    readable(descriptor)
                }
            }
            if !connecting.isEmpty { expireConnects() }
        }
        exited.withLock { $0.take() }?.resume()
    }

    private func runJobs() {
        var value: UInt64 = 0
        _ = read(wake, &value, 8)
        let jobs = inbox.withLock { jobs in
            defer { jobs.removeAll(keepingCapacity: true) }
            return jobs
        }
        for job in jobs { job.run() }
    }

    private func readable(_ descriptor: Int32) {
        guard Int(descriptor) < sockets.count, let socket = sockets[Int(descriptor)] else { return }
        let result = read(descriptor, readBuffer.baseAddress, readBuffer.count)
        if result < 0 && (errno == EAGAIN || errno == EINTR) { return }
        guard result > 0 else { return end(socket) }
        let now = NIODeadline.now().uptimeNanoseconds
        var closing: UInt16?
        do {
            try socket.reader.consume(
                bytes: UnsafeRawBufferPointer(rebasing: readBuffer[..<result]),
                data: { bytes in ClientFrames.receive(bytes, client: socket.client, recorder: recorder, at: now) },
                control: { control in
                    switch control {
                    case .close(let code): closing = closing ?? (code == 1005 ? 1000 : code)
                    case .ping(let payload): socket.sendPong(payload)
                    }
                })
        } catch {
            // The server broke the protocol: say so as a client must (RFC 6455 §7.4.1) and go.
            closing = error == .tooBig ? 1009 : 1002
        }
        if let closing {
            socket.sendClose(code: closing)
            end(socket)
        }
    }

    /// The socket is done (the server closed it, or broke the protocol): as NIO's
    /// `channelInactive` would, the client hears of it.
    private func end(_ socket: DirectSocket) {
        sockets[Int(socket.descriptor)] = nil
        close(socket.descriptor)
        socket.client.onClosed?(socket.client, socket.client.leftAt != nil)
    }

    private func probeLag() {
        var expirations: UInt64 = 0
        _ = read(lagTimer, &expirations, 8)
        guard let (due, end) = lagProbe else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        guard now >= due else { return armLagTimer() }
        recorder.recordLoopLag(micros: (now &- due) / 1000)
        let next = LoopLagProbe.nextTick(after: due, now: now)
        lagProbe = next < end ? (next, end) : nil
        armLagTimer()
    }

    private func armLagTimer() {
        var when = itimerspec()
        if let (due, _) = lagProbe {
            let now = NIODeadline.now().uptimeNanoseconds
            let wait = max(due > now ? due - now : 0, 1000)
            when.it_value = timespec(tv_sec: Int(wait / 1_000_000_000), tv_nsec: Int(wait % 1_000_000_000))
        }
        timerfd_settime(lagTimer, 0, &when, nil)
    }

    func watch(_ descriptor: Int32, events: UInt32) {
        var event = epoll_event()
        event.events = events
        event.data.fd = descriptor
        precondition(epoll_ctl(epoll, EPOLL_CTL_ADD, descriptor, &event) == 0, "epoll_ctl add: errno \(errno)")
    }

    func unwatch(_ descriptor: Int32) {
        var event = epoll_event()
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, descriptor, &event)
    }
}
