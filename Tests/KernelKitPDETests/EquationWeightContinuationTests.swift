import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import Testing
@testable import KernelKitPDE

@Suite("Equation-precision continuation and the derivative operators of ill-conditioned kernels")
struct EquationWeightContinuationTests {
    /// A kernel with a weight of 1e4 on a long length scale over the jitter 1e-6 (cond(K) ≈ 7e11, as
    /// learned kernels reach): D₂K must reproduce K₂ to 1e-9 of ‖K₂‖ (entrywise max). The Cholesky solves
    /// give ≈ 2e-12 (Frobenius, NumPy/SciPy check of the same matrices); the product K₂ · inv(K) used
    /// before missed by 4.7e-6, so this test separates the two.
    @Test("D₂K = K₂ and D₁K = K₁ to 1e-9 on a kernel with cond(K) ≈ 7e11")
    func operatorsOfIllConditionedKernel() throws {
        let kernel = SpectralMixtureKernel(family: .gaussian, weights: [1e4, 1], rates: [0.02, 2], frequencies: [0, 2])
        let grid = try UniformGrid(lower: 0, upper: 2 * .pi, count: 80)
        let axis = try AxisOperators(grid: grid, kernel: kernel, jitter: 1e-6)
        let x = grid.points
        let k2 = Matrix(rows: 80, columns: 80) { i, j in kernel.covariance(x[i], x[j], derivativeInFirst: 2, derivativeInSecond: 0) }
        let k1 = Matrix(rows: 80, columns: 80) { i, j in kernel.covariance(x[i], x[j], derivativeInFirst: 1, derivativeInSecond: 0) }
        expectClose(axis.secondDerivative * axis.gram, k2, rtol: 0, atol: 1e-9 * k2.maxAbs)
        expectClose(axis.firstDerivative * axis.gram, k1, rtol: 0, atol: 1e-9 * k1.maxAbs)
    }

    /// u = sin(2πx) on [0, 1], 40 points, 3 components. Default continuation in 1-D: the returned
    /// precision is exactly 100 × the initial one, the reported objective is L at the returned u, kernel
    /// and precisions (to 1e-10 relative: the same solve repeated), and the iteration count covers the
    /// stages (at most 5 + 3 + 3). An empty continuation keeps the initial precision; a fixed kernel
    /// (iterations 0) ignores the continuation; 2-D and 3-D have none by default.
    @Test("the continuation's contract: final v = 100 × v₀ in 1-D, consistent objective, off when empty or fixed")
    func continuationContract() throws {
        #expect(KernelLearning.defaultEquationWeightContinuation(dimension: 1) == [10, 100])
        #expect(KernelLearning.defaultEquationWeightContinuation(dimension: 2).isEmpty)
        #expect(KernelLearning.defaultEquationWeightContinuation(dimension: 3).isEmpty)
        let grid = TensorGrid([try UniformGrid(lower: 0, upper: 1, count: 40)])
        let problem = try PDEProblem(grid: grid, equation: .laplacian(dimension: 1),
                                     source: grid.sample { -4 * .pi * .pi * sin(2 * .pi * $0[0]) }, boundaryValues: [0, 0])
        let v0 = KernelLearning.defaultEquationWeight(problem)
        func fit(_ continuation: [Double]?, iterations: Int = 5) throws -> LearnedKernelSolution {
            try KernelLearning.fit(problem, options: KernelLearningOptions(
                components: 3, maxFrequency: [2], iterations: iterations, equationWeightContinuation: continuation,
                continuationIterations: 3))
        }
        let continued = try fit(nil)
        expectClose(continued.weights.equation, 100 * v0, rtol: 1e-12)
        #expect(continued.iterations <= 11 && continued.iterations > 5)
        let recomputed = KernelLearning.negativeLogJoint(problem, system: continued.system, u: continued.solution.values,
                                                         tau: continued.weights.boundary, v: continued.weights.equation).value
        expectClose(continued.objective, recomputed, rtol: 1e-10)
        let plain = try fit([])
        expectClose(plain.weights.equation, v0, rtol: 1e-12)
        #expect(plain.iterations <= 5)
        let fixed = try fit(nil, iterations: 0)
        #expect(fixed.evaluations == 1)
        expectClose(fixed.weights.equation, v0, rtol: 1e-12)
    }
}
