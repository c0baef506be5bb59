import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing
@testable import KernelKitPDE

/// A random 2-component kernel of the given family from a seed (weights 0.3–3, rates 0.5–4,
/// frequencies 0–3 cycles/unit).
func randomKernel(_ family: SpectralFamily, seed: Int) -> SpectralMixtureKernel {
    var rng = TestRNG(seed: UInt64(seed))
    func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * Double(rng.next() >> 11) / Double(1 << 53) }
    return SpectralMixtureKernel(family: family, weights: [uniform(0.3, 3), uniform(0.3, 3)],
                                 rates: [uniform(0.5, 4), uniform(0.5, 4)], frequencies: [uniform(0, 3), uniform(0, 3)])
}

@Suite("Spectral-mixture kernels: closed-form derivatives and spectrum")
struct SpectralKernelTests {
    /// Central differences with step h have error h²/6 |k‴| ≈ 1e-10 × (scale ≲ 1e3 here); tolerance
    /// 1e-6 relative to max(1, |value|). For the Matérn family |d| ≥ 0.05 keeps the stencil away
    /// from d = 0, where k‴ jumps.
    @Test("k′ and k″ match central differences of k and k′ (both families)")
    func derivativesMatchFiniteDifferences() async {
        await propertyCheck(input: Gen.int(in: 0...1_000_000), Gen.double(in: 0.05...2), Gen.int(in: 0...1)) { seed, a, sign in
            let d = sign == 0 ? a : -a
            for family in SpectralFamily.allCases {
                let k = randomKernel(family, seed: seed)
                let h = 1e-5
                let (kp, km) = (k.derivatives(at: d + h), k.derivatives(at: d - h))
                let exact = k.derivatives(at: d)
                expectClose((kp.value - km.value) / (2 * h), exact.first, rtol: 0, atol: 1e-6 * max(1, abs(exact.first)))
                expectClose((kp.first - km.first) / (2 * h), exact.second, rtol: 0, atol: 1e-6 * max(1, abs(exact.second)))
            }
        }
    }

    /// `values(start:step:count:)` (value only, cosine by rotation, negligible components skipped)
    /// against `derivatives(at:).value`, with a third component of weight e⁻³⁰ (a pruned one) added, over
    /// 300 lags (so the rotation runs 63 steps between re-anchorings): agreement to 1e-13 relative to k(0).
    @Test("values(start:step:count:) equals derivatives(at:).value (both families, with a pruned component)")
    func valuesMatchDerivatives() async {
        await propertyCheck(input: Gen.int(in: 0...1_000_000), Gen.double(in: -3...3), Gen.double(in: 0.001...0.02)) { seed, start, step in
            for family in SpectralFamily.allCases {
                var k = randomKernel(family, seed: seed)
                k.components.append(SpectralComponent(logWeight: -30, logRate: 0, frequency: 1.5))
                let fast = k.values(start: start, step: step, count: 300)
                let scale = k.derivatives(at: 0).value
                for (j, v) in fast.enumerated() {
                    expectClose(v, k.derivatives(at: start + Double(j) * step).value, rtol: 0, atol: 1e-13 * scale)
                }
            }
        }
    }

    @Test("∂ₓᵖ∂_{x′}^q k matches finite differences in either argument")
    func eitherArgument() async {
        await propertyCheck(input: Gen.int(in: 0...1_000_000), Gen.double(in: -1...1), Gen.double(in: -1...1)) { seed, x, y in
            guard abs(x - y) > 0.05 else { return }
            for family in SpectralFamily.allCases {
                let k = randomKernel(family, seed: seed)
                let h = 1e-5
                func c(_ a: Double, _ b: Double, _ p: Int, _ q: Int) -> Double {
                    k.covariance(a, b, derivativeInFirst: p, derivativeInSecond: q)
                }
                let tol = 1e-6 * max(1, abs(c(x, y, 1, 1)))
                expectClose((c(x, y + h, 0, 0) - c(x, y - h, 0, 0)) / (2 * h), c(x, y, 0, 1), rtol: 0, atol: tol)
                expectClose((c(x + h, y, 0, 1) - c(x - h, y, 0, 1)) / (2 * h), c(x, y, 1, 1), rtol: 0, atol: tol)
                expectClose((c(x, y + h, 0, 1) - c(x, y - h, 0, 1)) / (2 * h), c(x, y, 0, 2), rtol: 0, atol: tol)
                expectClose((c(x + h, y, 1, 0) - c(x - h, y, 1, 0)) / (2 * h), c(x, y, 2, 0), rtol: 0, atol: tol)
            }
        }
    }

