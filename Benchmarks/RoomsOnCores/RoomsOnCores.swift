// Whether rooms are independent on a node: the chat handler alone (no sockets, a Connections
// that only counts), 1,000 rooms x 10 members, public messages published from 1 thread and then
// from 2 threads into disjoint halves of the rooms — and, for contrast, 2 threads into one room.
// Rooms that never wait for each other's lock carry close to 2x on 2 threads; one room's lock
// serializes its messages (its order is one `seq` order), so that case stays near 1x.
//
//   cd Benchmarks && swift run -c release RoomsOnCores [--messages 400000]
import Foundation
import ParleyChat
import ParleyProtocol
import Synchronization

/// Counts deliveries; a real gateway frames and writes them on each recipient's event loop.
final class CountingConnections: Connections {
    let deliveries = Atomic<Int>(0)
    func post(_ payload: Payload, to id: ConnectionID) { deliveries.wrappingAdd(1, ordering: .relaxed) }
    func post(_ payload: Payload, to ids: some Collection<ConnectionID>) { deliveries.wrappingAdd(ids.count, ordering: .relaxed) }
    func close(_ id: ConnectionID, code: CloseCode, reason: String) {}
}

/// Timers never fire: presence windows would only add noise to a publishing loop.
struct NeverScheduler: Scheduler {
    func schedule(after delay: Duration, _ work: @escaping @Sendable () -> Void) {}
}

func event(_ id: ConnectionID, _ json: String) -> MessageEvent {
    MessageEvent(connectionID: id, selection: RouteSelection.select(Array(json.utf8), routeKeys: ChatHandler.routes), overRate: false)
}

/// A handler whose rooms r0…r(rooms-1) hold `size` members each; the first `publishing` members of each room publish.
func makeChat(rooms: Int, size: Int, publishing: Int = 1) -> (ChatHandler, CountingConnections, [(ConnectionID, MessageEvent)]) {
    let connections = CountingConnections()
    let handler = ChatHandler(connections: connections, scheduler: NeverScheduler())
    var publishers: [(ConnectionID, MessageEvent)] = []
    var serial: UInt64 = 0
    for room in 0..<rooms {
        for member in 0..<size {
            serial += 1
            let id = ConnectionID(loopIndex: 0, serial: serial)
            _ = handler.connect(ConnectRequest(connectionID: id, path: "/ws", query: ["members": "none", "rooms": "none"], sourceIP: nil))
            handler.receive(event(id, #"{"action":"setName","name":"u\#(serial)"}"#))
            handler.receive(event(id, #"{"action":"join","room":"r\#(room)"}"#))
            if member < publishing {
                publishers.append((id, event(id, #"{"action":"sendPublic","room":"r\#(room)","message":"PRB:1:1:1:1:PRB hello"}"#)))
            }
        }
    }
    return (handler, connections, publishers)
}

/// Messages per second with `threads` threads, thread t publishing for publishers t, t+threads, …
func rate(_ handler: ChatHandler, _ publishers: [(ConnectionID, MessageEvent)], threads: Int, messages: Int) -> Double {
    let perThread = messages / threads
    let start = ContinuousClock.now
    DispatchQueue.concurrentPerform(iterations: threads) { thread in
        let mine = stride(from: thread, to: publishers.count, by: threads).map { publishers[$0].1 }
        for index in 0..<perThread { handler.receive(mine[index % mine.count]) }
    }
    let elapsed = ContinuousClock.now - start
    return Double(perThread * threads) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}

let arguments = CommandLine.arguments
let messages = arguments.firstIndex(of: "--messages").flatMap { Int(arguments[$0 + 1]) } ?? 400_000
let cores = ProcessInfo.processInfo.activeProcessorCount

let (manyRooms, _, roomPublishers) = makeChat(rooms: 1000, size: 10)
// Two publishers in one room of 1,000: the contrast.
let (oneRoom, _, bothInOne) = makeChat(rooms: 1, size: 1000, publishing: 2)

print("cores: \(cores); \(messages) messages per reading, best of 3")
var readings: [String: Double] = [:]
for (label, handler, publishers, threads) in [
    ("1000 rooms x 10, 1 thread", manyRooms, roomPublishers, 1), ("1000 rooms x 10, 2 threads", manyRooms, roomPublishers, 2),
    ("1 room x 1000, 1 thread", oneRoom, bothInOne, 1), ("1 room x 1000, 2 threads", oneRoom, bothInOne, 2),
] {
    let best = (0..<3).map { _ in
        rate(handler, publishers, threads: threads, messages: label.hasPrefix("1 room") ? messages / 20 : messages)
    }.max()!
    readings[label] = best
    print("  \(label.padding(toLength: 28, withPad: " ", startingAt: 0)) \(Int(best)) msg/s")
}
let many = readings["1000 rooms x 10, 2 threads"]! / readings["1000 rooms x 10, 1 thread"]!
let one = readings["1 room x 1000, 2 threads"]! / readings["1 room x 1000, 1 thread"]!
print(String(format: "2 threads / 1 thread: many rooms %.2fx, one room %.2fx", many, one))
