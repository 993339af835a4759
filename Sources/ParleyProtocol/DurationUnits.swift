/// A `Duration` as the plain numbers SQL intervals, reports and timers take.
extension Duration {
    public var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }

    public var nanoseconds: Int64 {
        let (whole, fraction) = components
        return whole * 1_000_000_000 + fraction / 1_000_000_000
    }
}
