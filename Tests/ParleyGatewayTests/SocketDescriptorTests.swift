import NIOCore
import NIOEmbedded
import NIOPosix
import ParleyTestSupport
import Synchronization
import Testing

@testable import ParleyGateway

#if canImport(Glibc)
import Glibc
#endif

/// The descriptor under an accepted NIO channel, read by reflection and checked with the kernel
/// (`SocketDescriptor`): found where NIO's shape is as expected, refused where it is not — an
/// embedded channel, or a number that is some other socket (what a changed layout would yield).
@Suite struct SocketDescriptorTests {
    @Test func findsTheDescriptorUnderAnAcceptedSocket() async throws {
        try await withAcceptedPair { child, client in
            let descriptor = try #require(try await child.eventLoop.submit { SocketDescriptor.of(child) }.get())
            // The descriptor is that connection's: the kernel names the same far end as NIO does.
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(descriptor, $0, &length) }
            }
            #expect(named == 0)
            #expect(Int(UInt16(bigEndian: address.sin_port)) == client.localAddress?.port)
        }
    }

    @Test func anEmbeddedChannelHasNone() {
        #expect(SocketDescriptor.of(EmbeddedChannel()) == nil)
    }

    /// Were NIO's stored `descriptor` to mean something else, the number found would name another
    /// socket, or none: the kernel's check refuses it, and the connection uses NIO's pipeline.
    @Test func aDescriptorOfAnotherSocketIsRefused() async throws {
        try await withAcceptedPair { child, client in
            let own = try #require(try await child.eventLoop.submit { SocketDescriptor.of(child) }.get())
            let unrelated = socket(AF_INET, CInt(SOCK_STREAM.rawValue), 0)
            defer { close(unrelated) }
            let checks = try await child.eventLoop.submit {
                (
                    SocketDescriptor.isSocket(own, of: child),
                    SocketDescriptor.isSocket(unrelated, of: child),
                    SocketDescriptor.isSocket(9_999, of: child)
                )
            }.get()
            #expect(checks.0)
            #expect(!checks.1, "an unconnected socket")
            #expect(!checks.2, "a descriptor that is not open")
            // The client's own socket has the two ports the other way round: not the child's.
            let clientSide = try await client.eventLoop.submit { SocketDescriptor.of(client) }.get()
            let crossed = try #require(clientSide)
            #expect(try await child.eventLoop.submit { SocketDescriptor.isSocket(crossed, of: child) }.get() == false)
        }
    }

    /// After reflection found one channel's descriptor, its offsets read every other channel of
    /// the class: the accepted child's and the client's own (a different socket each), the same
    /// numbers reflection gives; a channel of another class, or a layout whose socket class does
    /// not match, reads nothing.
    @Test func theLearnedOffsetsReadWhatReflectionReads() async throws {
        try await withAcceptedPair { child, client in
            let (reflected, clientReflected) = try await child.eventLoop.submit {
                (SocketDescriptor.reflected(child), SocketDescriptor.reflected(client))
            }.get()
            let own = try #require(reflected)
            let clientOwn = try #require(clientReflected)
            #expect(own != clientOwn)
            let layout = try #require(DescriptorLayout.learned.withLock { $0 })
            let read = try await child.eventLoop.submit { (layout.descriptor(of: child), layout.descriptor(of: client)) }.get()
            #expect(read.0 == own && read.1 == clientOwn, "\(read) against \(own), \(clientOwn)")
            #expect(layout.descriptor(of: EmbeddedChannel()) == nil)
            let wrongSocket = DescriptorLayout(
                channelClass: layout.channelClass, socketOffset: layout.socketOffset, socketMetadata: layout.socketMetadata &+ 8,
                descriptorOffset: layout.descriptorOffset)
            #expect(try await child.eventLoop.submit { wrongSocket.descriptor(of: child) }.get() == nil)
            // And the way connections take: the same number, checked by the kernel.
            #expect(try await child.eventLoop.submit { SocketDescriptor.of(child) }.get() == own)
        }
    }

    /// A server and one client on loopback; `body` gets the accepted child and the client.
    private func withAcceptedPair(_ body: (any Channel, any Channel) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let accepted = AcceptedChannel()
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                accepted.channel.withLock { $0 = channel }
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let client = try await ClientBootstrap(group: group).connect(to: server.localAddress!).get()
        try await waitUntil { accepted.channel.withLock { $0 } != nil }
        let child = try #require(accepted.channel.withLock { $0 })
        try await body(child, client)
        try await client.close()
        try await server.close()
        try await group.shutdownGracefully()
    }
}

private final class AcceptedChannel: Sendable {
    let channel = Mutex<(any Channel)?>(nil)
}
