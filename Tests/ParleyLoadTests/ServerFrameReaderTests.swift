import NIOCore
import Testing

@testable import ParleyLoad

/// The load clients' in-place frame reader: frames however the reads cut them, in order, with
/// nothing lost, and the protocol's errors named.
@Suite struct ServerFrameReaderTests {
    /// An unmasked server frame.
    static func frame(_ payload: [UInt8], opcode: UInt8 = 0x1, fin: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        if payload.count < 126 {
            bytes.append(UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            bytes += [126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            bytes.append(127)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((payload.count >> shift) & 0xFF)) }
        }
        return bytes + payload
    }

    /// Feeds `bytes` in reads of the given sizes; returns the messages and controls seen.
    static func read(
        _ bytes: [UInt8], cuts: [Int], reader: inout ServerFrameReader
    ) throws(ServerFrameReader.Failure) -> (messages: [String], controls: [String]) {
        var messages: [String] = []
        var controls: [String] = []
        var offset = 0
        var cutIndex = 0
        while offset < bytes.count {
            let size = min(cutIndex < cuts.count ? cuts[cutIndex] : bytes.count, bytes.count - offset)
            cutIndex += 1
            try reader.consume(
                ByteBuffer(bytes: bytes[offset..<offset + size]),
                data: { messages.append(String(decoding: $0, as: UTF8.self)) },
                control: { control in
                    switch control {
                    case .close(let code): controls.append("close \(code)")
                    case .ping(let payload): controls.append("ping \(String(buffer: payload))")
                    }
                })
            offset += size
        }
        return (messages, controls)
    }

    @Test func manyFramesInOneReadAreEachHandedOverInOrder() throws {
        let bytes = Self.frame(Array("one".utf8)) + Self.frame(Array("two".utf8)) + Self.frame(Array("three".utf8))
        var reader = ServerFrameReader()
        let seen = try Self.read(bytes, cuts: [bytes.count], reader: &reader)
        #expect(seen.messages == ["one", "two", "three"])
    }

    @Test func framesCutAtEveryByteStillArriveWhole() throws {
        let long = String(repeating: "x", count: 300)
        let huge = String(repeating: "y", count: 70_000)
        let bytes =
            Self.frame(Array("a".utf8)) + Self.frame(Array(long.utf8)) + Self.frame(Array(huge.utf8))
            + Self.frame(Array("z".utf8))
        for cut in [1, 2, 3, 5, 127, 4096] {
            var reader = ServerFrameReader()
            let seen = try Self.read(bytes, cuts: Array(repeating: cut, count: bytes.count), reader: &reader)
            #expect(seen.messages == ["a", long, huge, "z"], "reads of \(cut) bytes")
        }
    }

    @Test func aFragmentedMessageIsAssembledAndControlFramesMayInterleave() throws {
        let bytes =
            Self.frame(Array("hel".utf8), fin: false) + Self.frame(Array("hi".utf8), opcode: 0x9)
            + Self.frame(Array("lo".utf8), opcode: 0x0, fin: false) + Self.frame(Array("!".utf8), opcode: 0x0)
            + Self.frame([0x03, 0xE9], opcode: 0x8)
        var reader = ServerFrameReader()
        let seen = try Self.read(bytes, cuts: [4, 3, 100], reader: &reader)
        #expect(seen.messages == ["hello!"])
        #expect(seen.controls == ["ping hi", "close 1001"])
    }

    @Test func aCloseWithoutACodeSaysNoneWasGiven() throws {
        var reader = ServerFrameReader()
        let seen = try Self.read(Self.frame([], opcode: 0x8), cuts: [], reader: &reader)
        #expect(seen.controls == ["close 1005"])
    }

