/// The address a connection comes from, for the per-address limits and `$connect`'s `sourceIP`:
/// the TCP peer — unless the peer is a trusted proxy (`--trusted-proxy`), in which case the
/// rightmost address of `X-Forwarded-For` that is not itself a trusted proxy (each proxy appends
/// the address it heard from, so that one was written by a proxy we trust). Anyone else's
/// `X-Forwarded-For` is ignored: a client could name any address and dodge every limit.
import Foundation

enum ClientAddress {
    static func resolve(peer: String?, forwardedFor: [String], trustedProxies: Set<String>) -> String? {
        guard let peer, trustedProxies.contains(peer) else { return peer }
        let hops =
            forwardedFor
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        return hops.last { !trustedProxies.contains($0) } ?? hops.first ?? peer
    }
}
