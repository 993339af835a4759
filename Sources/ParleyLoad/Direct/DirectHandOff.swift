/// A client's way to the direct receive path: the loop that will read its socket, and the
/// descriptor it will read (the loop made the socket; NIO upgrades on a duplicate of it).
struct DirectHandOff {
    let loop: ReceiveLoop
    let descriptor: Int32
    var handedOff = false
}
