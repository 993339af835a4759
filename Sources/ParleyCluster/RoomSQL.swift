import ParleyChat
import ParleyProtocol
import PostgresNIO

/// The statements behind each room command. Every room event updates the one `parley_room` row:
/// its lock puts concurrent events from all nodes in one order, and NOTIFY delivers them in that
/// (commit) order to every listening node. The notification is built by the database from the
/// row's new counters, so a payload never disagrees with what was committed.
enum RoomSQL {
    static let roomChannel = "parley_room"

    static func nodeChannel(tag: UInt8) -> String { "parley_node_\(tag)" }

    /// NOTIFY refuses payloads of 8,000 bytes or more; text whose JSON might come near that goes
    /// through `parley_payloads` and the notification carries its id.
    static func needsPayloadTable(_ texts: String...) -> Bool {
        var escaped = 200
        for text in texts {
            for byte in text.utf8 {
                escaped += byte < 0x20 ? 6 : (byte == 0x22 || byte == 0x5C ? 2 : 1)
            }
        }
        return escaped > 7_000
    }

    static func claim(_ id: ConnectionID, name: ChatName, node: String) -> PostgresQuery {
        let raw = Int64(bitPattern: id.rawValue)
        let hex = id.description
        return """
            WITH r AS (UPDATE parley_room SET event_seq = event_seq + 1 WHERE id = 1 RETURNING event_seq),
            c AS (INSERT INTO parley_connections (id, node, name, name_key, connected_at, last_seen, joined_event)
                  SELECT \(raw), \(node), \(name.display), \(name.key), now(), now(), r.event_seq FROM r
                  ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, name_key = EXCLUDED.name_key, last_seen = now()
                  RETURNING 1)
            SELECT pg_notify('parley_room', json_build_object('k', 'named', 'id', \(hex)::text, 'name', \(name.display)::text)::text) FROM c
            """
    }

    /// Deletes the row and announces the leave; nothing is announced when the row was already
    /// gone (another node reaped it), so a leave is never announced twice. The connection leaves
    /// its named rooms in the same statement, each announced on its room's channel.
    static func leave(_ id: ConnectionID) -> PostgresQuery {
        let raw = Int64(bitPattern: id.rawValue)
        let hex = id.description
        return """
            WITH r AS (UPDATE parley_room SET event_seq = event_seq + 1 WHERE id = 1 RETURNING event_seq),
            d AS (DELETE FROM parley_connections WHERE id = \(raw) RETURNING 1),
            m AS (DELETE FROM parley_room_members WHERE id = \(raw) RETURNING room, channel)
            SELECT pg_notify('parley_room', json_build_object('k', 'left', 'id', \(hex)::text)::text) FROM r, d
            UNION ALL
            SELECT pg_notify(m.channel, json_build_object('k', 'rleft', 'r', m.room, 'id', \(hex)::text)::text) FROM m
            """
    }

    /// Numbers the message, keeps it in the history (unless the node keeps none: `--history-size
    /// 0`) and announces it, in one statement: what a resume reads is exactly what was announced.
    /// Nothing at all when `key` was numbered already (the statement is a retry: `PublishKey`).
    static func publicMessage(
        from: String, text: String, timestampMillis: Int64, key: PublishKey, keepHistory: Bool = true
    ) -> PostgresQuery {
        if needsPayloadTable(from, text) {
            return """
                WITH k AS (INSERT INTO parley_published (node, through) VALUES (\(key.node), \(key.bound))
                  ON CONFLICT (node) DO UPDATE SET through = EXCLUDED.through WHERE parley_published.through < EXCLUDED.through RETURNING 1),
                r AS (UPDATE parley_room SET event_seq = event_seq + 1, public_seq = public_seq + 1 WHERE id = 1 AND EXISTS (SELECT 1 FROM k) RETURNING public_seq),
                h AS (INSERT INTO parley_history (seq, sender, body, ts) SELECT public_seq, \(from), \(text), \(timestampMillis) FROM r \(unescaped: keepHistory ? "" : "WHERE false")),
                p AS (INSERT INTO parley_payloads (body) VALUES (\(text)) RETURNING id)
                SELECT pg_notify('parley_room', json_build_object('k', 'public', 's', r.public_seq, 'from', \(from)::text, 'p', p.id, 'ts', \(timestampMillis)::bigint)::text) FROM r, p
                """
        }
        return """
            WITH k AS (INSERT INTO parley_published (node, through) VALUES (\(key.node), \(key.bound))
                  ON CONFLICT (node) DO UPDATE SET through = EXCLUDED.through WHERE parley_published.through < EXCLUDED.through RETURNING 1),
            r AS (UPDATE parley_room SET event_seq = event_seq + 1, public_seq = public_seq + 1 WHERE id = 1 AND EXISTS (SELECT 1 FROM k) RETURNING public_seq),
            h AS (INSERT INTO parley_history (seq, sender, body, ts) SELECT public_seq, \(from), \(text), \(timestampMillis) FROM r \(unescaped: keepHistory ? "" : "WHERE false"))
            SELECT pg_notify('parley_room', json_build_object('k', 'public', 's', r.public_seq, 'from', \(from)::text, 'text', \(text)::text, 'ts', \(timestampMillis)::bigint)::text) FROM r
            """
    }

