import CParleyAllocation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where `SocketDescriptor`'s reflection found the descriptor, as byte offsets into the two
/// objects it walked — the channel (its `socket`) and that socket (its `descriptor`) — learned
/// once from the first connection of a channel class, then read straight from memory. `Mirror`
/// walks every stored property by name and builds their metadata each time: 9.6 % of the
/// server's CPU in a storm of 5,000 connects, ~45 µs a connection (perf, 2026-12-04). The kernel's
/// check of the result stays, as does reflection for whatever does not match what was learned.
struct DescriptorLayout: Sendable {
    let channelClass: ObjectIdentifier
    let socketOffset: Int
    /// The socket's class metadata, the first word of every instance: a pointer found at
    /// `socketOffset` is read through only when it points at one of these.
    let socketMetadata: UInt
    let descriptorOffset: Int

    /// The offsets at which `channel` holds `socket` and `socket` holds `descriptor`, searched
    /// within each object's allocation; nil if either is not found (or a value is not an object).
    static func learn(channel: AnyObject, socket: Any, descriptor: CInt) -> DescriptorLayout? {
        guard Mirror(reflecting: socket).displayStyle == .class else { return nil }
        let socketObject = socket as AnyObject
        let channelAddress = UnsafeRawPointer(Unmanaged.passUnretained(channel).toOpaque())
        let socketAddress = UnsafeRawPointer(Unmanaged.passUnretained(socketObject).toOpaque())
        let socketBits = UInt(bitPattern: socketAddress)
        guard
            let socketOffset = firstOffset(
                in: channelAddress, stride: MemoryLayout<UInt>.stride,
                where: { address, offset in
                    address.load(fromByteOffset: offset, as: UInt.self) == socketBits
                }),
            let descriptorOffset = firstOffset(
                in: socketAddress, stride: MemoryLayout<CInt>.stride,
                where: { address, offset in
                    address.load(fromByteOffset: offset, as: CInt.self) == descriptor
                })
        else { return nil }
        return DescriptorLayout(
            channelClass: ObjectIdentifier(type(of: channel)), socketOffset: socketOffset,
            socketMetadata: socketAddress.load(as: UInt.self), descriptorOffset: descriptorOffset)
    }

    /// The descriptor in `channel` by the learned offsets, or nil when `channel` is of another
    /// class or the word at `socketOffset` is not a socket of the learned class.
    func descriptor(of channel: AnyObject) -> CInt? {
        guard ObjectIdentifier(type(of: channel)) == channelClass else { return nil }
        let channelAddress = UnsafeRawPointer(Unmanaged.passUnretained(channel).toOpaque())
        guard
            let socketAddress = UnsafeRawPointer(
                bitPattern: channelAddress.load(fromByteOffset: socketOffset, as: UInt.self)),
            socketAddress.load(as: UInt.self) == socketMetadata
        else { return nil }
        return socketAddress.load(fromByteOffset: descriptorOffset, as: CInt.self)
    }

    /// The first aligned offset past the object header (metadata and reference counts, 16 bytes)
    /// inside the allocation at `address` where `matches` holds.
    private static func firstOffset(
        in address: UnsafeRawPointer, stride: Int, where matches: (UnsafeRawPointer, Int) -> Bool
    ) -> Int? {
        let size = parley_allocation_size(address)
        guard size >= 16 + stride else { return nil }
        return Swift.stride(from: 16, through: size - stride, by: stride).first { matches(address, $0) }
    }

    /// The layout learned so far (one channel class: the server's accepted sockets).
    static let learned = Mutex<DescriptorLayout?>(nil)
}
