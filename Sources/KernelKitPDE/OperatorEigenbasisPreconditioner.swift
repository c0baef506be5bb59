import Foundation
import KernelKitLinalg

/// The 2-D Jacobi preconditioner in a per-axis basis adapted to the operator, for kernels of any band:
/// the fallback after `OperatorPreconditioner`.
///
/// Per axis, with Dₖ = aₖD₂,ₖ + bₖD₁,ₖ (the axis' part of the operator), the basis Zₖ solves the
/// symmetric-definite generalised eigenproblem (DₖᵀDₖ + σₖI) Zₖ = Kₖ⁻¹ Zₖ Θₖ, ZₖᵀKₖ⁻¹Zₖ = I. In Z₀ ⊗ Z₁
/// the prior K⁻¹ = K₀⁻¹ ⊗ K₁⁻¹ is the identity and the one-axis operator terms are as diagonal as one
/// basis can make both DₖᵀDₖ (paired with the other axis' I) and I (paired with the other axis' DᵀD); σₖ
/// weighs the second, the "I" that the other axis' operator multiplies. The preconditioner is
/// M₀ = Z⁻ᵀ diag(p) Z⁻¹ with p the diagonal of Zᵀ(K⁻¹ + w_eq AᵀA)Z for A = D₀ ⊗ I + I ⊗ D₁ + c̄I:
///   p = 1 + w_eq [δ₀ζ₁ + ζ₀δ₁ + 2d₀d₁ + 2c̄(d₀ζ₁ + ζ₀d₁) + c̄²ζ₀ζ₁],
/// δₖ = diag(ZₖᵀDₖᵀDₖZₖ), ζₖ = diag(ZₖᵀZₖ), dₖ = diag(ZₖᵀDₖZₖ), so M₀⁻¹ = Z diag(1/p) Zᵀ; the boundary
/// term is added exactly by `BoundaryCorrectedPreconditioner` (Woodbury).
/// Why not the eigenbasis of K: there DₖᵀDₖ and K⁻¹'s partner terms are far from diagonal for learned
/// kernels whose spectrum has a long low tail (pruned components with weights ≈ 1e-5 and broad envelopes).
/// Measured (NumPy prototype, poisson2d-sincos kernel learned on 150² by 8 L-BFGS-B iterations, PCG to
/// 1e-10, w_bc = 1e6, w_eq = 1): 406 iterations with the K-eigenbasis Jacobi at 100², against 50–86 here
/// for σ in [1e3, 1e5] (125 for 1e2, 275 for 1e6); 57–88 at 150² for σ in [1e3, 3e4]. The default
/// σₖ = (ω_N/8)⁴, ω_N = π/h of the other axis (1.5e3 at 100 points on [0, 2π]), sits in that flat range
/// and scales with the grid's resolvable frequencies; it was chosen on these solve counts, not on any
/// test error. Checked on allencahn2d-mix at 200² (initial kernel, all Gauss–Newton solves): 3,421, 4,536,
/// 4,010 and 19,393 CG iterations for the divisors 2, 4, 8 and 32.
/// Cost: setup per axis two symmetric eigendecompositions and a few n × n products, O(n³); the boundary
/// capacitance O(n³) (see `edgeCapacitance`); each application as `BoundaryCorrectedPreconditioner`.
enum OperatorEigenbasisPreconditioner {
    /// The divisor of the Nyquist angular frequency in σₖ = (ω_N/8)⁴.
    static let shiftFrequencyFraction = 8.0

    /// The preconditioner for Σₖ aₖD₂,ₖ + bₖD₁,ₖ + `meanDiagonal`·I on a 2-D grid.
    /// - Throws: `PDEError.solverFailed` when an eigendecomposition fails or the capacitance is not
    ///   numerically positive definite.
    static func make(axes: [AxisOperators], operator op: DifferentialOperator, meanDiagonal cBar: Double,
                     weights: CollocationWeights, boundaryIndices: [Int]) throws -> BoundaryCorrectedPreconditioner {
        precondition(axes.count == 2, "OperatorEigenbasisPreconditioner is for 2-D grids")
        var bases: [Matrix] = [], delta: [[Double]] = [], zeta: [[Double]] = [], diagonalD: [[Double]] = []
        for k in 0..<2 {
            let axis = axes[k], n = axis.grid.count
            var d = Matrix(rows: n, columns: n)
            for (c, m) in [(op.secondOrder[k], axis.secondDerivative), (op.firstOrder[k], axis.firstDerivative)] where c != 0 {
                d = d + c * m
            }
            let nyquist = Double.pi / axes[1 - k].grid.spacing
            let shift = pow(nyquist / shiftFrequencyFraction, 4)
            do {
                // K = QΛQᵀ, F = K^{1/2}; with z = Fy the pencil becomes F(DᵀD + σI)F y = θ y, i.e.
                // (DF)ᵀ(DF) + σK, symmetric; Z = FY then satisfies ZᵀK⁻¹Z = I.
                let f = try SymmetricEigen(axis.gram).matrixFunction { max($0, 0).squareRoot() }
                let df = BLAS.matmul(d, f)
                var pencil = BLAS.matmul(df, df, .transpose, .none) + shift * axis.gram
                pencil.symmetrizeByAveraging()
                let z = BLAS.matmul(f, try SymmetricEigen(pencil).eigenvectors)
                let dz = BLAS.matmul(d, z)
                bases.append(z)
                delta.append((0..<n).map { m in (0..<n).reduce(0) { $0 + dz[$1, m] * dz[$1, m] } })
                zeta.append((0..<n).map { m in (0..<n).reduce(0) { $0 + z[$1, m] * z[$1, m] } })
                diagonalD.append((0..<n).map { m in (0..<n).reduce(0) { $0 + z[$1, m] * dz[$1, m] } })
            } catch {
                throw PDEError.solverFailed("the operator-eigenbasis preconditioner's factorisation of a grid axis failed: \(error)")
            }
        }
        let (n0, n1) = (axes[0].grid.count, axes[1].grid.count)
        let w = weights.equation
        var p = [Double](repeating: 0, count: n0 * n1)
        for a in 0..<n0 {
            for c in 0..<n1 {
                let operatorTerm = delta[0][a] * zeta[1][c] + zeta[0][a] * delta[1][c] + 2 * diagonalD[0][a] * diagonalD[1][c]
                    + 2 * cBar * (diagonalD[0][a] * zeta[1][c] + zeta[0][a] * diagonalD[1][c]) + cBar * cBar * zeta[0][a] * zeta[1][c]
                p[a * n1 + c] = 1 + w * max(operatorTerm, 0)
            }
        }
        return try BoundaryCorrectedPreconditioner(eigenvectors: bases, interiorDiagonal: p, shape: [n0, n1],
                                                   boundaryIndices: boundaryIndices, boundaryWeight: weights.boundary)
    }
}
