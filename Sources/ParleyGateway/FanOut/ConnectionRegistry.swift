import CoreMetrics
import Foundation
import NIOCore
import ParleyProtocol
import Synchronization

/// Every open WebSocket connection, by id, and the management API's `Connections`.
///
/// The fan-out hot path (docs/ARCHITECTURE.md, "The fan-out, step by step"): a post frames its payload once, buckets the
/// recipients by the event loop that owns them (the loop index is in the id, so no lookup), and
/// hops to each loop once; there the frame is written to each local channel. No task, await or
/// allocation per recipient, beyond the bucket arrays' growth.
public final class ConnectionRegistry: Connections {
    let loops: [any EventLoop]
    /// The loops the connections live on (benchmarks use them as barriers).
    public var eventLoops: [any EventLoop] { loops }
    private let tables: [LoopBoundTable]
    private let loopIndexByID: [ObjectIdentifier: Int]
    private let serial = Atomic<UInt64>(0)
    private let allocator = ByteBufferAllocator()
    /// Connections' flushes that went to the kernel in an io_uring submission (`WritePath.uring`).
    public var sendsThroughRing: Int { tables.reduce(0) { $0 + $1.sendsThroughRing } }
    /// Clients closed because they stopped reading.
    public let slowConsumerCloses = Atomic<Int>(0)

    private let nodeTag: UInt8
    let metrics: GatewayMetrics

    /// - Parameter batchesSends: the io_uring write path (`WritePath.uring`): each loop's flush
    ///   in one submission.
    init(loops: [any EventLoop], nodeTag: UInt8 = 0, metrics: GatewayMetrics = GatewayMetrics(), batchesSends: Bool = false) {
        self.loops = loops
        self.nodeTag = nodeTag
        self.metrics = metrics
        self.tables = loops.map { LoopBoundTable(eventLoop: $0, batchesSends: batchesSends) }
        var index: [ObjectIdentifier: Int] = [:]
        for (position, loop) in loops.enumerated() { index[ObjectIdentifier(loop)] = position }
        self.loopIndexByID = index
    }

    /// A fresh id for a connection owned by `loop`.
    func makeID(on loop: any EventLoop) -> ConnectionID {
        let loopIndex = loopIndexByID[ObjectIdentifier(loop)] ?? 0
        let next = serial.wrappingAdd(1, ordering: .relaxed).newValue
        return ConnectionID(loopIndex: loopIndex, node: nodeTag, serial: next)
    }

    /// Called on the connection's loop once its WebSocket handler is in place.
    func register(_ connection: WebSocketConnectionHandler, id: ConnectionID) {
        tables[id.loopIndex].value.connections[id.rawValue] = connection
    }

    /// Called on the connection's loop once its socket is closed.
    func unregister(_ id: ConnectionID) {
        tables[id.loopIndex].value.connections.removeValue(forKey: id.rawValue)
    }

    // MARK: Connections

    public func postError(_ error: ProtocolError, to id: ConnectionID) {
        metrics.error(error.code)
        post(OutboundEvent.error(error).encode(), to: id)
    }

    public func post(_ payload: Payload, to id: ConnectionID) {
        metrics.framesOut.increment()
        let frame = ServerFrame.text(payload, allocator: allocator)
        let table = tables[id.loopIndex]
        table.deliveryQueued()
        loops[id.loopIndex].execute {
            table.value.deliver(frame, to: [id.rawValue])
        }
    }

    public func post(_ payload: Payload, to ids: some Collection<ConnectionID>) {
        let count = ids.count
        guard count > 0 else { return }
        metrics.framesOut.increment(by: Int64(count))
        let frame = ServerFrame.text(payload, allocator: allocator)
        // One allocation per loop's bucket, sized for an even spread (ids are dealt round-robin).
        var buckets = [[UInt64]](repeating: [], count: loops.count)
        let share = count / loops.count + count / (4 * loops.count) + 8
        for index in buckets.indices { buckets[index].reserveCapacity(share) }
        // Called from other modules, this generic function runs unspecialized, and there the
        // element-by-element loop allocated a box per id (1,000 per broadcast to 1,000,
        // measured by the fan-out benchmark's allocation stacks). A closure over a concrete
        // type keeps the loop specialized whatever the caller.
        func bucket(_ id: ConnectionID) { buckets[id.loopIndex].append(id.rawValue) }
        let contiguous: Void? = ids.withContiguousStorageIfAvailable { for id in $0 { bucket(id) } }
        if contiguous == nil {
            ids.forEach(bucket)
        }
        let clock = FanOutClock(loops: buckets.count { !$0.isEmpty }, timer: metrics.fanOut)
        for (loopIndex, bucket) in buckets.enumerated() where !bucket.isEmpty {
            let table = tables[loopIndex]
            table.deliveryQueued()
            loops[loopIndex].execute {
                table.value.deliver(frame, to: bucket)
                clock.loopDone()
            }
        }
    }

