import Foundation
import KernelKitLinalg

/// The 2-D preconditioner M = w_eq ÃᵀÃ + w_bc SᵀS for the collocation normal matrix
/// H = K⁻¹ + w_eq AᵀA + w_bc SᵀS of an operator A = a₀ D₂,ₓ ⊗ I + a₁ I ⊗ D₂,ᵧ + c̄ I (second derivatives
/// and a constant diagonal c̄, the mean of the operator's diagonal; no first derivatives), exact in the
/// operator term, which dominates H on all but a few modes when w_eq ≫ the prior precision.
///
/// Per axis, with the symmetric square root Fₖ = Kₖ^{1/2} and the symmetric eigendecomposition
/// Fₖ⁻¹Kₖ″Fₖ⁻¹ = WₖMₖWₖᵀ, the GP derivative operator factors as Dₖ = Kₖ″Kₖ⁻¹ = PₖMₖPₖ⁻¹ with
/// Pₖ = FₖWₖ, so A = PΛP⁻¹ with P = P₀ ⊗ P₁ and Λ = a₀M₀ ⊕ a₁M₁ + c̄ diagonal. AᵀA is not diagonal in that
/// basis (P is not orthogonal), but its inverse is cheap: (AᵀA)⁻¹ = PΛ⁻¹G⁻¹Λ⁻¹Pᵀ with
/// G = PᵀP = ⊗ WₖᵀKₖWₖ and G⁻¹ = ⊗ WₖᵀKₖ⁻¹Wₖ (nearly diagonal for a stationary kernel). Λ is near zero on harmonic-like modes (e.g. the constant with an ω = 0
/// component), where the prior K⁻¹ = P⁻ᵀP⁻¹ carries H instead; Ã replaces Λ by
/// Λ̃ = sign(Λ)·(Λ² + 1/(w_eq gₘ))^{1/2} with gₘ the diagonal of G = PᵀP, the prior's diagonal in that basis:
///   M₀⁻¹ = (1/w_eq) P Λ̃⁻¹ G⁻¹ Λ̃⁻¹ Pᵀ,
/// and the boundary term is added exactly by the Woodbury identity,
///   M⁻¹ = M₀⁻¹ − M₀⁻¹Sᵀ (I/w_bc + S M₀⁻¹ Sᵀ)⁻¹ S M₀⁻¹,
/// S the n_b × N boundary selection in `TensorGrid.boundaryIndices` order (the four edges x = x₀, x = x_end,
/// y = y₀, y = y_end; corners twice). The capacitance S M₀⁻¹ Sᵀ is assembled edge pair by edge pair in
/// O(n³): with Ψ = Λ̃⁻¹ as an n₀ × n₁ array, Uᵢ[a,c] = P₀[i,a]Ψ[a,c], Vⱼ[a,c] = Ψ[a,c]P₁[j,c] and
/// Hₖ = WₖᵀKₖ⁻¹Wₖ, the blocks are P₁((UᵢᵀH₀Uᵢ′) ∘ H₁)P₁ᵀ (x-edge with x-edge), P₀((VⱼH₁Vⱼ′ᵀ) ∘ H₀)P₀ᵀ
/// (y-edges) and P₁((UᵢᵀH₀) ∘ (H₁Vⱼ′ᵀ))P₀ᵀ (x-edge with y-edge), each divided by w_eq.
/// Cost: setup O(n³) per axis (two eigendecompositions, products) and per edge pair, plus a
/// Cholesky of the n_b × n_b capacitance; each application 12 mode products (O(N(n₀ + n₁))) and one
/// capacitance solve.
struct OperatorPreconditioner {
    let shape: [Int]
    /// Pₖ = FₖWₖ (grid points × modes).
    let modes: [Matrix]
    /// Hₖ = (PₖᵀPₖ)⁻¹ = WₖᵀKₖ⁻¹Wₖ.
    let inverseModeGram: [Matrix]
    /// Ψ = Λ̃⁻¹ in C order over the mode grid.
    let inverseEigenvalues: [Double]
    let equationWeight: Double
    let woodbury: BoundaryWoodbury

