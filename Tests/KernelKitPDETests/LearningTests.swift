import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing
@testable import KernelKitPDE

@Suite("Kernel learning: envelope-theorem gradient and a small solve")
struct KernelLearningTests {
    /// ∂L/∂θ at fixed u against five-point central differences of L (step 5e-4 in every kernel parameter and in
    /// log τ, log v), on a 2-D grid with second- and first-order, linear and cubic terms, so every
    /// branch of the gradient is exercised. Tolerance 1e-4 relative to max(1, |∂L/∂θ|). The step
    /// balances the two errors of the difference: L (up to ~1e6 here) is evaluated through K⁻¹
    /// (cond ≲ 1e5), so its rounding error ≈ 1e-11·|L| divided by h, against the O(h²) truncation
    /// error, O(h⁴) for the five-point stencil. With a 3-point stencil and h = 1e-6 rounding dominated (mismatches up to 7e-3 relative on some seeds, while
    /// h = 1e-4 and 1e-5 agreed with the analytic gradient to ~1e-7 on those same seeds).
    @Test("the gradient of the negative log joint matches finite differences (2-D, all operator terms)")
    func gradientMatchesFiniteDifferences() async throws {
        await propertyCheck(input: Gen.int(in: 0...1_000_000)) { seed in
            let grid = TensorGrid([try! UniformGrid(lower: 0, upper: 1, count: 7), try! UniformGrid(lower: -1, upper: 1, count: 6)])
            let op = DifferentialOperator(secondOrder: [1, 0.5], firstOrder: [0.7, -0.2], linear: -1, cubic: 1)
            var rng = TestRNG(seed: UInt64(seed))
            let n = grid.count
            let u = (0..<n).map { _ in standardNormal(using: &rng) }
            let f = (0..<n).map { _ in standardNormal(using: &rng) }
            let g = grid.boundaryIndices.map { _ in standardNormal(using: &rng) }
            let problem = try! PDEProblem(grid: grid, equation: op, source: f, boundaryValues: g)
            let kernels = [randomKernel(.gaussian, seed: seed), randomKernel(.studentT, seed: seed + 1)]
            let (tau, v) = (3.0, 0.5)
            func value(_ theta: [Double]) -> (Double, [Double]) {
                var ks = kernels
                ks[0].parameters = Array(theta[0..<6])
                ks[1].parameters = Array(theta[6..<12])
                let system = try! GPCollocation(grid: grid, kernels: ks, jitter: 1e-3)
                return KernelLearning.negativeLogJoint(problem, system: system, u: u, tau: exp(theta[12]), v: exp(theta[13]))
            }
            let theta = kernels[0].parameters + kernels[1].parameters + [log(tau), log(v)]
            let (_, gradient) = value(theta)
            let h = 5e-4
            for i in theta.indices {
                func shifted(_ t: Double) -> Double { var p = theta; p[i] += t; return value(p).0 }
                let fd = (8 * (shifted(h) - shifted(-h)) - (shifted(2 * h) - shifted(-2 * h))) / (12 * h)
                expectClose(fd, gradient[i], rtol: 0, atol: 1e-4 * max(1, abs(gradient[i])))
            }
        }
    }

    /// u = sin(2πx) on [0, 1], 40 points, 3 Gaussian components initialised at 0, 1, 2 cycles/unit:
    /// learning lowers the objective, and the final iterate is within 2e-3 of the truth on a 300-point
    /// test grid (measured 5e-4).
    @Test("learning a 3-component kernel for a smooth 1-D Poisson problem")
    func smallLearnedSolve() throws {
        let grid = TensorGrid([try UniformGrid(lower: 0, upper: 1, count: 40)])
        let problem = try PDEProblem(grid: grid, equation: .laplacian(dimension: 1),
                                     source: grid.sample { -4 * .pi * .pi * sin(2 * .pi * $0[0]) }, boundaryValues: [0, 0])
        let fit = try KernelLearning.fit(problem, options: KernelLearningOptions(
            components: 3, family: .gaussian, maxFrequency: [2],
            initialWeights: CollocationWeights(boundary: 1e6, equation: 1), iterations: 20))
        #expect(fit.objective < fit.initialObjective)
        let test = TensorGrid([try UniformGrid(lower: 0, upper: 1, count: 300)])
        let u = fit.system.interpolate(fit.solution.values, to: test)
        let error = relativeDifference(u, test.sample { sin(2 * .pi * $0[0]) })
        #expect(error < 2e-3, "relative error \(error)")
    }

