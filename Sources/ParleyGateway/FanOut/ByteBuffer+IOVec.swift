import NIOCore

#if canImport(Glibc)
import Glibc
#endif

extension ByteBuffer {
    /// The readable bytes as an `iovec` for `sendmsg` or an io_uring send. The pointer outlives
    /// the closure it came from: whoever uses it must keep this buffer alive and unchanged until
    /// the kernel has read it (the writers hold their frames until they hear the result).
    var readableIOVec: iovec {
        withUnsafeReadableBytes { raw in
            iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress), iov_len: raw.count)
        }
    }
}
