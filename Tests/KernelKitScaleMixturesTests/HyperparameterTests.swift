import Foundation
import KernelKitLinalg
import KernelKitNTK
import KernelKitTestSupport
import PropertyBased
import Testing
@testable import KernelKitScaleMixtures

/// The Student-t evidence as a function of (α, β, ε, θ): its analytic gradient against central
/// differences of the value, the closed-form optimal β, the monotonicity in α that makes type-II
/// maximum likelihood for α degenerate, and the maximiser against an independent GP computation.
@Suite("Student-t process hyperparameters")
struct HyperparameterTests {
    /// Synthetic 1-D regression data (n points, C target columns) from a fixed seed.
    static func data(n: Int, columns: Int, seed: UInt64) -> (x: [Double], y: Matrix) {
        var g = SeededGenerator(seed: seed)
        let x = (0..<n).map { _ in g.uniform(from: -3, to: 3) }
        let y = Matrix(rows: n, columns: columns) { i, c in sin(x[i] + Double(c)) + 0.3 * g.standardNormal() }
        return (x, y)
    }

    /// K = s²·exp(−(x − x′)²/(2ℓ²)), θ = (s, ℓ), with exact ∂K/∂log s = 2K, ∂K/∂log ℓ = K·(x − x′)²/ℓ².
    static func rbf(_ x: [Double], _ t: [Double]) -> Matrix {
        Matrix(rows: x.count, columns: x.count) { i, j in t[0] * t[0] * exp(-(x[i] - x[j]) * (x[i] - x[j]) / (2 * t[1] * t[1])) }
    }
    static func rbfDerivatives(_ x: [Double], _ t: [Double]) -> [Matrix] {
        let k = rbf(x, t)
        let r2 = Matrix(rows: x.count, columns: x.count) { i, j in (x[i] - x[j]) * (x[i] - x[j]) / (t[1] * t[1]) }
        return [2 * k, k.hadamard(r2)]
    }

    /// Central difference of L in log coordinate i (h = 1e-5: truncation ≈ h²|L‴|/6 ≈ 1e-10·|L‴|,
    /// rounding ≈ 1e-16·|L|/h ≈ 1e-9 for |L| ≈ 100).
    static func numericalGradient(_ f: ([Double]) throws -> Double, at p: [Double], h: Double = 1e-5) rethrows -> [Double] {
        try p.indices.map { i in
            var plus = p, minus = p
            plus[i] += h
            minus[i] -= h
            return (try f(plus) - f(minus)) / (2 * h)
        }
    }

    @Test("C = 1: the evidence equals StudentTProcess.logMarginalLikelihood on the reference data (1e-12 relative)")
    func matchesClosedForm() throws {
        let base = try Reference.base()
        let y = Matrix(rows: Reference.yTrain.count, columns: 1, columnMajor: Reference.yTrain)
        for (a, b) in [(1.0, 1.0), (2.0, 2.0), (3.5, 0.7)] {
            let tp = try StudentTProcess(base: base, shape: a, scale: b)
            let r = try StudentTEvidence.logMarginalLikelihood(trainKernel: Reference.matrix("K_train_train"), targets: y,
                                                               alpha: a, beta: b, jitter: Reference.jitter)
            expectClose(r.value, tp.logMarginalLikelihood, rtol: 1e-12, "α = \(a), β = \(b)")
        }
    }

