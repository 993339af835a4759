import ParleyLoad
import Testing

/// The Universal Scalability Law fit recovers the contention and coherency that made a curve,
/// finds its peak, and keeps both coefficients physical.
@Suite struct ScalabilityFitTests {
    private func curve(sigma: Double, kappa: Double, single: Double = 1_000, nodes: [Int]) -> [(nodes: Int, capacity: Double)] {
        let law = ScalabilityFit(sigma: sigma, kappa: kappa, single: single)
        return nodes.map { ($0, law.capacity(at: Double($0))) }
    }

    @Test func recoversTheCoefficientsThatMadeACurve() throws {
        let fit = try #require(ScalabilityFit(curve(sigma: 0.05, kappa: 0.002, nodes: [1, 2, 4, 8, 16])))
        #expect(abs(fit.sigma - 0.05) < 1e-9 && abs(fit.kappa - 0.002) < 1e-9, "\(fit)")
        // √((1 − 0.05) / 0.002) ≈ 21.8 nodes.
        #expect(abs((fit.peakNodes ?? 0) - 21.794) < 0.01)
        #expect(abs(fit.capacity(at: 4) - 1_000 * 4 / (1 + 0.05 * 3 + 0.002 * 12)) < 1e-6)
    }

    @Test func linearScalingHasNoContentionAndNoPeak() throws {
        let fit = try #require(ScalabilityFit([(1, 500), (2, 1_000), (4, 2_000)]))
        #expect(fit.sigma < 1e-12 && fit.kappa < 1e-12)
        #expect(fit.peakNodes == nil)
        #expect(ScalabilityFit.efficiency(nodes: 4, capacity: 2_000, single: 500) == 1)
    }

    @Test func betterThanLinearIsNotReadAsNegativeContention() throws {
        // Noise can make 2 nodes carry more than twice one: the fit stays at σ = κ = 0.
        let fit = try #require(ScalabilityFit([(1, 500), (2, 1_050), (4, 2_100)]))
        #expect(fit.sigma == 0 && fit.kappa == 0)
        // Pure contention (Amdahl): κ stays 0, σ is found.
        let amdahl = try #require(ScalabilityFit(curve(sigma: 0.2, kappa: 0, nodes: [1, 2, 4])))
        #expect(abs(amdahl.sigma - 0.2) < 1e-9 && amdahl.kappa == 0)
    }

    @Test func needsOneNodeAndAnotherPoint() {
        #expect(ScalabilityFit([(2, 900), (4, 1_700)]) == nil)
        #expect(ScalabilityFit([(1, 500)]) == nil)
        #expect(ScalabilityFit([(1, 500), (2, 0)]) == nil)
    }
}
