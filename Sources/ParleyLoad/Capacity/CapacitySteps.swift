import Foundation

/// Which load a capacity search steps up, and the order of its steps: multiply by `factor` from
/// `start` until a step fails its SLOs (or `maximum` passes), then bisect between the highest
/// pass and the lowest failure until they are within `precision` of each other. A first step
/// that already fails steps *down* the same way, so a start set too high still finds the number.
public struct CapacitySteps: Sendable, Equatable {
    public let start: Double
    public let minimum: Double
    public let maximum: Double
    public let factor: Double
    /// The search ends when the lowest failure is within this fraction of the highest pass.
    public let precision: Double
    /// Whole numbers only (clients); otherwise values are kept to three significant digits.
    public let integral: Bool

    public private(set) var highestPass: Double?
    public private(set) var lowestFailure: Double?
    /// The step to run now; nil once the search is over.
    public private(set) var next: Double?

    public init(start: Double, minimum: Double, maximum: Double, factor: Double = 2, precision: Double = 0.1, integral: Bool) {
        self.minimum = minimum
        self.maximum = Swift.max(maximum, minimum)
        self.start = Swift.min(Swift.max(start, minimum), self.maximum)
        self.factor = Swift.max(factor, 1.01)
        self.precision = Swift.max(precision, 0.001)
        self.integral = integral
        self.next = self.start
    }

    /// The search stopped at `maximum` with every step passing: the capacity is at least that.
    public var reachedMaximum: Bool { lowestFailure == nil && highestPass == maximum }

    public mutating func record(_ value: Double, passed: Bool) {
        if passed {
            highestPass = Swift.max(highestPass ?? value, value)
        } else {
            lowestFailure = Swift.min(lowestFailure ?? value, value)
        }
        next = following(value, passed: passed)
    }

    private func following(_ value: Double, passed: Bool) -> Double? {
        switch (highestPass, lowestFailure) {
        case (_, nil):
            // Still growing.
            guard value < maximum else { return nil }
            return fresh(Swift.min(Swift.max(round(value * factor), value + (integral ? 1 : 0)), maximum))
        case (nil, _):
            // Nothing has passed yet: come down.
            guard value > minimum else { return nil }
            return fresh(Swift.max(Swift.min(round(value / factor), value - (integral ? 1 : 0)), minimum))
        case (let pass?, let failure?):
            guard failure - pass > Swift.max(pass * precision, integral ? 1 : 0) else { return nil }
            return fresh(round((pass + failure) / 2))
        }
    }

    /// Nil for a value already known, which would not narrow anything.
    private func fresh(_ value: Double) -> Double? {
        if value == highestPass || value == lowestFailure { return nil }
        if let pass = highestPass, value < pass { return nil }
        if let failure = lowestFailure, value > failure { return nil }
        return value
    }

    private func round(_ value: Double) -> Double {
        if integral { return value.rounded() }
        guard value > 0 else { return value }
        let magnitude = pow(10, (log10(value)).rounded(.down) - 2)
        return (value / magnitude).rounded() * magnitude
    }
}
