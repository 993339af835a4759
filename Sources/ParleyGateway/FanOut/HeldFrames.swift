import NIOCore

/// The frames a connection's writer holds between their writes and the flush that hands them to
/// the kernel (the direct and io_uring write paths), in order. The first is kept apart: most
/// flushes carry one frame, and an array's append, uniqueness check and clear cost more. From
/// the second on, all of them are in `more` (never one in each, so order is plain).
struct HeldFrames {
    /// Frames handed to the kernel in one send (an iovec each): the rest wait, as after a
    /// partial send. Well under the kernel's IOV_MAX (1,024); a connection rarely holds more.
    static let mostPerSend = 64

    private(set) var first: ByteBuffer?
    private(set) var more: [ByteBuffer] = []

    var isEmpty: Bool { first == nil && more.isEmpty }

    mutating func append(_ frame: ByteBuffer) {
        if isEmpty {
            first = frame
            return
        }
        if let held = first {
            more.append(held)
            first = nil
        }
        more.append(frame)
    }

    /// Hands every frame to `body`, in order, and empties the hold.
    mutating func drain(_ body: (ByteBuffer) -> Void) {
        if let first { body(first) }
        for frame in more { body(frame) }
        removeAll()
    }

    /// After the kernel took `sent` bytes from the front (0 or less: none): the frames it did not
    /// take whole, in order — the first of them with its reader index past what went — and the
    /// hold emptied. Allocates only when something is left, which is rare (a full socket).
    mutating func takeUnsent(after sent: Int) -> [ByteBuffer] {
        defer { removeAll() }
        var sent = max(sent, 0)
        if var frame = first {
            guard sent < frame.readableBytes else { return [] }
            frame.moveReaderIndex(forwardBy: sent)
            return [frame]
        }
        var index = 0
        while index < more.count, sent >= more[index].readableBytes {
            sent -= more[index].readableBytes
            index += 1
        }
        guard index < more.count else { return [] }
        var unsent = Array(more[index...])
        unsent[0].moveReaderIndex(forwardBy: sent)
        return unsent
    }

    mutating func removeAll() {
        first = nil
        more.removeAll(keepingCapacity: true)
    }
}