    @Test("analytic gradient in (log α, log β, log ε, log s, log ℓ) = central differences (rtol 1e-6, atol 1e-6), C = 1 and 3")
    func gradientMatchesFiniteDifferences() async {
        await propertyCheck(input: Gen.double(in: -1...2), Gen.double(in: -2...1), Gen.double(in: -4 ... -1), Gen.int(in: 1...3)) { la, lb, le, c in
            let (x, y) = Self.data(n: 25, columns: c, seed: UInt64(c) * 7 + 1)
            let theta = [1.3, 0.8]
            func value(_ p: [Double]) throws -> Double {
                let h = StudentTHyperparameters(logValues: p)
                return try StudentTEvidence.logMarginalLikelihood(trainKernel: Self.rbf(x, h.kernel), targets: y,
                                                                  alpha: h.alpha, beta: h.beta, jitter: h.jitter).value
            }
            let p = [la, lb, le] + theta.map { log($0) }
            let h = StudentTHyperparameters(logValues: p)
            guard let analytic = try? StudentTEvidence.logMarginalLikelihood(
                    trainKernel: Self.rbf(x, h.kernel), kernelDerivatives: Self.rbfDerivatives(x, h.kernel), targets: y,
                    alpha: h.alpha, beta: h.beta, jitter: h.jitter).gradient,
                  let numeric = try? Self.numericalGradient(value, at: p) else {
                Issue.record("evaluation failed at \(p)")
                return
            }
            expectClose(analytic, numeric, rtol: 1e-6, atol: 1e-6, "gradient at \(p), C = \(c)")
        }
    }

    @Test("NNGP kernel: trace gradient with central-difference ∂K/∂log(σ_w, σ_b) = central differences of L (rtol 1e-5)")
    func nngpGradient() throws {
        var g = SeededGenerator(seed: 11)
        let x = g.normalMatrix(rows: 20, columns: 3)
        let y = Matrix(rows: 20, columns: 1) { i, _ in tanh(x[i, 0] - x[i, 2]) }
        func kernel(_ t: [Double]) throws -> Matrix {
            try StudentTNNGPSelection.kernel(inputs: x, activation: .relu, depth: 2, weightStd: t[0], biasStd: t[1])
        }
        let p = [log(1.5), log(0.7), log(0.05), log(1.4), log(0.3)]
        let h = StudentTHyperparameters(logValues: p)
        let analytic = try StudentTEvidence.logMarginalLikelihood(
            trainKernel: try kernel(h.kernel), kernelDerivatives: try StudentTEvidence.centralDifferenceDerivatives(at: h.kernel, kernel),
            targets: y, alpha: h.alpha, beta: h.beta, jitter: h.jitter).gradient
        let numeric = try Self.numericalGradient({ q in
            let hq = StudentTHyperparameters(logValues: q)
            return try StudentTEvidence.logMarginalLikelihood(trainKernel: try kernel(hq.kernel), targets: y,
                                                              alpha: hq.alpha, beta: hq.beta, jitter: hq.jitter).value
        }, at: p, h: 1e-4)
        expectClose(analytic, numeric, rtol: 1e-5, atol: 1e-6, "NNGP gradient")
    }

