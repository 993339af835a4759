import Foundation
import NIOCore
import Synchronization
import NIOEmbedded
import NIOPosix
import ParleyTestSupport
import Testing

@testable import ParleyGateway

#if canImport(Glibc)
import Glibc
#endif

/// The direct and io_uring write paths (`PreEncodedFrameWriter` on a plaintext socket): the
/// writer finds the socket's descriptor under NIO, and a client whose kernel buffers fill — so
/// that frames spill into NIO's queue and later ones must wait behind them — still gets every
/// frame once, in order, on every path.
@Suite struct DirectWriteTests {
    @Test func findsTheDescriptorUnderAnAcceptedSocket() async throws {
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
        let descriptor = try #require(try await child.eventLoop.submit { SocketDescriptor.of(child) }.get())
        // The descriptor is that connection's: the kernel names the same two ends as NIO does.
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(descriptor, $0, &length) }
        }
        #expect(named == 0)
        #expect(Int(UInt16(bigEndian: address.sin_port)) == client.localAddress?.port)
        try await client.close()
        try await server.close()
        try await group.shutdownGracefully()
    }

    @Test func anEmbeddedChannelHasNone() {
        #expect(SocketDescriptor.of(EmbeddedChannel()) == nil)
    }

    @Test(arguments: WritePath.allCases)
    func aReaderThatStallsGetsEveryFrameInOrder(writePath: WritePath) async throws {
        try await withServer(gateway: {
            $0.writePath = writePath
            $0.outboundBudgetBytes = 4 * 1024 * 1024  // the backlog stays within it: nobody is closed
            $0.socketSendBufferBytes = 16 * 1024  // so the kernel does not absorb the backlog
            $0.inboundMessagesPerSecond = 10_000
        }) { server in
            let publisher = try await server.namedClient("publisher")
            let stalled = try await server.stalledClient("stalled")
            // Connections are dealt to the loops in turn: with these, every loop's flush of a
            // broadcast covers several, which the io_uring path sends in one submission.
            var readers: [TestClient] = []
            for index in 0..<4 { readers.append(try await server.namedClient("reader\(index)")) }
            // 300 KB: far past both kernel buffers, so most of it waits in NIO's queue, and each
            // message after the first spill must go behind it, not straight to the kernel.
            let text = String(repeating: "q", count: 1500)
            for round in 0..<20 {
                try await publisher.sendAll((0..<10).map { #"{"action":"sendPublic","message":"\#(round * 10 + $0) \#(text)"}"# })
                try await Task.sleep(for: .milliseconds(5))
            }
            try await stalled.resumeReading()
            for index in 0..<200 {
                let message = try await stalled.next()
                #expect(message.contains(#""text":"\#(index) "#), "message \(index): \(message.prefix(80))")
            }
            for reader in readers {
                for index in 0..<200 {
                    let message = try await reader.next()
                    #expect(message.contains(#""text":"\#(index) "#), "message \(index): \(message.prefix(80))")
                }
            }
            #expect(server.gateway.slowConsumerCloses == 0)
            // On the io_uring path, the flushes went in submissions; on the others, in none.
            #expect((server.gateway.sendsThroughRing > 0) == (writePath == .uring))
        }
    }
}

private final class AcceptedChannel: Sendable {
    let channel = Mutex<(any Channel)?>(nil)
}