    /// - Throws: `PDEError.solverFailed` when a factorisation fails (a kernel matrix or the capacitance
    ///   not numerically positive definite).
    init(axes: [AxisOperators], secondOrder: [Double], meanDiagonal: Double, weights: CollocationWeights,
         boundaryIndices: [Int]) throws {
        precondition(axes.count == 2 && secondOrder.count == 2, "OperatorPreconditioner is for 2-D grids")
        let shape = axes.map(\.grid.count)
        var modes: [Matrix] = [], inverseModeGram: [Matrix] = [], eigenvalues: [[Double]] = [], gramDiagonal: [[Double]] = []
        for axis in axes {
            do {
                // The symmetric square root F = K^{1/2} = Q diag(√λ) Qᵀ, so that G = PᵀP = WᵀKW is nearly
                // diagonal for a stationary kernel (with a Cholesky factor, LᵀL is not).
                let kEigen = try SymmetricEigen(axis.gram)
                let n = axis.grid.count
                let root = try kEigen.matrixFunction { max($0, 0).squareRoot() }
                let inverseRoot = try kEigen.matrixFunction { 1 / max($0, 0).squareRoot() }
                var c = BLAS.matmul(inverseRoot, BLAS.matmul(axis.secondDerivativeCovariance, inverseRoot))  // F⁻¹K″F⁻¹
                c.symmetrizeByAveraging()
                let eigen = try SymmetricEigen(c)
                let w = eigen.eigenvectors
                let p = BLAS.matmul(root, w)
                modes.append(p)
                let x = BLAS.matmul(inverseRoot, w)                                         // F⁻¹W = K⁻¹P
                inverseModeGram.append(BLAS.matmul(x, x, .transpose, .none))               // (PᵀP)⁻¹ = WᵀK⁻¹W
                eigenvalues.append(eigen.eigenvalues.elements)
                gramDiagonal.append((0..<n).map { m in (0..<n).reduce(0) { $0 + p[$1, m] * p[$1, m] } })
            } catch {
                throw PDEError.solverFailed("the operator preconditioner's factorisation of a grid axis failed: \(error)")
            }
        }
        let (n0, n1) = (shape[0], shape[1])
        let v = weights.equation
        var psi = [Double](repeating: 0, count: n0 * n1)
        for a in 0..<n0 {
            for c in 0..<n1 {
                let lambda = secondOrder[0] * eigenvalues[0][a] + secondOrder[1] * eigenvalues[1][c] + meanDiagonal
                let modified = (lambda * lambda + 1 / (v * gramDiagonal[0][a] * gramDiagonal[1][c])).squareRoot()
                psi[a * n1 + c] = (lambda < 0 ? -1 : 1) / modified
            }
        }
        self.shape = shape
        self.modes = modes
        self.inverseModeGram = inverseModeGram
        self.inverseEigenvalues = psi
        self.equationWeight = v

        // Capacitance I/w_bc + S M₀⁻¹ Sᵀ, edge blocks in boundaryIndices order: x = first, x = last
        // (n₁ entries each, y varying), y = first, y = last (n₀ entries each, x varying).
        let (p0, p1, h0, h1) = (modes[0], modes[1], inverseModeGram[0], inverseModeGram[1])
        func u(_ i: Int) -> Matrix { Matrix(rows: n0, columns: n1) { a, c in p0[i, a] * psi[a * n1 + c] } }
        func vMatrix(_ j: Int) -> Matrix { Matrix(rows: n0, columns: n1) { a, c in psi[a * n1 + c] * p1[j, c] } }
        let xEdges = [u(0), u(n0 - 1)], yEdges = [vMatrix(0), vMatrix(n1 - 1)]
        let nb = 2 * (n0 + n1)
        precondition(boundaryIndices.count == nb, "OperatorPreconditioner: GP-HM boundary order expected")
        var e = Matrix(rows: nb, columns: nb)
        func place(_ block: Matrix, row: Int, column: Int) {
            for j in 0..<block.columns { for i in 0..<block.rows { e[row + i, column + j] = block[i, j] / v } }
        }
        let xOffsets = [0, n1], yOffsets = [2 * n1, 2 * n1 + n0]
        for s in 0..<2 {
            let uh = BLAS.matmul(xEdges[s], h0, .transpose, .none)               // UᵢᵀH₀ (n₁ × n₀)
            for t in 0..<2 {
                let tx = BLAS.matmul(uh, xEdges[t])                                // UᵢᵀH₀Uᵢ′ (n₁ × n₁)
                let xx = BLAS.matmul(p1, BLAS.matmul(tx.hadamard(h1), p1, .none, .transpose))
                place(xx, row: xOffsets[s], column: xOffsets[t])
                let hv = BLAS.matmul(h1, yEdges[t], .none, .transpose)             // H₁Vⱼ′ᵀ (n₁ × n₀)
                let xy = BLAS.matmul(p1, BLAS.matmul(uh.hadamard(hv), p0, .none, .transpose))
                place(xy, row: xOffsets[s], column: yOffsets[t])
                place(xy.transposed, row: yOffsets[t], column: xOffsets[s])
                let ty = BLAS.matmul(yEdges[s], BLAS.matmul(h1, yEdges[t], .none, .transpose))  // VⱼH₁Vⱼ′ᵀ (n₀ × n₀)
                let yy = BLAS.matmul(p0, BLAS.matmul(ty.hadamard(h0), p0, .none, .transpose))
                place(yy, row: yOffsets[s], column: yOffsets[t])
            }
        }
        self.woodbury = try BoundaryWoodbury(interiorCapacitance: e, boundaryWeight: weights.boundary, boundaryIndices: boundaryIndices)
    }

    /// M₀⁻¹ r = (1/w_eq) P Λ̃⁻¹ G⁻¹ Λ̃⁻¹ Pᵀ r.
    func applyInteriorInverse(_ r: [Double]) -> [Double] {
        var t = modeProduct(modes[0], axis: 0, shape: shape, r, transpose: true)
        t = modeProduct(modes[1], axis: 1, shape: shape, t, transpose: true)
        for i in t.indices { t[i] *= inverseEigenvalues[i] }
        t = modeProduct(inverseModeGram[0], axis: 0, shape: shape, t)
        t = modeProduct(inverseModeGram[1], axis: 1, shape: shape, t)
        let scale = 1 / equationWeight
        for i in t.indices { t[i] *= inverseEigenvalues[i] * scale }
        t = modeProduct(modes[0], axis: 0, shape: shape, t)
        return modeProduct(modes[1], axis: 1, shape: shape, t)
    }

    /// M⁻¹ r (Woodbury).
    func apply(_ r: [Double]) -> [Double] { woodbury.apply(r, interiorInverse: applyInteriorInverse) }
}
