import Foundation
import KernelKitLinalg

/// The 2-D preconditioner M = P₀ + w_bc SᵀS for the collocation normal matrix
/// H = K⁻¹ + w_eq AᵀA + w_bc SᵀS, with the boundary term kept exactly.
///
/// P₀ = Q⁻ᵀ diag(p) Q⁻¹, i.e. P₀⁻¹ = Q diag(1/p) Qᵀ, is a Jacobi approximation of the interior part
/// K⁻¹ + w_eq AᵀA in a per-axis basis Q = Q₀ ⊗ Q₁ (any invertible Qₖ: the prior-orthonormal operator
/// basis of `OperatorEigenbasisPreconditioner`, or an orthogonal eigenbasis of K); the boundary term,
/// which is diagonal on the grid but dense in that basis, is added back by the Woodbury identity
///   M⁻¹ = P₀⁻¹ − P₀⁻¹Sᵀ (I/w_bc + S P₀⁻¹ Sᵀ)⁻¹ S P₀⁻¹,
/// S the n_b × N boundary selection in GP-HM order (corners twice, which the identity allows).
/// The capacitance matrix S P₀⁻¹ Sᵀ is assembled edge pair by edge pair (`edgeCapacitance`) from the per-axis factors —
/// e.g. between the edges x = a and x = b it is Q₁ diag(c) Q₁ᵀ with c_{j₁} = Σ_{j₀} Q₀[a,j₀]Q₀[b,j₀]/p_{j₀j₁} —
/// in O(n³) per block instead of n_b applications of P₀⁻¹.
/// Why: with a learned (narrow-band) kernel, K⁻¹ reaches 1/ε² on modes outside the kernel's band and the
/// w_bc = 1e6 boundary term couples those modes; measured on a 40 × 40 grid with a two-line kernel
/// (NumPy prototype), PCG to 1e-10 took 877 iterations with the boundary term's eigenbasis diagonal
/// and 36 with it kept exactly.
/// Cost: setup O(n³) for 16 blocks plus a Cholesky of the (2n₀ + 2n₁)² capacitance matrix; each
/// application two applications of P₀⁻¹ (4 mode products, O(N(n₀ + n₁))) and one capacitance solve.
struct BoundaryCorrectedPreconditioner {
    let eigenvectors: [Matrix]
    let inverseInterior: [Double]
    let shape: [Int]
    let woodbury: BoundaryWoodbury

    /// - Throws: `PDEError.solverFailed` when the capacitance matrix is not numerically positive definite.
    init(eigenvectors q: [Matrix], interiorDiagonal p: [Double], shape: [Int], boundaryIndices: [Int],
         boundaryWeight: Double) throws {
        precondition(shape.count == 2, "BoundaryCorrectedPreconditioner is for 2-D grids")
        let inverse = p.map { 1 / $0 }
        precondition(boundaryIndices.count == 2 * (shape[0] + shape[1]), "BoundaryCorrectedPreconditioner: boundary order of a 2-D grid expected")
        let c = edgeCapacitance(bases: q, diagonal: inverse, shape: shape)
        woodbury = try BoundaryWoodbury(interiorCapacitance: c, boundaryWeight: boundaryWeight, boundaryIndices: boundaryIndices)
        eigenvectors = q
        inverseInterior = inverse
        self.shape = shape
    }

    /// P₀⁻¹ r = Q diag(1/p) Qᵀ r.
    func applyInterior(_ r: [Double]) -> [Double] {
        var t = r
        for k in 0..<2 { t = modeProduct(eigenvectors[k], axis: k, shape: shape, t, transpose: true) }
        for i in 0..<t.count { t[i] *= inverseInterior[i] }
        for k in 0..<2 { t = modeProduct(eigenvectors[k], axis: k, shape: shape, t) }
        return t
    }

    /// M⁻¹ r by the Woodbury identity.
    func apply(_ r: [Double]) -> [Double] { woodbury.apply(r, interiorInverse: applyInterior) }
}

/// The boundary term of the 2-D preconditioners M = M₀ + w_bc SᵀS, added by the Woodbury identity:
///   M⁻¹ r = M₀⁻¹ r − M₀⁻¹Sᵀ C⁻¹ S M₀⁻¹ r,   C = I/w_bc + S M₀⁻¹ Sᵀ (n_b × n_b, factored once),
/// S the boundary selection in `TensorGrid.boundaryIndices` order. Each application costs two
/// applications of M₀⁻¹ and one capacitance solve, O(n_b²).
struct BoundaryWoodbury {
    let boundaryIndices: [Int]
    let capacitance: Cholesky