    @Test("β̂ = αQ/N zeroes ∂L/∂β and is a maximum; the β-profile increases with α towards the GP's maximum over σ²")
    func profileInAlpha() throws {
        let (x, y) = Self.data(n: 30, columns: 2, seed: 3)
        let k = Self.rbf(x, [1, 1]), eps = 0.05
        var a = k
        a.addToDiagonal(eps)
        let chol = try Cholesky(a, jitter: .none)
        let w = chol.solve(y)
        let q = zip(y.storage, w.storage).reduce(0) { $0 + $1.0 * $1.1 }
        let bigN = 60
        // max over σ² of the Gaussian likelihood: σ̂² = Q/N, value −(N/2)(log(2πQ/N) + 1) − (C/2) log det A.
        let gpMax = -0.5 * Double(bigN) * (log(2 * Double.pi * q / Double(bigN)) + 1) - chol.logDeterminant
        var previous = -Double.infinity
        for alpha in [0.1, 0.5, 2, 10, 100, 1e3, 1e4, 1e5] {
            let beta = StudentTEvidence.optimalScale(alpha: alpha, quadraticForm: q, targetCount: bigN)
            let at = try StudentTEvidence.logMarginalLikelihood(trainKernel: k, targets: y, alpha: alpha, beta: beta, jitter: eps)
            // ∂L/∂log β = α − β/m vanishes up to rounding of α and β/m.
            #expect(abs(at.gradient[1]) <= 1e-10 * alpha, "∂L/∂log β = \(at.gradient[1]) at α = \(alpha)")
            for f in [0.9, 1.1] {
                let off = try StudentTEvidence.logMarginalLikelihood(trainKernel: k, targets: y, alpha: alpha, beta: f * beta, jitter: eps)
                #expect(off.value < at.value, "β = \(f)β̂ beats β̂ at α = \(alpha)")
            }
            #expect(at.value > previous, "profile not increasing at α = \(alpha)")
            #expect(at.value <= gpMax + 1e-9 * abs(gpMax), "evidence \(at.value) above the GP maximum \(gpMax)")
            previous = at.value
            // The profile is the GP maximum plus f(α) + N/2 with
            // f(α) = log Γ(α + N/2) − log Γ(α) − (α + N/2) log(α + N/2) + α log α (direct for α ≤ 100) …
            let h = Double(bigN) / 2
            if alpha <= 100 {
                let f = try SpecialFunctions.logGamma(alpha + h) - SpecialFunctions.logGamma(alpha) - (alpha + h) * log(alpha + h) + alpha * log(alpha)
                expectClose(at.value, gpMax + h + f, rtol: 1e-11, "profile identity at α = \(alpha)")
            }
            // … and by Stirling f(α) + N/2 = −N/(4α) + O(N²/α²): the gap closes like 1/α.
            if alpha >= 1e4 { expectClose(gpMax - at.value, h / (2 * alpha), rtol: 0.01, "gap at α = \(alpha)") }
        }
    }

    @Test("maximising with β, ε, ℓ free gives the GP's type-II ML (ℓ, ε) with free amplitude; α free runs to its bound")
    func maximiserAgainstGP() throws {
        let (x, y) = Self.data(n: 40, columns: 1, seed: 5)
        let start = StudentTHyperparameters(alpha: 3, beta: 1, jitter: 0.1, kernel: [1, 1])
        // Amplitude s fixed at 1 (β carries the scale); ℓ free.
        let bounds = StudentTBounds(kernel: [1...1, 0.05...20])
        let fit = try StudentTEvidence.maximize(targets: y, start: start, bounds: bounds, kernel: { Self.rbf(x, $0) },
                                                kernelDerivatives: { Self.rbfDerivatives(x, $0) })
        #expect(fit.converged, "\(fit.message)")
        #expect(fit.atBound.isEmpty, "at bound: \(fit.atBound)")
        // Independent: the GP profile −(n/2) log(q/n) − ½ log det(K_ℓ + εI) maximised by L-BFGS with
        // central-difference gradients over (log ℓ, log ε).
        func gpProfile(_ p: [Double]) throws -> Double {
            var a = Self.rbf(x, [1, exp(p[0])])
            a.addToDiagonal(exp(p[1]))
            let chol = try Cholesky(a, jitter: .none)
            let white = chol.solveLower(y.column(0))
            return -20 * log(BLAS.dot(white, white) / 40) - 0.5 * chol.logDeterminant
        }
        let gp = try LBFGS(gradientTolerance: 1e-9).minimize(from: [0, log(0.1)], lower: [log(0.05), log(1e-8)], upper: [log(20), log(1e4)]) { p in
            (-(try gpProfile(p)), try Self.numericalGradient({ -(try gpProfile($0)) }, at: p, h: 1e-6))
        }
        let h = fit.hyperparameters
        // Both optimisers stop at gradient ≈ 1e-5 on a well-conditioned 2-D problem: 1e-3 relative in ℓ, ε.
        expectClose(h.kernel[1], exp(gp.x[0]), rtol: 1e-3, "length scale")
        expectClose(h.jitter, exp(gp.x[1]), rtol: 1e-3, "jitter")
        // β at the optimum is the closed-form β̂ = αQ/N.
        let q = try ScaleFamilyGP(trainKernel: Self.rbf(x, h.kernel), targets: y.storage, jitter: h.jitter).quadraticForm
        expectClose(h.beta, StudentTEvidence.optimalScale(alpha: 3, quadraticForm: q, targetCount: 40), rtol: 1e-4, "β̂")

        let withAlpha = try StudentTEvidence.maximize(targets: y, start: start, free: .all, bounds: bounds,
                                                      kernel: { Self.rbf(x, $0) }, kernelDerivatives: { Self.rbfDerivatives(x, $0) })
        #expect(withAlpha.atBound == ["alpha"], "α free: \(withAlpha.hyperparameters), at bound \(withAlpha.atBound)")
        #expect(withAlpha.logMarginalLikelihood > fit.logMarginalLikelihood)
    }