    public func close(_ id: ConnectionID, code: CloseCode, reason: String) {
        let table = tables[id.loopIndex]
        loops[id.loopIndex].execute {
            table.value.connections[id.rawValue]?.closeConnection(code, reason: reason)
        }
    }

    // MARK: management API

    /// Sends raw bytes to one connection; false when it is gone.
    func send(_ bytes: [UInt8], to id: ConnectionID) async -> Bool {
        guard id.loopIndex < loops.count else { return false }
        let frame = bytes.withUnsafeBytes { raw in
            // Text when the bytes are UTF-8 (what every chat client expects), binary otherwise.
            let opcode: UInt8 = String(validating: bytes, as: UTF8.self) == nil ? 0x2 : 0x1
            return ServerFrame.frame(opcode: opcode, payload: raw, allocator: allocator)
        }
        let table = tables[id.loopIndex]
        return
            (try? await loops[id.loopIndex].submit { () -> Bool in
                guard let connection = table.value.connections[id.rawValue], connection.isOpen else { return false }
                connection.sendFrame(frame)
                return true
            }.get()) ?? false
    }

    func info(_ id: ConnectionID) async -> ConnectionInfo? {
        guard id.loopIndex < loops.count else { return nil }
        let table = tables[id.loopIndex]
        return try? await loops[id.loopIndex].submit { () -> ConnectionInfo? in
            guard let connection = table.value.connections[id.rawValue], connection.isOpen else { return nil }
            return connection.info
        }.get()
    }

    /// Closes one connection; false when it is gone.
    func closeIfOpen(_ id: ConnectionID, code: CloseCode, reason: String) async -> Bool {
        guard id.loopIndex < loops.count else { return false }
        let table = tables[id.loopIndex]
        return
            (try? await loops[id.loopIndex].submit { () -> Bool in
                guard let connection = table.value.connections[id.rawValue], connection.isOpen else { return false }
                connection.closeConnection(code, reason: reason)
                return true
            }.get()) ?? false
    }

    /// Closes every connection (the drain on SIGTERM) and returns how many there were.
    func closeAll(_ code: CloseCode, reason: String) async -> Int {
        var closed = 0
        for (loopIndex, loop) in loops.enumerated() {
            let table = tables[loopIndex]
            closed +=
                (try? await loop.submit { () -> Int in
                    let open = Array(table.value.connections.values)
                    for connection in open { connection.closeConnection(code, reason: reason) }
                    return open.count
                }.get()) ?? 0
        }
        return closed
    }

    /// Ids of the open connections (for operators and tests).
    public func openIDs() async throws -> [String] {
        var ids: [String] = []
        for (loopIndex, loop) in loops.enumerated() {
            let table = tables[loopIndex]
            ids += try await loop.submit { table.value.connections.keys.map { "\(ConnectionID(rawValue: $0))" } }.get()
        }
        return ids
    }

    /// Open connections right now.
    public func count() async -> Int {
        var total = 0
        for (loopIndex, loop) in loops.enumerated() {
            let table = tables[loopIndex]
            total += (try? await loop.submit { table.value.connections.count }.get()) ?? 0
        }
        return total
    }
}

/// What the management API's GET answers about a connection.
struct ConnectionInfo: Sendable {
    let connectedAt: Date
    let lastActiveAt: Date
    let sourceIP: String?
}

/// Times one broadcast from the handler's post until the last loop has written its share: one
/// small allocation per broadcast (not per recipient), one atomic step per loop.
private final class FanOutClock: Sendable {
    private let remaining: Atomic<Int>
    private let start = NIODeadline.now()
    private let timer: CoreMetrics.Timer

    init(loops: Int, timer: CoreMetrics.Timer) {
        remaining = Atomic(loops)
        self.timer = timer
    }

    func loopDone() {
        if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            timer.recordNanoseconds(Int64((NIODeadline.now() - start).nanoseconds))
        }
    }
}