    /// A new history for the default room, numbered on from `seq` (`LostTail`): only if it is
    /// still in `epoch` — the first node to find the tail lost starts it, the others read it.
    static func startNewEpoch(replacing epoch: String, numberedAfter seq: UInt64) -> PostgresQuery {
        let seq = Int64(clamping: seq)
        return """
            UPDATE parley_room SET epoch = substr(md5(random()::text || clock_timestamp()::text), 1, 16),
                public_seq = GREATEST(public_seq, \(seq)) WHERE id = 1 AND epoch = \(epoch)
            """
    }

    /// The epoch, the last `seq` and the kept messages after `since` (the newest `keep` at most),
    /// read in one snapshot: always one row, whose message columns are null when none is kept.
    static func history(after since: UInt64, keep: Int) -> PostgresQuery {
        let since = Int64(clamping: since)
        let keep = Int64(keep)
        return """
            SELECT r.epoch, r.public_seq, h.seq, h.sender, h.body, h.ts FROM parley_room r
            LEFT JOIN parley_history h ON h.seq > \(since) AND h.seq > r.public_seq - \(keep)
            WHERE r.id = 1 ORDER BY h.seq
            """
    }

    /// Bounds the history by count and age (the heartbeat runs it).
    static func trimHistory(keep: Int, olderThanSeconds seconds: Double) -> PostgresQuery {
        let keep = Int64(keep)
        return """
            DELETE FROM parley_history
            WHERE seq <= (SELECT public_seq FROM parley_room WHERE id = 1) - \(keep) OR at < now() - make_interval(secs => \(seconds))
            """
    }

    /// Straight to the recipient's node: private messages need no room order.
    static func privateMessage(to id: ConnectionID, from: String, text: String, timestampMillis: Int64) -> PostgresQuery {
        let channel = nodeChannel(tag: id.node)
        let hex = id.description
        if needsPayloadTable(from, text) {
            return """
                WITH p AS (INSERT INTO parley_payloads (body) VALUES (\(text)) RETURNING id)
                SELECT pg_notify(\(channel)::text, json_build_object('k', 'private', 'to', \(hex)::text, 'from', \(from)::text, 'p', p.id, 'ts', \(timestampMillis)::bigint)::text) FROM p
                """
        }
        return """
            SELECT pg_notify(\(channel)::text, json_build_object('k', 'private', 'to', \(hex)::text, 'from', \(from)::text, 'text', \(text)::text, 'ts', \(timestampMillis)::bigint)::text)
            """
    }

    static func payload(_ id: Int64) -> PostgresQuery {
        "SELECT body FROM parley_payloads WHERE id = \(id)"
    }

    /// Every named member in the cluster's join order (a resynchronization).
    static let room: PostgresQuery = "SELECT id, name FROM parley_connections WHERE name IS NOT NULL ORDER BY joined_event"

    /// A node's rows with their names ('' for none), to re-register only what is missing.
    static func rows(of node: String) -> PostgresQuery {
        "SELECT id, coalesce(name, '') FROM parley_connections WHERE node = \(node)"
    }

    /// Connections whose node is no longer registered (reaped, or never cleaned).
    static let orphans: PostgresQuery = """
        SELECT id FROM parley_connections c WHERE NOT EXISTS (SELECT 1 FROM parley_nodes n WHERE n.name = c.node)
        """
}
