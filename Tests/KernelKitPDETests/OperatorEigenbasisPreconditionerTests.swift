import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import Testing
@testable import KernelKitPDE

@Suite("Operator-eigenbasis Jacobi preconditioner (2-D fallback)")
struct OperatorEigenbasisPreconditionerTests {
    static func system() throws -> GPCollocation {
        let grid = TensorGrid([try UniformGrid(lower: 0, upper: 1, count: 9), try UniformGrid(lower: 0, upper: 2, count: 7)])
        return try GPCollocation(grid: grid, kernels: [randomKernel(.gaussian, seed: 21), randomKernel(.studentT, seed: 22)], jitter: 1e-5)
    }

    /// The basis makes the prior the identity: ZₖᵀKₖ⁻¹Zₖ = I to 1e-8 (Kₖ⁻¹ has norm ≤ 1e5 here and the
    /// basis comes from two eigendecompositions).
    @Test("the per-axis bases are Kₖ⁻¹-orthonormal")
    func basesArePriorOrthonormal() throws {
        let system = try Self.system()
        let op = DifferentialOperator(secondOrder: [1, 0.5], firstOrder: [0.3, -2], linear: -1)
        let pre = try OperatorEigenbasisPreconditioner.make(axes: system.axes, operator: op, meanDiagonal: -1,
                                                            weights: CollocationWeights(boundary: 1e3, equation: 2),
                                                            boundaryIndices: system.boundaryIndices)
        for k in 0..<2 {
            let z = pre.eigenvectors[k]
            let product = BLAS.matmul(z, BLAS.matmul(system.axes[k].inverseGram, z), .transpose, .none)
            expectClose(product, Matrix.identity(z.columns), rtol: 0, atol: 1e-8)
        }
    }

    /// p is the diagonal of (Z₀ ⊗ Z₁)ᵀ(K⁻¹ + w_eq AᵀA)(Z₀ ⊗ Z₁), computed here densely from
    /// `denseOperator` and `denseInversePrior` (an independent route), for an operator with second and
    /// first derivatives and a constant diagonal: 1e-8 relative to the largest entry.
    @Test("the Jacobi diagonal equals the dense diagonal in the operator basis")
    func diagonalMatchesDense() throws {
        let system = try Self.system()
        let n = system.grid.count
        let op = DifferentialOperator(secondOrder: [1, 0.5], firstOrder: [0.3, -2], linear: -1)
        let weights = CollocationWeights(boundary: 1e3, equation: 2)
        let pre = try OperatorEigenbasisPreconditioner.make(axes: system.axes, operator: op, meanDiagonal: -1, weights: weights,
                                                            boundaryIndices: system.boundaryIndices)
        let a = system.denseOperator(op, diagonal: [Double](repeating: -1, count: n))
        let h = system.denseInversePrior + weights.equation * BLAS.matmul(a, a, .transpose, .none)
        let z = KroneckerProduct(pre.eigenvectors).dense
        let expected = BLAS.matmul(z, BLAS.matmul(h, z), .transpose, .none).diagonal.elements
        let got = pre.inverseInterior.map { 1 / $0 }
        expectClose(got, expected, rtol: 0, atol: 1e-8 * Vector(expected).maxAbs)
    }

    /// As a PCG preconditioner for the full normal matrix (boundary term included) it must give the
    /// dense solve: ‖r‖ ≤ 1e-12‖b‖ and cond(H) ≲ 1e7 here bound the difference by 1e-5 relative.
    @Test("PCG with it reproduces the dense solve")
    func pcgMatchesDense() throws {
        let system = try Self.system()
        let grid = system.grid, n = grid.count
        let op = DifferentialOperator(secondOrder: [1, 1], firstOrder: [0, 0], linear: 0)
        let weights = CollocationWeights(boundary: 1e6, equation: 1)
        let f = grid.sample { sin(3 * $0[0]) * cos($0[1]) }
        let g = grid.boundaryIndices.map { grid.point($0)[0] }
        let problem = try PDEProblem(grid: grid, equation: op, source: f, boundaryValues: g)
        let dense = try system.solve(problem, weights: weights, method: .dense)
        let zero = [Double](repeating: 0, count: n)
        var rhs = system.applyDerivatives(op, f, transpose: true)
        for (j, r) in grid.boundaryIndices.enumerated() { rhs[r] += weights.boundary * g[j] }
        let pre = try OperatorEigenbasisPreconditioner.make(axes: system.axes, operator: op, meanDiagonal: 0, weights: weights,
                                                            boundaryIndices: system.boundaryIndices)
        let result = try ConjugateGradient.solve(
            Vector(rhs), relativeTolerance: 1e-12, maxIterations: 2000, preconditioner: { Vector(pre.apply($0.elements)) },
            matrixVectorProduct: { Vector(system.applyNormalMatrix(op, diagonal: zero, weights: weights, $0.elements)) })
        #expect(result.converged)
        #expect(relativeDifference(result.solution.elements, dense.values) < 1e-5)
    }
}
