import Glibc
import NIOCore
import ParleyProtocol
import Synchronization
import Testing

@testable import ParleyLoad

/// The direct receive path's loop on a real socket pair: it goes on with a frame NIO had begun,
/// records deliveries on its own thread, answers ping and close as a client must (masked), and
/// tells the client when the server ends the connection.
@Suite struct ReceiveLoopTests {
    /// Reads what the loop wrote back, unmasked: (opcode, payload) per frame, until `frames`.
    static func clientFrames(from descriptor: Int32, count frames: Int) -> [(UInt8, [UInt8])] {
        var bytes: [UInt8] = []
        var found: [(UInt8, [UInt8])] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        let deadline = ContinuousClock.now + .seconds(5)
        while found.count < frames && ContinuousClock.now < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { break }
            bytes += buffer.prefix(count)
            while bytes.count >= 6, bytes.count >= 6 + Int(bytes[1] & 0x7F) {
                #expect(bytes[1] & 0x80 != 0, "a client's frames are masked")
                let length = Int(bytes[1] & 0x7F)
                let mask = Array(bytes[2..<6])
                let payload = (0..<length).map { bytes[6 + $0] ^ mask[$0 & 3] }
                found.append((bytes[0] & 0x0F, payload))
                bytes.removeFirst(6 + length)
            }
        }
        return found
    }

    @Test func theLoopGoesOnWithAHandedOffSocketAndAnswersAsAClientMust() async throws {
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        let (server, clientSide) = (pair[0], pair[1])
        defer { close(server) }
        let now = NIODeadline.now().uptimeNanoseconds
        let recorder = LoopRecorder(runID: 7, runStart: now)
        let loop = ReceiveLoop(index: 0, recorder: recorder)
        loop.start()
        let phase = Scenario.Phase(name: "steady", duration: .seconds(60), publishers: 1, rate: 1)
        await loop.submit { loop.recorder.startPhases(PhaseClock(start: now, phases: [phase])) }

        let client = LoadClient(index: 3, recorder: recorder, senderReceives: true)
        client.becomeReady(at: now - 1)
        let closed = Mutex<[Bool]>([])
        client.onClosed = { _, expected in closed.withLock { $0.append(expected) } }
        let token = ProbeToken(run: 7, publisher: 1, seq: 0, scheduledNanos: now + 1_000)
        let message = ServerFrameReaderTests.frame(Array(token.text.utf8))
        // NIO read the first half of the message before the hand-off.
        let tail = ByteBuffer(bytes: message.prefix(message.count / 2))
        loop.adopt(descriptor: clientSide, client: client, tail: tail)
        let rest = Array(message.suffix(from: message.count / 2)) + ServerFrameReaderTests.frame(Array("hi".utf8), opcode: 0x9)
        #expect(write(server, rest, rest.count) == rest.count)

        let pong = Self.clientFrames(from: server, count: 1)
        #expect(pong.count == 1 && pong.first?.0 == 0xA && pong.first?.1 == Array("hi".utf8), "a masked pong with the ping's payload")
        let received = await loop.submit { loop.recorder.totalReceived }
        #expect(received == 1, "the message split across the hand-off is delivered once")

        let close: [UInt8] = ServerFrameReaderTests.frame([0x03, 0xE9], opcode: 0x8)
        #expect(write(server, close, close.count) == close.count)
        let reply = Self.clientFrames(from: server, count: 1)
        #expect(reply.first?.0 == 0x8 && reply.first?.1 == [0x03, 0xE9], "the close is answered with its code")
        var byte: UInt8 = 0
        #expect(read(server, &byte, 1) == 0, "and the socket closed")
        let deadline = ContinuousClock.now + .seconds(5)
        while closed.withLock({ $0.isEmpty }) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(50))  // a second call, were there one, would be in by now
        let closes = closed.withLock { $0 }
        #expect(closes == [false], "the client hears of a close it did not ask for, once")
        await loop.stop()
    }

    @Test func aConnectNobodyAnswersFailsAsRefused() async throws {
        let loop = ReceiveLoop(index: 0, recorder: LoopRecorder(runID: 1, runStart: 0))
        loop.start()
        // A port nobody listens on (bound, never listened).
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            loop.connect(to: try! SocketAddress(ipAddress: "127.0.0.1", port: port), from: nil, timeout: .seconds(2)) { result in
                switch result {
                case .success(let descriptor):
                    close(descriptor)
                    continuation.resume(returning: "connected")
                case .failure(let error): continuation.resume(returning: error.connectErrorKind)
                }
            }
        }
        #expect(outcome == "refused")
        await loop.stop()
    }
}