    @Test("parameter derivatives of (k, k′, k″) match central differences in log w, log rate and μ")
    func parameterDerivatives() async {
        await propertyCheck(input: Gen.int(in: 0...1_000_000), Gen.double(in: 0.05...2)) { seed, d in
            for family in SpectralFamily.allCases {
                var k = randomKernel(family, seed: seed)
                let theta = k.parameters
                let analytic = k.parameterDerivatives(at: d)
                let h = 1e-6
                for i in theta.indices {
                    var plus = theta, minus = theta
                    plus[i] += h
                    minus[i] -= h
                    k.parameters = plus
                    let a = k.derivatives(at: d)
                    k.parameters = minus
                    let b = k.derivatives(at: d)
                    k.parameters = theta
                    let scale = 1e-6 * max(1, abs(analytic[i].second))
                    expectClose((a.value - b.value) / (2 * h), analytic[i].value, rtol: 0, atol: scale)
                    expectClose((a.first - b.first) / (2 * h), analytic[i].first, rtol: 0, atol: scale)
                    expectClose((a.second - b.second) / (2 * h), analytic[i].second, rtol: 0, atol: scale)
                }
            }
        }
    }

    /// Wiener–Khinchin: k(d) = ∫ S(ξ) cos(2πξd) dξ, so ∫ S = k(0) = Σ w_q. Trapezoid rule on
    /// [−60, 60] with step 1e-3 (the integrand is smooth and its tails beyond 60 are < 1e-9 for these
    /// rates); tolerance 1e-6 relative.
    @Test("the spectral density integrates to the variance and transforms back to k (both families)")
    func wienerKhinchin() {
        for family in SpectralFamily.allCases {
            let k = randomKernel(family, seed: 7)
            let h = 1e-3
            let xi = stride(from: -60.0, through: 60.0, by: h).map { $0 }
            let s = xi.map { k.spectralDensity($0) }
            for d in [0.0, 0.3, 1.1] {
                var integral = 0.0
                for i in xi.indices { integral += s[i] * cos(2 * .pi * xi[i] * d) * ((i == 0 || i == xi.count - 1) ? h / 2 : h) }
                expectClose(integral, k.derivatives(at: d).value, rtol: 1e-6, atol: 1e-9)
            }
            expectClose(k.derivatives(at: 0).value, k.components.reduce(0) { $0 + $1.weight }, rtol: 1e-14)
        }
    }
}

@Suite("Kronecker collocation operators against dense ones")
struct KroneckerOperatorTests {
    static func system(seed: Int) throws -> GPCollocation {
        let grid = TensorGrid([try UniformGrid(lower: 0, upper: 1, count: 4), try UniformGrid(lower: -1, upper: 1, count: 5),
                               try UniformGrid(lower: 0, upper: 2, count: 3)])
        return try GPCollocation(grid: grid, kernels: [randomKernel(.gaussian, seed: seed), randomKernel(.studentT, seed: seed + 1),
                                                      randomKernel(.gaussian, seed: seed + 2)], jitter: 1e-3)
    }

    /// Tolerance 1e-9 relative: both sides are the same products in a different order; the factors
    /// have condition numbers ≲ 1e4 with jitter 1e-3.
    @Test("3-D derivative operator, prior precision and log-determinant equal their dense forms")
    func operatorsMatchDense() async {
        await propertyCheck(input: Gen.int(in: 0...1_000_000)) { seed in
            let system = try! Self.system(seed: seed)
            let n = system.grid.count
            var rng = TestRNG(seed: UInt64(seed))
            let u = (0..<n).map { _ in standardNormal(using: &rng) }
            let diagonal = (0..<n).map { _ in standardNormal(using: &rng) }
            let op = DifferentialOperator(secondOrder: [1, -0.5, 2], firstOrder: [0.3, 0, -1], linear: 0)
            let dense = system.denseOperator(op, diagonal: diagonal)
            var fast = system.applyDerivatives(op, u)
            for i in 0..<n { fast[i] += diagonal[i] * u[i] }
            expectClose(fast, (dense * Vector(u)).elements, rtol: 1e-9, atol: 1e-9 * Vector(fast).maxAbs)
            let fastT = system.applyDerivatives(op, u, transpose: true)
            let denseT = BLAS.matvec(system.denseOperator(op, diagonal: [Double](repeating: 0, count: n)), Vector(u), .transpose)
            expectClose(fastT, denseT.elements, rtol: 1e-9, atol: 1e-9 * Vector(fastT).maxAbs)
            let k = KroneckerProduct(system.axes.map(\.gram)).dense
            let alpha = system.applyInversePrior(u)
            expectClose((k * Vector(alpha)).elements, u, rtol: 1e-8, atol: 1e-8)
            expectClose(system.logDeterminant, try! Cholesky(k, jitter: .none).logDeterminant, rtol: 1e-10, atol: 1e-10)
        }
    }

