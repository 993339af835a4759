import CParleyPoll
import Glibc
import NIOCore

/// TCP connects for clients bound for the direct receive path. The loop makes the socket, so it
/// owns the descriptor NIO never had: NIO gets a duplicate for the upgrade and closes it at the
/// hand-off, and the socket lives on in this one (NIO has no way to give a channel's descriptor
/// away). Non-blocking, with the scenario's connect timeout; failures come back as NIO's errors,
/// so `connect.errors` names them as on NIO's path.
extension ReceiveLoop {
    /// Connects to `address` (from `source` if given); `completion` runs on this loop's thread
    /// with the connected descriptor, or the error.
    func connect(
        to address: SocketAddress, from source: SocketAddress?, timeout: TimeAmount,
        completion: @escaping (Result<Int32, any Error>) -> Void
    ) {
        enqueue { [self] in
            let descriptor = socket(
                Int32(address.protocol.rawValue),
                Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else { return completion(.failure(IOError(errnoCode: errno, reason: "socket"))) }
            var yes: Int32 = 1
            _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            if let source {
                let bound = source.withSockAddr { bind(descriptor, $0, socklen_t($1)) }
                if bound != 0 { return fail(descriptor, IOError(errnoCode: errno, reason: "bind"), completion) }
            }
            let result = address.withSockAddr { Glibc.connect(descriptor, $0, socklen_t($1)) }
            if result == 0 { return completion(.success(descriptor)) }
            guard errno == EINPROGRESS else { return fail(descriptor, IOError(errnoCode: errno, reason: "connect"), completion) }
            let deadline = NIODeadline.now().uptimeNanoseconds + UInt64(max(timeout.nanoseconds, 0))
            connecting[descriptor] = PendingConnect(deadline: deadline, completion: completion)
            watch(descriptor, events: EPOLLOUT.rawValue)
        }
    }

    /// The socket became writable (or failed): the connect's outcome is in SO_ERROR.
    func finishConnect(_ descriptor: Int32) {
        guard let pending = connecting.removeValue(forKey: descriptor) else { return }
        unwatch(descriptor)
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
        if error == 0 { return pending.completion(.success(descriptor)) }
        fail(descriptor, IOError(errnoCode: error, reason: "connect"), pending.completion)
    }

    func expireConnects() {
        let now = NIODeadline.now().uptimeNanoseconds
        for (descriptor, pending) in connecting where pending.deadline <= now {
            connecting[descriptor] = nil
            unwatch(descriptor)
            fail(descriptor, ChannelError.connectTimeout(.nanoseconds(0)), pending.completion)
        }
    }

    private func fail(_ descriptor: Int32, _ error: any Error, _ completion: (Result<Int32, any Error>) -> Void) {
        close(descriptor)
        completion(.failure(error))
    }
}
