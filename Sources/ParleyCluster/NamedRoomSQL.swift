import ParleyChat
import ParleyProtocol
import PostgresNIO

/// The statements of named rooms (the default room's are `RoomSQL`). Each event of room R
/// updates R's `parley_rooms` row, whose lock orders R's events, and notifies R's own channel,
/// so only the nodes that LISTEN to it — the ones with members in R — receive it.
enum NamedRoomSQL {
    /// `id` joins R: the room's row is made if it is new; nothing is announced when `id` was
    /// in R already (a node registering its members again after the database came back).
    static func join(_ id: ConnectionID, room: RoomName, name: ChatName) -> PostgresQuery {
        let raw = Int64(bitPattern: id.rawValue)
        let hex = id.description
        let channel = RoomChannel.name(of: room)
        return """
            WITH r AS (INSERT INTO parley_rooms (name) VALUES (\(room.text)) ON CONFLICT (name)
                       DO UPDATE SET event_seq = parley_rooms.event_seq + 1 RETURNING event_seq),
            m AS (INSERT INTO parley_room_members (room, id, channel, joined_event) SELECT \(room.text), \(raw), \(channel), r.event_seq FROM r
                  ON CONFLICT (room, id) DO NOTHING RETURNING 1)
            SELECT pg_notify(\(channel)::text, json_build_object('k', 'rjoined', 'r', \(room.text)::text, 'id', \(hex)::text, 'name', \(name.display)::text)::text) FROM m
            """
    }

    static func leave(_ id: ConnectionID, room: RoomName) -> PostgresQuery {
        let raw = Int64(bitPattern: id.rawValue)
        let hex = id.description
        let channel = RoomChannel.name(of: room)
        return """
            WITH r AS (UPDATE parley_rooms SET event_seq = event_seq + 1 WHERE name = \(room.text) RETURNING 1),
            d AS (DELETE FROM parley_room_members WHERE room = \(room.text) AND id = \(raw) RETURNING 1)
            SELECT pg_notify(\(channel)::text, json_build_object('k', 'rleft', 'r', \(room.text)::text, 'id', \(hex)::text)::text) FROM r, d
            """
    }

    /// Numbers the message in R, keeps it in R's history and announces it, in one statement.
    /// Nothing at all when `key` was numbered already (the statement is a retry: `PublishKey`).
    static func publicMessage(
        room: RoomName, from: String, text: String, timestampMillis: Int64, key: PublishKey, keepHistory: Bool
    ) -> PostgresQuery {
        let channel = RoomChannel.name(of: room)
        if RoomSQL.needsPayloadTable(from, text, room.text) {
            return """
                WITH k AS (INSERT INTO parley_published (node, through) VALUES (\(key.node), \(key.bound))
                  ON CONFLICT (node) DO UPDATE SET through = EXCLUDED.through WHERE parley_published.through < EXCLUDED.through RETURNING 1),
                r AS (UPDATE parley_rooms SET event_seq = event_seq + 1, public_seq = public_seq + 1 WHERE name = \(room.text) AND EXISTS (SELECT 1 FROM k) RETURNING public_seq),
                h AS (INSERT INTO parley_room_history (room, seq, sender, body, ts) SELECT \(room.text), public_seq, \(from), \(text), \(timestampMillis) FROM r \(unescaped: keepHistory ? "" : "WHERE false")),
                p AS (INSERT INTO parley_payloads (body) VALUES (\(text)) RETURNING id)
                SELECT pg_notify(\(channel)::text, json_build_object('k', 'rpublic', 'r', \(room.text)::text, 's', r.public_seq, 'from', \(from)::text, 'p', p.id, 'ts', \(timestampMillis)::bigint)::text) FROM r, p
                """
        }
        return """
            WITH k AS (INSERT INTO parley_published (node, through) VALUES (\(key.node), \(key.bound))
                  ON CONFLICT (node) DO UPDATE SET through = EXCLUDED.through WHERE parley_published.through < EXCLUDED.through RETURNING 1),
            r AS (UPDATE parley_rooms SET event_seq = event_seq + 1, public_seq = public_seq + 1 WHERE name = \(room.text) AND EXISTS (SELECT 1 FROM k) RETURNING public_seq),
            h AS (INSERT INTO parley_room_history (room, seq, sender, body, ts) SELECT \(room.text), public_seq, \(from), \(text), \(timestampMillis) FROM r \(unescaped: keepHistory ? "" : "WHERE false"))
            SELECT pg_notify(\(channel)::text, json_build_object('k', 'rpublic', 'r', \(room.text)::text, 's', r.public_seq, 'from', \(from)::text, 'text', \(text)::text, 'ts', \(timestampMillis)::bigint)::text) FROM r
            """
    }

    /// R's members in join order, under their current names (a node starting to watch R).
    static func members(of room: RoomName) -> PostgresQuery {
        """
        SELECT m.id, c.name FROM parley_room_members m JOIN parley_connections c ON c.id = m.id
        WHERE m.room = \(room.text) AND c.name IS NOT NULL ORDER BY m.joined_event
        """
    }

    /// R's epoch, last `seq` and kept messages after `since`, in one snapshot: one row at least
    /// (a room never joined reads as empty, numbered from 0, with no epoch yet).
    static func history(of room: RoomName, after since: UInt64, keep: Int) -> PostgresQuery {
        let since = Int64(clamping: since)
        let keep = Int64(keep)
        return """
            SELECT r.epoch, r.public_seq, h.seq, h.sender, h.body, h.ts FROM parley_rooms r
            LEFT JOIN parley_room_history h ON h.room = r.name AND h.seq > \(since) AND h.seq > r.public_seq - \(keep)
            WHERE r.name = \(room.text) ORDER BY h.seq
            """
    }

    /// A new history for R, numbered on from `seq`, if it is still in `epoch` (`LostTail`).
    static func startNewEpoch(of room: RoomName, replacing epoch: String, numberedAfter seq: UInt64) -> PostgresQuery {
        let seq = Int64(clamping: seq)
        return """
            UPDATE parley_rooms SET epoch = substr(md5(random()::text || clock_timestamp()::text), 1, 16),
                public_seq = GREATEST(public_seq, \(seq)) WHERE name = \(room.text) AND epoch = \(epoch)
            """
    }

    /// This node's connections' rooms (to find the memberships a cut-off node no longer has).
    static func memberships(of node: String) -> PostgresQuery {
        "SELECT m.id, m.room FROM parley_room_members m JOIN parley_connections c ON c.id = m.id WHERE c.node = \(node)"
    }

    /// Bounds every room's history by count and age (the heartbeat runs it).
    static func trimHistory(keep: Int, olderThanSeconds seconds: Double) -> PostgresQuery {
        let keep = Int64(keep)
        return """
            DELETE FROM parley_room_history h USING parley_rooms r
            WHERE h.room = r.name AND (h.seq <= r.public_seq - \(keep) OR h.at < now() - make_interval(secs => \(seconds)))
            """
    }

    /// Rooms with no member and no history left: forgotten, so a later join starts a new epoch.
    static let forgetEmptyRooms: PostgresQuery = """
        DELETE FROM parley_rooms r WHERE NOT EXISTS (SELECT 1 FROM parley_room_members m WHERE m.room = r.name)
        AND NOT EXISTS (SELECT 1 FROM parley_room_history h WHERE h.room = r.name) AND r.created_at < now() - interval '1 minute'
        """
}
