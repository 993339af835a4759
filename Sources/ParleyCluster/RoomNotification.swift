import Foundation
import ParleyChat
import ParleyProtocol

/// A notification from the room's (or this node's) channel, decoded. Messages whose text went
/// through `parley_payloads` carry its id instead, to be fetched before they are applied.
enum RoomNotification: Equatable {
    case event(RoomEvent)
    case publicMessage(payloadID: Int64, from: String, seq: UInt64, timestampMillis: Int64)
    case privateMessage(payloadID: Int64, to: ConnectionID, from: String, timestampMillis: Int64)
    case roomMessage(payloadID: Int64, room: RoomName, from: String, seq: UInt64, timestampMillis: Int64)

    struct Malformed: Error, CustomStringConvertible {
        let payload: String
        var description: String { "malformed cluster notification: \(payload.prefix(200))" }
    }

    init(json payload: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any],
            let kind = object["k"] as? String
        else { throw Malformed(payload: payload) }
        func string(_ key: String) throws -> String {
            guard let value = object[key] as? String else { throw Malformed(payload: payload) }
            return value
        }
        func integer(_ key: String) throws -> Int64 {
            guard let value = object[key] as? NSNumber else { throw Malformed(payload: payload) }
            return value.int64Value
        }
        func room() throws -> RoomName {
            guard let room = try? RoomName(validating: try string("r"), action: nil) else { throw Malformed(payload: payload) }
            return room
        }
        func id(_ key: String) throws -> ConnectionID {
            guard let id = ConnectionID(try string(key)) else { throw Malformed(payload: payload) }
            return id
        }
        switch kind {
        case "named":
            guard let name = try? ChatName(validating: try string("name")) else { throw Malformed(payload: payload) }
            self = .event(.named(try id("id"), name))
        case "left":
            self = .event(.left(try id("id")))
        case "public":
            let seq = UInt64(try integer("s"))
            if object["p"] != nil {
                self = .publicMessage(payloadID: try integer("p"), from: try string("from"), seq: seq, timestampMillis: try integer("ts"))
            } else {
                self = .event(
                    .publicMessage(from: try string("from"), text: try string("text"), seq: seq, timestampMillis: try integer("ts")))
            }
        case "private":
            if object["p"] != nil {
                self = .privateMessage(
                    payloadID: try integer("p"), to: try id("to"), from: try string("from"), timestampMillis: try integer("ts"))
            } else {
                self = .event(
                    .privateMessage(
                        to: try id("to"), from: try string("from"), text: try string("text"), timestampMillis: try integer("ts")))
            }
        case "rjoined":
            guard let name = try? ChatName(validating: try string("name")) else { throw Malformed(payload: payload) }
            self = .event(.joinedRoom(try id("id"), try room(), name))
        case "rleft":
            self = .event(.leftRoom(try id("id"), try room()))
        case "rpublic":
            let seq = UInt64(try integer("s"))
            if object["p"] != nil {
                self = .roomMessage(
                    payloadID: try integer("p"), room: try room(), from: try string("from"), seq: seq, timestampMillis: try integer("ts"))
            } else {
                self = .event(
                    .roomMessage(
                        try room(), from: try string("from"), text: try string("text"), seq: seq, timestampMillis: try integer("ts")))
            }
        default:
            throw Malformed(payload: payload)
        }
    }
}

extension RoomNotification {
    /// A named room's event (what only the nodes watching that room receive).
    var isNamedRooms: Bool {
        switch self {
        case .roomMessage, .event(.joinedRoom), .event(.leftRoom), .event(.roomMessage): true
        default: false
        }
    }
}