    @Test("the one-axis operators are K′K⁻¹ and K″K⁻¹ of the kernel's derivative covariances")
    func axisOperators() throws {
        let kernel = randomKernel(.studentT, seed: 3)
        let grid = try UniformGrid(lower: -1, upper: 2, count: 9)
        let axis = try AxisOperators(grid: grid, kernel: kernel, jitter: 1e-4)
        let x = grid.points
        let k2 = Matrix(rows: 9, columns: 9) { i, j in kernel.covariance(x[i], x[j], derivativeInFirst: 2, derivativeInSecond: 0) }
        let k1 = Matrix(rows: 9, columns: 9) { i, j in kernel.covariance(x[i], x[j], derivativeInFirst: 1, derivativeInSecond: 0) }
        expectClose(axis.secondDerivative * axis.gram, k2, rtol: 1e-9, atol: 1e-9 * k2.maxAbs)
        expectClose(axis.firstDerivative * axis.gram, k1, rtol: 1e-9, atol: 1e-9 * k1.maxAbs)
    }

    @Test("CG with Kronecker products and the eigenbasis preconditioner agrees with the dense solve (2-D)")
    func conjugateGradientMatchesDense() throws {
        let axis = try UniformGrid(lower: 0, upper: 1, count: 12)
        let grid = TensorGrid([axis, try UniformGrid(lower: 0, upper: 2, count: 10)])
        let system = try GPCollocation(grid: grid, kernels: [randomKernel(.gaussian, seed: 1), randomKernel(.studentT, seed: 2)], jitter: 1e-5)
        let op = DifferentialOperator(secondOrder: [1, 1], firstOrder: [2, 0], linear: -1)
        let f = grid.sample { sin(3 * $0[0]) * cos($0[1]) }
        let g = grid.boundaryIndices.map { grid.point($0)[0] }
        let problem = try PDEProblem(grid: grid, equation: op, source: f, boundaryValues: g)
        let weights = CollocationWeights(boundary: 100, equation: 10)
        let dense = try system.solve(problem, weights: weights, method: .dense)
        let cg = try system.solve(problem, weights: weights, method: .conjugateGradient(tolerance: 1e-12, maxIterations: 5000))
        // CG stops at ‖r‖ ≤ 1e-12‖b‖; with cond(H) ≲ 1e5 the solution error is ≲ 1e-7 relative.
        #expect(relativeDifference(cg.values, dense.values) < 1e-7)
        #expect(cg.conjugateGradientIterations > 0)
    }

    /// u* = K α lies in the span of the kernel's columns; with f = E(u*), g = S u* the objective's
    /// minimiser is u* − H⁻¹K⁻¹u* (H the normal matrix), so ‖u − u*‖ falls like 1/t when both weights
    /// scale with t. Checked: the error at t = 1e6 is below 2e-3 times the error at t = 1e3.
    @Test("a solution in the kernel's span is recovered as the misfit weights grow")
    func solutionInSpan() throws {
        let grid = TensorGrid([try UniformGrid(lower: 0, upper: 1, count: 40)])
        let kernel = SpectralMixtureKernel(family: .gaussian, weights: [1], rates: [20], frequencies: [2])
        let system = try GPCollocation(grid: grid, kernels: [kernel], jitter: 1e-6)
        let alpha = (0..<40).map { sin(Double($0)) }
        let u = BLAS.matvec(system.axes[0].gram, Vector(alpha)).elements
        let op = DifferentialOperator.laplacian(dimension: 1)
        let problem = try PDEProblem(grid: grid, equation: op, source: system.applyOperator(op, u),
                                     boundaryValues: grid.boundaryIndices.map { u[$0] })
        func error(_ t: Double) throws -> Double {
            relativeDifference(try system.solve(problem, weights: CollocationWeights(boundary: t, equation: t), method: .dense).values, u)
        }
        let (e3, e6) = (try error(1e3), try error(1e6))
        #expect(e6 < 2e-3 * e3, "errors \(e3) at t = 1e3, \(e6) at t = 1e6")
        #expect(e6 < 1e-5)
    }
}

@Suite("PDE input validation")
struct PDEInputTests {
    @Test("mismatched sizes and non-finite values are thrown as PDEError, not trapped")
    func badInput() throws {
        let grid = TensorGrid([try UniformGrid(lower: 0, upper: 1, count: 5)])
        #expect(throws: PDEError.self) { try PDEProblem(grid: grid, equation: .laplacian(dimension: 1), source: [1, 2], boundaryValues: [0, 0]) }
        #expect(throws: PDEError.self) {
            try PDEProblem(grid: grid, equation: .laplacian(dimension: 1), source: [1, .nan, 0, 0, 0], boundaryValues: [0, 0])
        }
        #expect(throws: PDEError.self) { try PDEProblem(grid: grid, equation: .laplacian(dimension: 2), source: [0, 0, 0, 0, 0], boundaryValues: [0, 0]) }
        #expect(throws: PDEError.self) { try UniformGrid(lower: 1, upper: 0, count: 5) }
        #expect(throws: PDEError.self) { try UniformGrid(lower: 0, upper: 1, count: 1) }
    }
}
