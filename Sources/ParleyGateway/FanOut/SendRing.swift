import CParleyRing
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// One event loop's io_uring (docs/ARCHITECTURE.md, "The io_uring write path"): the sends of a
/// flush — every connection a burst of deliveries left with frames — are gathered here and go
/// to the kernel in one system call, where the direct path makes one `send` per connection.
/// Measured with the C reference server (a broadcast per submission instead of a `send` per
/// recipient): 10–25 % less CPU per delivery at 1,000–5,000 clients and at 150,000
/// deliveries/s. Used on its loop only (`LoopConnectionTable` owns it).
final class SendRing {
    /// Submissions per system call: a broadcast to 1,000 connections goes in one.
    static let entries: UInt32 = 1024

    private let ring: OpaquePointer
    private var sends: [parley_send] = []
    private var buffers: [iovec] = []

    /// nil where the kernel, or a seccomp filter (a container's default one, say), refuses
    /// io_uring; `unavailableReason` says why.
    init?(entries: UInt32 = SendRing.entries) {
        guard let ring = parley_ring_create(entries) else { return nil }
        self.ring = ring
        sends.reserveCapacity(Int(entries))
        buffers.reserveCapacity(Int(entries))
    }

    deinit { parley_ring_destroy(ring) }

    /// False on a build without liburing's header: every ring is refused (the direct path serves).
    static let compiledIn = parley_ring_compiled_in() != 0

    /// nil when a ring can be made here; else why not (for the startup log): this build has no
    /// io_uring, or the kernel refused it.
    static func unavailableReason() -> String? {
        guard compiledIn else {
            return "built without liburing (install liburing-dev, then rebuild: touch Sources/CParleyRing/ring.c, or build from clean)"
        }
        guard let ring = parley_ring_create(8) else { return String(cString: strerror(errno)) }
        parley_ring_destroy(ring)
        return nil
    }

    /// One connection's frame. Its bytes must stay alive, unchanged, until `sendAll` returns
    /// (the writer holds the frame until it hears the result).
    func add(_ descriptor: CInt, tag: Int, frame: ByteBuffer) {
        sends.append(parley_send(fd: descriptor, tag: CInt(tag), first: UInt32(buffers.count), count: 1, result: 0))
        buffers.append(frame.readableIOVec)
    }

    /// One connection's frames, in order, in one `sendmsg` (at most `HeldFrames.mostPerSend`:
    /// the writer hands the rest to NIO, as after a partial send).
    func add(_ descriptor: CInt, tag: Int, frames: [ByteBuffer]) {
        let count = min(frames.count, HeldFrames.mostPerSend)
        sends.append(parley_send(fd: descriptor, tag: CInt(tag), first: UInt32(buffers.count), count: UInt32(count), result: 0))
        for index in 0..<count { buffers.append(frames[index].readableIOVec) }
    }

    /// Connections added since the last `sendAll`.
    var count: Int { sends.count }

    /// Sends everything added, then tells `finish` each connection's result in the order they
    /// were added: the bytes the kernel took, or -errno. False when the ring itself failed: it
    /// must not be used again (the results still say what each send did).
    func sendAll(_ finish: (_ tag: Int, _ result: Int) -> Void) -> Bool {
        guard !sends.isEmpty else { return true }
        let status = buffers.withUnsafeBufferPointer { buffers in
            sends.withUnsafeMutableBufferPointer { sends in
                parley_ring_send(ring, sends.baseAddress, sends.count, buffers.baseAddress)
            }
        }
        for send in sends { finish(Int(send.tag), send.result) }
        sends.removeAll(keepingCapacity: true)
        buffers.removeAll(keepingCapacity: true)
        return status == 0
    }
}