    /// The dimension-dependent defaults: in 2-D the initial kernel is held fixed (one exact solve, no
    /// L-BFGS-B step) and its frequencies end at min(0.75 × Nyquist, max(2.5 × (B − 4/L), 2/L)) for the
    /// data bound B; in 1-D the default is 60 iterations. u = sin(2πx) + cos(3πy) on [0, 1]², 32² grid:
    /// the fixed kernel's solution is within 1e-3 of the truth on a 60² test grid (measured 1.3e-4 with the default w_eq ≈ 210, 6.5e-5 with w_eq = 1; with
    /// the range min(0.75 Nyquist, 2B), without the main-lobe correction, it was 8.9e-2).
    @Test("2-D default: the paper's initial kernel held fixed, frequencies below 0.75 Nyquist; 60 iterations in 1-D")
    func dimensionDefaults() throws {
        #expect(KernelLearning.defaultIterations(dimension: 1) == 60)
        #expect(KernelLearning.defaultIterations(dimension: 2) == 0 && KernelLearning.defaultIterations(dimension: 3) == 0)
        let axis = try UniformGrid(lower: 0, upper: 1, count: 32)
        let grid = TensorGrid([axis, axis])
        func exact(_ p: [Double]) -> Double { sin(2 * .pi * p[0]) + cos(3 * .pi * p[1]) }
        let problem = try PDEProblem(grid: grid, equation: .laplacian(dimension: 2),
                                     source: grid.sample { -4 * .pi * .pi * sin(2 * .pi * $0[0]) - 9 * .pi * .pi * cos(3 * .pi * $0[1]) },
                                     boundaryValues: grid.boundaryIndices.map { exact(grid.point($0)) })
        let fit = try KernelLearning.fit(problem, options: KernelLearningOptions(components: 8))
        #expect(fit.iterations == 0 && fit.evaluations == 1)
        let bounds = KernelLearning.dataFrequencyBound(problem)
        for k in 0..<2 {
            let top = fit.kernels[k].components.map(\.frequency).max()!
            let content = bounds[k] - 4
            let expected = min(KernelLearning.fixedKernelNyquistFraction * axis.nyquistFrequency,
                               max(KernelLearning.fixedKernelFrequencyMargin * content, 2))
            expectClose(top, expected, rtol: 1e-12)
        }
        let test = TensorGrid([try UniformGrid(lower: 0, upper: 1, count: 60), try UniformGrid(lower: 0, upper: 1, count: 60)])
        let error = relativeDifference(fit.system.interpolate(fit.solution.values, to: test), test.sample(exact))
        #expect(error < 1e-3, "relative error \(error)")
    }

    /// w_eq = max(1, 1e6 / mean(f²)) for u/s: a residual noise of at most 1e-3 of f's RMS, never below
    /// GP-HM's 1 in the units of u/s.
    @Test("the default equation weight scales with the source and never drops below 1/s²")
    func defaultEquationWeight() throws {
        let grid = TensorGrid([try UniformGrid(lower: 0, upper: 1, count: 10)])
        func weight(_ f: Double) throws -> Double {
            KernelLearning.defaultEquationWeight(try PDEProblem(grid: grid, equation: .laplacian(dimension: 1),
                                                                source: [Double](repeating: f, count: 10), boundaryValues: [0, 0]))
        }
        // f ≡ 2 (u = x² − x, RMS ≈ 0.18, s = 0.1): max(1, 1e6 s²/4)/s² = 2.5e5 = 1e6/mean f².
        expectClose(try weight(2), 2.5e5, rtol: 1e-14)
        // f ≡ 2000 (u = 1000(x² − x), RMS 183, s = 100): 1e6/mean f² = 0.25, below 1, because the floor
        // 1 applies to u/s and is 1/s² = 1e-4 in the data's units.
        expectClose(try weight(2000), 0.25, rtol: 1e-14)
        #expect(try weight(0) == 1)
        // One precision overridden, the other at its default; none given: nil (fit's defaults).
        let problem = try PDEProblem(grid: grid, equation: .laplacian(dimension: 1), source: [Double](repeating: 2000, count: 10),
                                     boundaryValues: [0, 0])
        #expect(KernelLearning.initialWeights(problem, boundary: nil, equation: nil) == nil)
        #expect(KernelLearning.initialWeights(problem, boundary: 5, equation: nil)
                == CollocationWeights(boundary: 5, equation: KernelLearning.defaultEquationWeight(problem)))
        #expect(KernelLearning.initialWeights(problem, boundary: nil, equation: 3)?.boundary == 1e6 / 1e4)  // s = 100
    }

    @Test("a grid too coarse for the requested or the needed frequencies is rejected")
    func gridTooCoarse() throws {
        let grid = TensorGrid([try UniformGrid(lower: 0, upper: 1, count: 40)])  // Nyquist 19.5 cycles/unit
        let problem = try PDEProblem(grid: grid, equation: .laplacian(dimension: 1), source: [Double](repeating: 1, count: 40),
                                     boundaryValues: [0, 0])
        #expect(throws: PDEError.self) { try KernelLearning.fit(problem, options: KernelLearningOptions(components: 3, maxFrequency: [25])) }
        // sin(100x) on [0, 2π] needs more than 200 points.
        #expect(throws: PDEError.self) { try BenchmarkProblem.named("poisson1d-sin100").problem(gridSize: 200) }
        _ = try BenchmarkProblem.named("poisson1d-sin100").problem(gridSize: 202)
    }
}

