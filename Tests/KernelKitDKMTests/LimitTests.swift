import Foundation
import KernelKitDKM
import KernelKitLinalg
import KernelKitTestSupport
import Testing

/// The NNGP as the ν → ∞ limit of the DKM, and the identities the objective must satisfy there.
@Suite("Deep kernel machine: the ν → ∞ (NNGP) limit")
struct LimitTests {
    static func frobenius(_ a: Matrix) -> Double { a.storage.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    /// A random regression problem: P points in N₀ dimensions, Λ channels.
    static func problem(p: Int, n0: Int, outputs: Int, seed: UInt64) -> (x: Matrix, y: Matrix) {
        var rng = TestRNG(seed: seed)
        return (randomGaussianMatrix(rows: p, columns: n0, using: &rng), randomGaussianMatrix(rows: p, columns: outputs, using: &rng))
    }

    /// Fitted at ν = 1e2, 1e3, 1e4 from the NNGP start (the reference fits), ν·(G_ℓ(ν) − G_ℓ^NNGP) matches the closed-form
    /// limit C_ℓ with relative Frobenius error ≤ 4/ν (measured 2.7/ν and 1.4/ν for the two layers: the
    /// next term of the expansion is O(1/ν)). The products ν‖G_ℓ − G_ℓ^NNGP‖ therefore converge to
    /// ‖C_ℓ‖ = 2.4322, 5.9707 (the reference's own fits give 2.431, 5.968 at ν = 1e3).
    @Test("ν·(G_ℓ(ν) − G_ℓ^NNGP) → C_ℓ at rate 1/ν (ν = 1e2, 1e3, 1e4; tolerance 4/ν relative)", arguments: [100.0, 1000.0, 10000.0])
    func scaledDistanceConverges(nu: Double) throws {
        let limit = try DeepKernelMachineTests.machine(nu: 1).nngpLimitCorrection()
        expectClose(limit.map(Self.frobenius), [2.4322, 5.9707], rtol: 5e-5)
        let m = try DeepKernelMachineTests.machine(nu: nu)
        // (At ν = 1e4 L-BFGS may stop on its line search at the objective's rounding level before meeting
        // the 1e-9 gradient tolerance; the Grams are then still accurate, which is what is checked.)
        let fit = try #require(DeepKernelMachineTests.referenceFits[nu])
        for (l, (g, star)) in zip(fit.grams, m.nngpGrams).enumerated() {
            let scaled = nu * (g - star)
            let error = Self.frobenius(scaled - limit[l]) / Self.frobenius(limit[l])
            #expect(error <= 4 / nu, "ν = \(nu), layer \(l + 1): relative error \(error)")
        }
    }

    /// Beyond ν = 1e4 the optimum moves by less than the objective's rounding level, so instead of
    /// fitting we check that G* + C/ν is stationary to first order: ν·‖∇L(G* + C/ν)‖_F must stay
    /// constant (within 5 %) for ν = 1e3 … 1e6, while ‖∇L(G*)‖_F = O(1) does not shrink.
    @Test("G^NNGP + C/ν is stationary up to O(1/ν) for ν up to 1e6 (both kernel maps)", arguments: GramKernelMap.allCases)
    func firstOrderStationarity(kernel: GramKernelMap) throws {
        let (x, y) = Self.problem(p: 7, n0: 3, outputs: 2, seed: 11)
        let g0 = DeepKernelMachine.inputGram(x, biasFeature: true)
        let weights = [2.0, 0.5, 1.0]
        let base = try DeepKernelMachine(inputGram: g0, targets: y, kernel: kernel, nu: weights, noiseVariance: 0.2)
        let limit = try base.nngpLimitCorrection(), star = base.nngpGrams
        var scaledResiduals: [Double] = []
        for t in [1e3, 1e4, 1e5, 1e6] {
            let m = try DeepKernelMachine(inputGram: g0, targets: y, kernel: kernel, nu: weights.map { $0 * t }, noiseVariance: 0.2)
            let atLimit = try m.evaluate(star, gradient: true).gradient!
            let atFirstOrder = try m.evaluate(zip(star, limit).map { $0 + (1 / t) * $1 }, gradient: true).gradient!
            let top = atLimit.map(Self.frobenius).reduce(0, +)
            #expect(top > 1e-2, "the likelihood gradient at the NNGP should not vanish")
            scaledResiduals.append(t * atFirstOrder.map(Self.frobenius).reduce(0, +))
        }
        for r in scaledResiduals { expectClose(r, scaledResiduals[0], rtol: 0.05, "\(kernel) scaled residuals \(scaledResiduals)") }
    }

    @Test("KL(N(0,G) ‖ N(0,G)) = 0 (1e-12) and KL(N(0,G) ‖ N(0,K)) > 0 for G ≠ K", arguments: [2, 5, 12])
    func klIdentity(p: Int) throws {
        var rng = TestRNG(seed: UInt64(p))
        for _ in 0..<5 {
            let g = randomSPDMatrix(p, using: &rng), k = randomSPDMatrix(p, using: &rng)
            #expect(abs(try DeepKernelMachine.gaussianKL(g, g)) <= 1e-12 * Double(p))
            let kl = try DeepKernelMachine.gaussianKL(g, k)
            #expect(kl > 0)
            // Closed form for scalar multiples: KL(N(0,cK) ‖ N(0,K)) = (P/2)(c − 1 − log c).
            expectClose(try DeepKernelMachine.gaussianKL(3 * k, k), Double(p) / 2 * (2 - log(3)), rtol: 1e-12)
        }
    }

    /// With G_ℓ = K(G_{ℓ−1}) every KL term vanishes, so for any ν the objective is the NNGP log marginal
    /// likelihood Σ_λ log N(y_λ; 0, K^{L+1}(G₀) + σ²I), here computed directly from its definition.
    @Test("objective at the NNGP Grams = NNGP log marginal likelihood (1e-12)", arguments: GramKernelMap.allCases, [1, 2, 3])
    func objectiveAtNNGP(kernel: GramKernelMap, layers: Int) throws {
        let (x, y) = Self.problem(p: 9, n0: 4, outputs: 2, seed: UInt64(layers))
        let g0 = DeepKernelMachine.inputGram(x)
        let m = try DeepKernelMachine(inputGram: g0, targets: y, kernel: kernel, nu: Array(repeating: 7.5, count: layers), noiseVariance: 0.3)
        var k = g0
        for _ in 0...layers { k = kernel(k) }
        k.addToDiagonal(0.3)
        let chol = try Cholesky(k, jitter: .none)
        var lml = 0.0
        for c in 0..<2 {
            let yc = y.column(c), alpha = chol.solve(yc)
            lml += -0.5 * BLAS.dot(yc, alpha) - 0.5 * chol.logDeterminant - 4.5 * log(2 * Double.pi)
        }
        let e = try m.evaluate(m.nngpGrams)
        #expect(e.kl.allSatisfy { abs($0) <= 1e-12 })
        expectClose(e.objective, lml, rtol: 1e-12)
        expectClose(e.logLikelihood, lml, rtol: 1e-12)
    }
}
