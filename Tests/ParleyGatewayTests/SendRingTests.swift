import Foundation
import NIOCore
import Testing

@testable import ParleyGateway

#if canImport(Glibc)
import Glibc
#endif

/// `SendRing` against connected socket pairs: every connection's frames arrive whole and in
/// order, a full socket answers at once (it must not park a send the ring would wait for), and a
/// broken one answers with its error without holding back the others.
@Suite(.enabled(if: SendRing.compiledIn, "this build has no io_uring (liburing-dev was not installed)"))
struct SendRingTests {
    @Test func eachConnectionGetsItsFramesInOneSubmission() throws {
        let ring = try #require(SendRing())
        let pairs = try (0..<3).map { _ in try SocketPair() }
        defer { pairs.forEach { $0.close() } }
        let frames = ["one", "two", "three", "four"].map { ByteBuffer(string: $0) }
        ring.add(pairs[0].near, tag: 0, frame: frames[0])
        ring.add(pairs[1].near, tag: 1, frames: [frames[1], frames[2]])
        ring.add(pairs[2].near, tag: 2, frame: frames[3])
        var results: [Int: Int] = [:]
        #expect(ring.sendAll { results[$0] = $1 })
        #expect(results == [0: 3, 1: 8, 2: 4])
        #expect(pairs[0].readAvailable() == "one")
        #expect(pairs[1].readAvailable() == "twothree")
        #expect(pairs[2].readAvailable() == "four")
        // Nothing is left behind for the next flush.
        var again = 0
        #expect(ring.sendAll { _, _ in again += 1 })
        #expect(again == 0)
    }

    @Test func aFullSocketAnswersAtOnceAndTheOthersStillGetTheirs() throws {
        let ring = try #require(SendRing())
        let full = try SocketPair(sendBuffer: 4096)
        let healthy = try SocketPair()
        defer { healthy.close() }  // `full` is closed once the drain has run (below)
        let filler = [UInt8](repeating: 0x61, count: 4096)
        while send(full.near, filler, filler.count, CInt(MSG_DONTWAIT | MSG_NOSIGNAL)) > 0 {}
        // The ring reads the frames' bytes when it sends: they are held until then, as a writer does.
        let frames = [ByteBuffer(string: "late"), ByteBuffer(string: "on time")]
        ring.add(full.near, tag: 0, frame: frames[0])
        ring.add(healthy.near, tag: 1, frame: frames[1])
        // Were the full socket's send parked, the ring would wait for it: a reader drains it after
        // two seconds, so such a ring fails the checks below instead of hanging the test run.
        let drained = DispatchGroup()
        drained.enter()
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
            full.drainFar()
            drained.leave()
        }
        var results: [Int: Int] = [:]
        let started = ContinuousClock.now
        #expect(withExtendedLifetime(frames) { ring.sendAll { results[$0] = $1 } })
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(results[0] == -Int(EAGAIN))
        #expect(results[1] == 7)
        #expect(healthy.readAvailable() == "on time")
        drained.wait()
        full.close()
    }

    @Test func aClosedPeerIsAnErrorNotASignal() throws {
        let ring = try #require(SendRing())
        let broken = try SocketPair()
        let healthy = try SocketPair()
        // Its far end is closed below, once: a second close could close whatever descriptor took
        // its number meanwhile in a test running beside this one (seen: another test's ring).
        defer {
            Glibc.close(broken.near)
            healthy.close()
        }
        Glibc.close(broken.far)  // without MSG_NOSIGNAL this would raise SIGPIPE and end the test run
        let frames = [ByteBuffer(string: "nobody"), ByteBuffer(string: "somebody")]
        ring.add(broken.near, tag: 0, frame: frames[0])
        ring.add(healthy.near, tag: 1, frame: frames[1])
        var results: [Int: Int] = [:]
        #expect(withExtendedLifetime(frames) { ring.sendAll { results[$0] = $1 } })
        #expect(results[0] == -Int(EPIPE))
        #expect(results[1] == 8)
        #expect(healthy.readAvailable() == "somebody")
    }

    @Test func aFlushLargerThanTheRingGoesInSeveralSubmissions() throws {
        let ring = try #require(SendRing(entries: 4))
        let pairs = try (0..<11).map { _ in try SocketPair() }
        defer { pairs.forEach { $0.close() } }
        let frames = pairs.indices.map { ByteBuffer(string: "frame \($0)") }
        for (index, pair) in pairs.enumerated() { ring.add(pair.near, tag: index, frame: frames[index]) }
        var results: [(tag: Int, result: Int)] = []
        let held = withExtendedLifetime(frames) { ring.sendAll { tag, result in results.append((tag, result)) } }
        #expect(held)
        #expect(results.map(\.tag) == Array(0..<11))
        #expect(results.map(\.result) == (0..<11).map { "frame \($0)".utf8.count })
        for (index, pair) in pairs.enumerated() { #expect(pair.readAvailable() == "frame \(index)") }
    }
}

/// Two connected Unix stream sockets: `near` is written by the ring, `far` read by the test.
private struct SocketPair {
    let near: CInt
    let far: CInt

    init(sendBuffer: CInt? = nil) throws {
        var descriptors: [CInt] = [0, 0]
        guard socketpair(AF_UNIX, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_NONBLOCK.rawValue), 0, &descriptors) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        (near, far) = (descriptors[0], descriptors[1])
        if var size = sendBuffer {
            setsockopt(near, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<CInt>.size))
        }
    }

    func readAvailable() -> String {
        var bytes = [UInt8](repeating: 0, count: 256)
        let count = recv(far, &bytes, bytes.count, CInt(MSG_DONTWAIT))
        return String(decoding: bytes.prefix(max(count, 0)), as: UTF8.self)
    }

    /// Reads whatever waits on the far side.
    func drainFar() {
        var bytes = [UInt8](repeating: 0, count: 65536)
        while recv(far, &bytes, bytes.count, CInt(MSG_DONTWAIT)) > 0 {}
    }

    func close() {
        Glibc.close(near)
        Glibc.close(far)
    }
}

/// A build without liburing (`swift build` where liburing-dev is missing) refuses every ring and
/// says why, so `parley serve` can log it and send per connection.
@Suite(.enabled(if: !SendRing.compiledIn, "this build has io_uring"))
struct SendRingWithoutLiburingTests {
    @Test func everyRingIsRefusedWithTheReason() {
        #expect(SendRing() == nil)
        #expect(SendRing.unavailableReason()?.contains("built without liburing") == true)
    }
}

/// The build has io_uring exactly when this machine has liburing's header: a build made before
/// liburing-dev was installed keeps its io_uring-less object until ring.c is rebuilt (a header
/// that appears is not a dependency of the last build), and would otherwise pass every test on
/// the direct path without saying so.
@Suite struct SendRingBuildTests {
    @Test func ioUringIsCompiledInExactlyWhereLiburingIsInstalled() {
        let headerPresent = FileManager.default.fileExists(atPath: "/usr/include/liburing.h")
        #expect(
            SendRing.compiledIn == headerPresent,
            "liburing.h \(headerPresent ? "is" : "is not") installed but this build \(SendRing.compiledIn ? "has" : "lacks") io_uring: touch Sources/CParleyRing/ring.c and rebuild"
        )
    }
}
