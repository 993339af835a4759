import Foundation
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

/// The direct and io_uring write paths (`PreEncodedFrameWriter` on a plaintext socket): a client
/// whose kernel buffers fill — so that frames spill into NIO's queue and later ones must wait
/// behind them — still gets every frame once, in order, on every path.
@Suite struct DirectWriteTests {
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
            // On the io_uring path, the flushes went in submissions; on the others, in none (and
            // in none on a build without liburing, where `uring` falls back to the direct path).
            #expect((server.gateway.sendsThroughRing > 0) == (writePath == .uring && SendRing.compiledIn))
        }
    }
}
