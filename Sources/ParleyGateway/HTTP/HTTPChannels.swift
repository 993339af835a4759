import NIOCore
import Synchronization

/// Every accepted socket that is not a WebSocket: waiting for (or halfway through) its first
/// request, or a plain HTTP connection kept alive between requests. The drain closes them at
/// once on shutdown: Hummingbird's graceful shutdown waits for each connection's handler, and a
/// socket that never sends a request (a browser's spare pre-connected one, say) would hold the
/// process until its client let go.
final class HTTPChannels: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    /// A new socket, if fewer than `limit` are waiting to upgrade: it leaves the set when it
    /// closes or becomes a WebSocket. False (and not kept) when the set is full — an attacker
    /// holding half-sent requests can fill the set, never the process's descriptors.
    func admit(_ channel: any Channel, limit: Int = .max) -> Bool {
        let key = ObjectIdentifier(channel)
        let admitted = channels.withLock { channels in
            guard channels.count < limit else { return false }
            channels[key] = channel
            return true
        }
        if admitted { channel.closeFuture.whenComplete { [self] _ in left(channel) } }
        return admitted
    }

    /// Upgraded: the WebSocket drain (close 1001) takes over.
    func left(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        _ = channels.withLock { $0.removeValue(forKey: key) }
    }

    var count: Int { channels.withLock { $0.count } }

    /// Closes every socket in the set; returns how many there were.
    func closeAll() -> Int {
        let all = channels.withLock { channels in
            defer { channels.removeAll() }
            return Array(channels.values)
        }
        for channel in all { channel.close(promise: nil) }
        return all.count
    }
}