    @Test("NNGP selection: every depth improves on its start, candidates sorted, fitted kernel reproduces the reported evidence")
    func nngpSelection() throws {
        var g = SeededGenerator(seed: 2)
        let x = g.normalMatrix(rows: 30, columns: 2)
        let y = Matrix(rows: 30, columns: 1) { i, _ in x[i, 0] * x[i, 1] + 0.1 * g.standardNormal() }
        let start = StudentTHyperparameters(alpha: 2, beta: 2, jitter: 0.1, kernel: [1.5, 0.1])
        let candidates = try StudentTNNGPSelection.maximize(inputs: x, targets: y, activation: .relu, depths: 1...2, start: start, maxIterations: 40)
        #expect(candidates.count == 2)
        #expect(candidates[0].fit.logMarginalLikelihood >= candidates[1].fit.logMarginalLikelihood)
        for c in candidates {
            let k0 = try StudentTNNGPSelection.kernel(inputs: x, activation: .relu, depth: c.depth, weightStd: 1.5, biasStd: 0.1)
            let startValue = try StudentTEvidence.logMarginalLikelihood(trainKernel: k0, targets: y, alpha: 2, beta: 2, jitter: 0.1).value
            #expect(c.fit.logMarginalLikelihood > startValue, "depth \(c.depth)")
            let h = c.fit.hyperparameters
            let k = try StudentTNNGPSelection.kernel(inputs: x, activation: .relu, depth: c.depth, weightStd: c.weightStd, biasStd: c.biasStd)
            let again = try StudentTEvidence.logMarginalLikelihood(trainKernel: k, targets: y, alpha: h.alpha, beta: h.beta, jitter: h.jitter)
            expectClose(again.value, c.fit.logMarginalLikelihood, rtol: 1e-12)
            #expect(h.alpha == 2, "α is fixed by default")
        }
    }

    @Test("bad input: non-positive ε or α, mismatched derivative shape, not PD at the start")
    func badInput() throws {
        let (x, y) = Self.data(n: 5, columns: 1, seed: 1)
        let k = Self.rbf(x, [1, 1])
        #expect(throws: ScaleMixtureError.self) { try StudentTEvidence.logMarginalLikelihood(trainKernel: k, targets: y, alpha: 1, beta: 1, jitter: 0) }
        #expect(throws: ScaleMixtureError.self) { try StudentTEvidence.logMarginalLikelihood(trainKernel: k, targets: y, alpha: -1, beta: 1, jitter: 0.1) }
        #expect(throws: ScaleMixtureError.self) {
            try StudentTEvidence.logMarginalLikelihood(trainKernel: k, kernelDerivatives: [Matrix(rows: 2, columns: 2)], targets: y, alpha: 1, beta: 1, jitter: 0.1)
        }
        let negative = -1 * Matrix.identity(5)
        do {
            _ = try StudentTEvidence.maximize(targets: y, start: StudentTHyperparameters(alpha: 1, beta: 1, jitter: 0.01),
                                              free: [.beta], kernel: { _ in negative })
            Issue.record("no error for a kernel that is not PD")
        } catch let e as ScaleMixtureError {
            guard case .notPositiveDefinite = e else { Issue.record("\(e)"); return }
        }
    }
}
