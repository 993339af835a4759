/// A connect in progress on a `ReceiveLoop`: when it must be done by, and who hears of it.
struct PendingConnect {
    let deadline: UInt64
    let completion: (Result<Int32, any Error>) -> Void
}
