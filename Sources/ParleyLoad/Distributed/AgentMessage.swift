import Foundation
import NIOCore

/// What a coordinator and a load agent say to each other: one JSON object per line over TCP.
///
///     coordinator → agent          agent → coordinator
///     hello {version}              hello {version, host, cores}   (or failed: wrong version, busy)
///     clock {t0}                   clock {t0, agentTime}          (repeated: the offset estimate)
///     prepare {scenario, share,    beat {connected, sent, delivered} every second until the result
///              targets, label}     ready {connected}              (its clients connected and settled)
///     start {startAt}                                             (common time; every agent the same)
///                                  result {result}                (its measurements, in common time)
///                                  failed {error}                 (anything it could not do)
public struct AgentMessage: Codable, Sendable {
    public enum Kind: String, Codable, Sendable {
        case hello, clock, prepare, ready, start, beat, result, failed
    }

    /// The protocol's version: a coordinator and agent of different versions refuse each other.
    public static let version = 1

    public var type: Kind
    public var version: Int?
    public var host: String?
    public var cores: Int?
    public var t0: UInt64?
    public var agentTime: UInt64?
    public var scenario: Scenario?
    public var share: RunShare?
    public var targets: [String]?
    public var label: String?
    public var startAt: UInt64?
    public var connected: Int?
    public var sent: Int?
    public var delivered: Int?
    var result: LoadRun.Result?
    public var error: String?

    public init(_ type: Kind) { self.type = type }

    static func failed(_ error: String) -> AgentMessage {
        var message = AgentMessage(.failed)
        message.error = error
        return message
    }

    /// One line of the wire.
    func line(allocator: ByteBufferAllocator) throws -> ByteBuffer {
        var buffer = allocator.buffer(bytes: try JSONEncoder().encode(self))
        buffer.writeInteger(UInt8(ascii: "\n"))
        return buffer
    }

    /// A line as read (without its newline), or a description of what was wrong with it.
    static func parse(_ line: ByteBuffer) -> Swift.Result<AgentMessage, AgentProtocolError> {
        do {
            return .success(try JSONDecoder().decode(AgentMessage.self, from: Data(line.readableBytesView)))
        } catch {
            let preview = String(decoding: line.readableBytesView.prefix(60), as: UTF8.self)
            return .failure(AgentProtocolError("not a parley-load agent message: \"\(preview)\""))
        }
    }
}

public struct AgentProtocolError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