    @Test func protocolBreachesAreNamed() {
        let masked: [UInt8] = [0x81, 0x81, 1, 2, 3, 4, 0x41]
        let reservedBit: [UInt8] = [0xC1, 0x01, 0x41]
        let unknownOpcode: [UInt8] = [0x83, 0x00]
        let fragmentedPing = Self.frame([], opcode: 0x9, fin: false)
        let strayContinuation = Self.frame(Array("x".utf8), opcode: 0x0)
        let newMessageInsideOne = Self.frame(Array("a".utf8), fin: false) + Self.frame(Array("b".utf8))
        for bytes in [masked, reservedBit, unknownOpcode, fragmentedPing, strayContinuation, newMessageInsideOne] {
            var reader = ServerFrameReader()
            #expect(throws: ServerFrameReader.Failure.protocolError, "\(bytes.prefix(4))") {
                try Self.read(bytes, cuts: [], reader: &reader)
            }
        }
    }

    @Test func aFrameOrMessageOverTheLimitIsTooBig() {
        var reader = ServerFrameReader(maximumMessageBytes: 100)
        #expect(throws: ServerFrameReader.Failure.tooBig) {
            try Self.read(Self.frame(Array(repeating: 0x41, count: 101)), cuts: [], reader: &reader)
        }
        var fragmented = ServerFrameReader(maximumMessageBytes: 100)
        let bytes =
            Self.frame(Array(repeating: 0x41, count: 60), fin: false)
            + Self.frame(Array(repeating: 0x41, count: 60), opcode: 0x0)
        #expect(throws: ServerFrameReader.Failure.tooBig) {
            try Self.read(bytes, cuts: [], reader: &fragmented)
        }
    }

    /// The hand-off to the direct receive path: a frame NIO had only begun to read goes on in a
    /// new reader, delivered once; a fragmented message in progress holds the hand-off back.
    @Test func anUnfinishedFrameGoesOnInAnotherReader() throws {
        let bytes = Self.frame(Array("before".utf8)) + Self.frame(Array("split across readers".utf8))
        var first = ServerFrameReader()
        let seen = try Self.read(Array(bytes.prefix(bytes.count - 5)), cuts: [], reader: &first)
        #expect(seen.messages == ["before"])
        let tail = first.takePending()
        #expect(first.takePending() == nil, "taken once")
        var second = ServerFrameReader(pending: tail)
        let rest = try Self.read(Array(bytes.suffix(5)), cuts: [], reader: &second)
        #expect(rest.messages == ["split across readers"])

        var fragmented = ServerFrameReader()
        _ = try Self.read(Self.frame(Array("part".utf8), fin: false), cuts: [], reader: &fragmented)
        #expect(!fragmented.isBetweenMessages)
        _ = try Self.read(Self.frame(Array(" two".utf8), opcode: 0x0), cuts: [], reader: &fragmented)
        #expect(fragmented.isBetweenMessages)
    }

    /// The direct path reads raw bytes: the same frames, cut the same way, as through ByteBuffer.
    @Test func rawBytesAndByteBuffersReadAlike() throws {
        let bytes = Self.frame(Array("a".utf8)) + Self.frame(Array(repeating: 0x41, count: 300)) + Self.frame([0x03, 0xE9], opcode: 0x8)
        for cut in [1, 2, 3, 7, 64, bytes.count] {
            var buffered = ServerFrameReader()
            let expected = try Self.read(bytes, cuts: Array(repeating: cut, count: bytes.count), reader: &buffered)
            var raw = ServerFrameReader()
            var messages: [String] = []
            var controls: [String] = []
            for start in stride(from: 0, to: bytes.count, by: cut) {
                let chunk = Array(bytes[start..<min(start + cut, bytes.count)])
                var failure: ServerFrameReader.Failure?
                chunk.withUnsafeBytes { pointer in
                    do throws(ServerFrameReader.Failure) {
                        try raw.consume(
                            bytes: pointer, data: { messages.append(String(decoding: $0, as: UTF8.self)) },
                            control: { if case .close(let code) = $0 { controls.append("close \(code)") } })
                    } catch {
                        failure = error
                    }
                }
                #expect(failure == nil)
            }
            #expect(messages == expected.messages && controls == expected.controls, "reads of \(cut) bytes")
        }
    }
}