    /// Factors C from S M₀⁻¹ Sᵀ (symmetrised).
    /// - Throws: `PDEError.solverFailed` when C is not numerically positive definite.
    init(interiorCapacitance: Matrix, boundaryWeight: Double, boundaryIndices: [Int]) throws {
        let nb = boundaryIndices.count
        precondition(interiorCapacitance.rows == nb && interiorCapacitance.columns == nb, "BoundaryWoodbury: n_b × n_b capacitance expected")
        var c = interiorCapacitance
        c.symmetrizeByAveraging()
        for j in 0..<nb { c[j, j] += 1 / boundaryWeight }
        do { capacitance = try Cholesky(c, jitter: .none) } catch {
            throw PDEError.solverFailed("the boundary capacitance matrix of the preconditioner is not positive definite (\(error))")
        }
        self.boundaryIndices = boundaryIndices
    }

    /// M⁻¹ r given r ↦ M₀⁻¹ r.
    func apply(_ r: [Double], interiorInverse: ([Double]) -> [Double]) -> [Double] {
        var z = interiorInverse(r)
        let y = capacitance.solve(Vector(boundaryIndices.map { z[$0] })).elements
        var scattered = [Double](repeating: 0, count: z.count)
        for (j, index) in boundaryIndices.enumerated() { scattered[index] += y[j] }
        let correction = interiorInverse(scattered)
        for i in 0..<z.count { z[i] -= correction[i] }
        return z
    }
}

/// S (X ⊗ Y) diag(v) (X ⊗ Y)ᵀ Sᵀ for square per-axis bases X (n₀ × n₀), Y (n₁ × n₁) and v over the
/// mode grid (C order, n₀n₁ entries, zeros allowed), S the boundary selection of a 2-D grid in
/// `TensorGrid.boundaryIndices` order (edges x = x₀, x = x_end, y = y₀, y = y_end; corners twice).
/// Assembled edge pair by edge pair — e.g. between the edges x = a and x = b it is Y diag(c) Yᵀ with
/// c_{j₁} = Σ_{j₀} X[a,j₀]X[b,j₀]v_{j₀j₁} — in O(n³) per block instead of n_b applications of the operator.
func edgeCapacitance(bases q: [Matrix], diagonal v: [Double], shape: [Int]) -> Matrix {
    let (n0, n1) = (shape[0], shape[1])
    let x = q[0], y = q[1]
    let pinv = Matrix(rows: n0, columns: n1) { j0, j1 in v[j0 * n1 + j1] }
    func row(_ m: Matrix, _ i: Int) -> [Double] { (0..<m.columns).map { m[i, $0] } }
    func scaledColumns(_ m: Matrix, _ s: [Double]) -> Matrix { Matrix(rows: m.rows, columns: m.columns) { i, j in m[i, j] * s[j] } }
    let ends0 = [0, n0 - 1], ends1 = [0, n1 - 1]
    let sizes = [n1, n1, n0, n0], offsets = [0, n1, 2 * n1, 2 * n1 + n0]
    let nb = 2 * (n0 + n1)
    var c = Matrix(rows: nb, columns: nb)
    func place(_ block: Matrix, _ bi: Int, _ bj: Int) {
        for j in 0..<sizes[bj] {
            for i in 0..<sizes[bi] {
                c[offsets[bi] + i, offsets[bj] + j] = block[i, j]
                c[offsets[bj] + j, offsets[bi] + i] = block[i, j]
            }
        }
    }
    for (ai, a) in ends0.enumerated() {
        for (bi, b) in ends0.enumerated() where bi >= ai {
            let xa = row(x, a), xb = row(x, b)
            let weights = BLAS.matvec(pinv, Vector((0..<n0).map { xa[$0] * xb[$0] }), .transpose).elements
            place(BLAS.matmul(scaledColumns(y, weights), y, .none, .transpose), ai, bi)
        }
    }
    for (ai, a) in ends1.enumerated() {
        for (bi, b) in ends1.enumerated() where bi >= ai {
            let ya = row(y, a), yb = row(y, b)
            let weights = BLAS.matvec(pinv, Vector((0..<n1).map { ya[$0] * yb[$0] })).elements
            place(BLAS.matmul(scaledColumns(x, weights), x, .none, .transpose), 2 + ai, 2 + bi)
        }
    }
    for (ai, a) in ends0.enumerated() {
        let xa = row(x, a)
        let w = Matrix(rows: n0, columns: n1) { j0, j1 in pinv[j0, j1] * xa[j0] }
        let xw = BLAS.matmul(x, w)
        for (bi, b) in ends1.enumerated() {
            place(BLAS.matmul(scaledColumns(y, row(y, b)), xw, .none, .transpose), ai, 2 + bi)
        }
    }
    return c
}
