import Foundation

/// Gunther's Universal Scalability Law fitted to capacity per node count: relative capacity
/// `C(N) = N / (1 + σ(N − 1) + κN(N − 1))`, with σ the contention (the share that serializes) and
/// κ the coherency cost (the crosstalk every pair of nodes pays). Fitted by least squares on the
/// law's linear form `N / C(N) − 1 = σ(N − 1) + κN(N − 1)` (through the origin: C(1) = 1), σ and
/// κ kept at zero or more. Used by the scaling lab's report (issue: "Prove 4 or more hosts").
public struct ScalabilityFit: Sendable, Equatable, Codable {
    /// Contention σ ≥ 0.
    public let sigma: Double
    /// Coherency κ ≥ 0.
    public let kappa: Double
    /// Capacity at one node (the measured one: the fit is relative to it).
    public let single: Double

    public init(sigma: Double, kappa: Double, single: Double) {
        self.sigma = sigma
        self.kappa = kappa
        self.single = single
    }

    /// Fits (node count, capacity) points; nil without a one-node point and one more, or when a
    /// capacity is not positive.
    public init?(_ points: [(nodes: Int, capacity: Double)]) {
        guard let single = points.first(where: { $0.nodes == 1 })?.capacity, single > 0,
            points.contains(where: { $0.nodes > 1 }), points.allSatisfy({ $0.capacity > 0 && $0.nodes >= 1 })
        else { return nil }
        // y = σ·a + κ·b, with a = N − 1, b = N(N − 1), y = N / C(N) − 1; the normal equations.
        var saa = 0.0, sab = 0.0, sbb = 0.0, say = 0.0, sby = 0.0
        for point in points where point.nodes > 1 {
            let n = Double(point.nodes)
            let a = n - 1, b = n * (n - 1), y = n / (point.capacity / single) - 1
            saa += a * a
            sab += a * b
            sbb += b * b
            say += a * y
            sby += b * y
        }
        let determinant = saa * sbb - sab * sab
        var sigma = 0.0, kappa = 0.0
        if determinant > 1e-12 * saa * sbb {
            sigma = (say * sbb - sby * sab) / determinant
            kappa = (sby * saa - say * sab) / determinant
        }
        // A coefficient below zero is not physical: fit the other alone (one-parameter least squares).
        if sigma < 0 || determinant <= 1e-12 * saa * sbb {
            sigma = 0
            kappa = max(0, sby / sbb)
        }
        if kappa < 0 {
            kappa = 0
            sigma = max(0, say / saa)
        }
        // Rounding leaves ~1e-17 where a coefficient is absent; a trace of κ would invent a peak.
        self.init(sigma: sigma < 1e-12 ? 0 : sigma, kappa: kappa < 1e-12 ? 0 : kappa, single: single)
    }

    /// Predicted capacity at `nodes`.
    public func capacity(at nodes: Double) -> Double {
        single * nodes / (1 + sigma * (nodes - 1) + kappa * nodes * (nodes - 1))
    }

    /// The node count past which capacity falls (√((1 − σ)/κ)); nil when it never does (κ = 0).
    public var peakNodes: Double? {
        guard kappa > 0, sigma < 1 else { return nil }
        return ((1 - sigma) / kappa).squareRoot()
    }

    /// `capacity(N) / (N × capacity(1))` for a measured point.
    public static func efficiency(nodes: Int, capacity: Double, single: Double) -> Double {
        capacity / (Double(nodes) * single)
    }
}
