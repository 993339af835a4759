import ParleyChat
import ParleyProtocol
import Testing

@testable import ParleyCluster

/// What needs no database: the URL, the notifications' JSON, when text takes the payload table.
@Suite struct ClusterWireTests {
    @Test func postgresURLs() throws {
        let full = try PostgresURL("postgres://parley:s%40cret@db.local:6543/chat")
        #expect(full.host == "db.local" && full.port == 6543 && full.username == "parley" && full.database == "chat")
        #expect(full.password == "s@cret")
        #expect(full.description == "postgres://parley@db.local:6543/chat", "the password stays out of logs")
        let short = try PostgresURL("postgresql://127.0.0.1")
        #expect(short.port == 5432 && short.username == "postgres" && short.database == nil)
        #expect(throws: PostgresURL.Invalid.self) { try PostgresURL("http://127.0.0.1/x") }
        #expect(throws: PostgresURL.Invalid.self) { try PostgresURL("postgres:///nohost") }
        #expect(throws: PostgresURL.Invalid.self) { try PostgresURL("postgres://h/db?sslmode=require") }
        #expect(throws: PostgresURL.Invalid.self) { try PostgresURL("postgres://h:99999/db") }
    }

    @Test func aURLWithSeveralHostsNamesAPrimaryAndItsStandbysInOrder() throws {
        let url = try PostgresURL("postgres://parley:pw@db1:5433,db2,[::1]:6000/chat?target_session_attrs=read-write")
        #expect(url.endpoints.map(\.description) == ["db1:5433", "db2:5432", "[::1]:6000"])
        #expect(url.username == "parley" && url.password == "pw" && url.database == "chat")
        #expect(url.description == "postgres://parley@db1:5433,db2:5432,[::1]:6000/chat")
        #expect(throws: PostgresURL.Invalid.self) { try PostgresURL("postgres://u@db1,,db2/chat") }
        let standbyOnly = #expect(throws: PostgresURL.Invalid.self) {
            try PostgresURL("postgres://u@db1,db2/chat?target_session_attrs=read-only")
        }
        #expect(standbyOnly?.description.contains("connects only to a primary") == true)
    }

    @Test func notificationsDecodeIntoRoomEvents() throws {
        let id = ConnectionID(loopIndex: 1, node: 3, serial: 9)
        #expect(
            try RoomNotification(json: #"{"k":"named","id":"\#(id)","name":"Alice"}"#)
                == .event(.named(id, try ChatName(validating: "Alice"))))
        #expect(try RoomNotification(json: #"{"k":"left","id":"\#(id)"}"#) == .event(.left(id)))
        #expect(
            try RoomNotification(json: #"{"k":"public","s":7,"from":"a","text":"hi \"there\"","ts":12}"#)
                == .event(.publicMessage(from: "a", text: #"hi "there""#, seq: 7, timestampMillis: 12)))
        #expect(
            try RoomNotification(json: #"{"k":"public","s":8,"from":"a","p":41,"ts":13}"#)
                == .publicMessage(payloadID: 41, from: "a", seq: 8, timestampMillis: 13))
        #expect(
            try RoomNotification(json: #"{"k":"private","to":"\#(id)","from":"b","text":"psst","ts":14}"#)
                == .event(.privateMessage(to: id, from: "b", text: "psst", timestampMillis: 14)))
        for malformed in ["", "[]", #"{"k":"named","id":"xyz","name":"a"}"#, #"{"k":"public","from":"a"}"#, #"{"k":"dance"}"#] {
            #expect(throws: RoomNotification.Malformed.self, "\(malformed)") { try RoomNotification(json: malformed) }
        }
    }

    @Test func namedRoomNotificationsDecode() throws {
        let id = ConnectionID(loopIndex: 1, node: 3, serial: 9)
        let room = try RoomName(validating: "team-1", action: nil)
        let joined = try RoomNotification(json: #"{"k":"rjoined","r":"team-1","id":"\#(id)","name":"Alice"}"#)
        #expect(joined == .event(.joinedRoom(id, room, try ChatName(validating: "Alice"))) && joined.isNamedRooms)
        #expect(try RoomNotification(json: #"{"k":"rleft","r":"team-1","id":"\#(id)"}"#) == .event(.leftRoom(id, room)))
        #expect(
            try RoomNotification(json: #"{"k":"rpublic","r":"team-1","s":3,"from":"a","text":"hi","ts":5}"#)
                == .event(.roomMessage(room, from: "a", text: "hi", seq: 3, timestampMillis: 5)))
        #expect(
            try RoomNotification(json: #"{"k":"rpublic","r":"team-1","s":4,"from":"a","p":40,"ts":6}"#)
                == .roomMessage(payloadID: 40, room: room, from: "a", seq: 4, timestampMillis: 6))
        #expect(!(try RoomNotification(json: #"{"k":"left","id":"\#(id)"}"#)).isNamedRooms, "the default room's are not counted")
        for malformed in [#"{"k":"rleft","id":"\#(id)"}"#, #"{"k":"rleft","r":"no spaces","id":"\#(id)"}"#] {
            #expect(throws: RoomNotification.Malformed.self, "\(malformed)") { try RoomNotification(json: malformed) }
        }
    }

    @Test func roomChannelsAreStableIdentifiers() throws {
        let longest = try RoomName(validating: String(repeating: "z", count: 64), action: nil)
        let channel = RoomChannel.name(of: longest)
        #expect(channel.utf8.count == 25 && channel.hasPrefix("parley_r_"), "within an identifier's 63 bytes: \(channel)")
        // FNV-1a 64 of "a" is af63dc4c8601ec8c: the same on every node, whatever its Swift hash seed.
        #expect(RoomChannel.name(of: try RoomName(validating: "a", action: nil)) == "parley_r_af63dc4c8601ec8c")
        #expect(
            RoomChannel.name(of: try RoomName(validating: "Team", action: nil))
                != RoomChannel.name(of: try RoomName(validating: "team", action: nil)), "names are case-sensitive")
    }

    @Test func textNearNotifysLimitGoesThroughThePayloadTable() {
        #expect(!RoomSQL.needsPayloadTable("alice", String(repeating: "x", count: 4_096)))
        #expect(RoomSQL.needsPayloadTable("alice", String(repeating: "x", count: 7_000)))
        // Control characters are escaped six times over in JSON.
        #expect(RoomSQL.needsPayloadTable("alice", String(repeating: "\u{1}", count: 1_200)))
        // Multi-byte text counts its bytes.
        #expect(RoomSQL.needsPayloadTable("alice", String(repeating: "ü", count: 3_500)))
    }

    @Test func nodeChannelsFollowTheTagInTheID() {
        #expect(RoomSQL.nodeChannel(tag: ConnectionID(loopIndex: 0, node: 12, serial: 1).node) == "parley_node_12")
    }
}
