import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The file descriptor under a plaintext NIO socket channel, for the direct and io_uring write
/// paths (`PreEncodedFrameWriter`).
///
/// NIO offers no public way to it for an accepted channel (docs/ARCHITECTURE.md, "Where the
/// descriptor comes from"): `NIOFileHandle.withUnsafeFileDescriptor` is for files, the
/// bootstraps' `withConnectedSocket`/`withBoundSocket` take a descriptor in but never hand one
/// out, and `SocketOptionProvider` sets options through the socket without showing it. So it is
/// read through reflection (`Mirror` sees stored properties whatever their access): the channel's
/// `socket`, then that socket's `descriptor` — once, after which the offsets where they were found
/// are read directly (`DescriptorLayout`) — and then checked with the kernel: the descriptor's two ends must be the channel's (`getsockname`/`getpeername`). When
/// NIO's layout changes, the shape is not found or names another descriptor, and the connection
/// writes through NIO's pipeline as before: the fast path is an optimisation, never a
/// requirement. `SocketDescriptorTests` shows both, and fails when NIO's shape moves.
enum SocketDescriptor {
    static func of(_ channel: any Channel) -> CInt? {
        // What reflection found before, read at its offsets (`DescriptorLayout`): the same check.
        if let layout = DescriptorLayout.learned.withLock({ $0 }), let descriptor = layout.descriptor(of: channel),
            descriptor >= 0, isSocket(descriptor, of: channel)
        {
            return descriptor
        }
        return reflected(channel)
    }

    /// The descriptor found by reflection, its offsets learned for the next channel.
    static func reflected(_ channel: any Channel) -> CInt? {
        guard let socket = storedProperty("socket", of: channel) else { return nil }
        guard let descriptor = storedProperty("descriptor", of: socket) as? CInt, descriptor >= 0 else { return nil }
        guard isSocket(descriptor, of: channel) else { return nil }
        if DescriptorLayout.learned.withLock({ $0 == nil }),
            let layout = DescriptorLayout.learn(channel: channel, socket: socket, descriptor: descriptor)
        {
            DescriptorLayout.learned.withLock { $0 = layout }
        }
        return descriptor
    }

    /// True when the kernel says `descriptor` is a connected socket with the channel's local and
    /// remote ports (and family): what reflection found really is this connection's.
    static func isSocket(_ descriptor: CInt, of channel: any Channel) -> Bool {
        guard let local = channel.localAddress, let remote = channel.remoteAddress else { return false }
        guard let ownEnd = port(of: descriptor, getsockname), let otherEnd = port(of: descriptor, getpeername) else {
            return false
        }
        return ownEnd.family == local.protocol.rawValue && ownEnd.port == local.port
            && otherEnd.family == remote.protocol.rawValue && otherEnd.port == remote.port
    }

    private typealias NameCall = (CInt, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> CInt

    /// The address family and port the kernel gives for one end of the socket, or nil.
    private static func port(of descriptor: CInt, _ call: NameCall) -> (family: CInt, port: Int)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(descriptor, $0, &length) }
        }
        guard named == 0 else { return nil }
        let family = CInt(storage.ss_family)
        return withUnsafeBytes(of: storage) { raw in
            switch family {
            case AF_INET: (AF_INET, Int(UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port)))
            case AF_INET6: (AF_INET6, Int(UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port)))
            default: nil
            }
        }
    }

    /// A stored property of `value` by name, its class's or any superclass's.
    private static func storedProperty(_ name: String, of value: Any) -> Any? {
        var mirror: Mirror? = Mirror(reflecting: value)
        while let current = mirror {
            if let child = current.children.first(where: { $0.label == name }) { return child.value }
            mirror = current.superclassMirror
        }
        return nil
    }
}