@Suite("Kernel learning: the cross-check against the fixed initial kernel")
struct FixedKernelCrossCheckTests {
    /// u″ = f on [0, 10], u(0) = u(10) = 0, with f = 5 sin(2πx) plus white noise of standard deviation
    /// 3 on 101 points: the noise reaches the grid's Nyquist frequency, and 20 L-BFGS-B iterations walk
    /// into the degenerate kernel (K″K⁻¹ ≈ −cI, u ≈ −f/c ≈ 0; see `fitCheckedAgainstFixedKernel`); for
    /// noise seeds 1…8 this happened on 5 (difference 0.995–0.9996; the other three 0.036–0.045;
    /// measured before the derivative operators were formed by Cholesky solves). The
    /// learning must be rejected and the returned u must be the fixed kernel's, which agrees with the
    /// second-order finite-difference solution of the same data to 2e-2 relative (both resolve the
    /// smooth part; they differ in how they treat the noise near Nyquist). The clean problem (no noise)
    /// must be accepted, with a difference below 0.5.
    @Test("a degenerate learned kernel is rejected and the fixed kernel's solution returned")
    func degenerateLearningIsRejected() throws {
        let n = 101
        let grid = TensorGrid([try UniformGrid(lower: 0, upper: 10, count: n)])
        var rng = TestRNG(seed: 1)
        let clean = grid.sample { 5 * sin(2 * .pi * $0[0]) }
        let noisy = clean.map { $0 + 3 * standardNormal(using: &rng) }
        let options = KernelLearningOptions(iterations: 20)
        let problem = try PDEProblem(grid: grid, equation: .laplacian(dimension: 1), source: noisy, boundaryValues: [0, 0])
        let fit = try KernelLearning.fit(problem, options: options)
        #expect(fit.learningRejected && (fit.fixedKernelDifference ?? 0) > KernelLearning.learnedSolutionTolerance)
        var fixedOptions = options
        fixedOptions.iterations = 0
        let fixed = try KernelLearning.fit(problem, options: fixedOptions)
        #expect(fit.solution.values == fixed.solution.values)
        // Finite differences: (u_{i−1} − 2u_i + u_{i+1})/h² = f_i at the interior points (tridiagonal).
        let h = grid.axes[0].spacing
        var a = Matrix(rows: n - 2, columns: n - 2)
        for i in 0..<(n - 2) {
            a[i, i] = -2 / (h * h)
            if i > 0 { a[i, i - 1] = 1 / (h * h) }
            if i < n - 3 { a[i, i + 1] = 1 / (h * h) }
        }
        let interior = try LU(a).solve(Vector(Array(noisy[1..<(n - 1)]))).elements
        let finiteDifference = [0] + interior + [0]
        let error = relativeDifference(fit.solution.values, finiteDifference)
        #expect(error < 2e-2, "relative difference to finite differences \(error)")
        let accepted = try KernelLearning.fit(try PDEProblem(grid: grid, equation: .laplacian(dimension: 1), source: clean, boundaryValues: [0, 0]),
                                              options: options)
        #expect(!accepted.learningRejected && (accepted.fixedKernelDifference ?? 1) < KernelLearning.learnedSolutionTolerance)
    }
}
