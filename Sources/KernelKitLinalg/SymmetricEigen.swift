import CLAPACKE

/// Eigendecomposition `A = V Λ Vᵀ` of a real symmetric matrix (LAPACK dsyevd, divide and conquer).
///
/// `eigenvalues` are in ascending order (as `numpy.linalg.eigh` / `scipy.linalg.eigh` return them);
/// column `j` of `eigenvectors` is a unit eigenvector for `eigenvalues[j]`, and `V` is orthogonal.
/// Eigenvectors of repeated eigenvalues are any orthonormal basis of the eigenspace, and each
/// eigenvector's sign is arbitrary.
///
/// Cost: about 9n³ flops with eigenvectors (LAPACK Users' Guide, §3.4), O(n²) extra memory.
/// Accuracy: backward stable, ‖A − VΛVᵀ‖ = O(nε‖A‖) and ‖VᵀV − I‖ = O(nε); each eigenvalue has
/// absolute error O(ε‖A‖₂), so eigenvalues much smaller than ‖A‖₂ have poor relative accuracy (a
/// PSD kernel matrix can show eigenvalues like −1e−17).
/// Reference: Golub & Van Loan, *Matrix Computations*, 4th ed., §8.4–8.5; Gu & Eisenstat (1995),
/// "A divide-and-conquer algorithm for the symmetric tridiagonal eigenproblem".
public struct SymmetricEigen: Sendable {
    /// The eigenvalues λ₁ ≤ λ₂ ≤ … ≤ λₙ.
    public let eigenvalues: Vector
    /// The orthogonal matrix V whose column j is the unit eigenvector for `eigenvalues[j]`.
    public let eigenvectors: Matrix

    /// Decompose the symmetric matrix `a`; only `triangle` of `a` is read (the other is assumed to
    /// mirror it and is not checked for symmetry).
    ///
    /// Cost: ≈ 9n³ flops. Uses the column-major layout directly (no transposed copy).
    /// - Throws: `LinalgError.nonFinite` when `a` holds NaN or ±∞; `LinalgError.noConvergence` when
    ///   LAPACK's eigenvalue iteration fails (info > 0; `iterations` is LAPACK's `info`, the index of
    ///   the failing submatrix, and `residual` is +∞ because LAPACK reports none). Rescaling a matrix
    ///   with extreme entries usually cures the latter.
    public init(_ a: Matrix, triangle: BLAS.Triangle = .lower) throws {
        precondition(a.isSquare, "SymmetricEigen needs a square matrix, got \(a.rows)×\(a.columns)")
        guard a.isFinite else { throw LinalgError.nonFinite(what: "matrix to eigendecompose") }
        let n = a.rows
        var v = a
        var w = [Double](repeating: 0, count: n)
        if n > 0 {
            let info = v.withUnsafeMutableBufferPointer { vp in
                w.withUnsafeMutableBufferPointer { wp in
                    LAPACKE_dsyevd(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "V")), triangle.lapack, Int32(n),
                                   vp.baseAddress, Int32(n), wp.baseAddress)
                }
            }
            precondition(info >= 0, "dsyevd argument error \(info)")
            if info > 0 {
                throw LinalgError.noConvergence(routine: "symmetric eigensolver (LAPACK dsyevd)",
                                                iterations: Int(info), residual: .infinity)
            }
        }
        self.eigenvalues = Vector(w)
        self.eigenvectors = v
    }

    /// Dimension n.
    public var count: Int { eigenvalues.count }

    /// `V Λ Vᵀ`, which equals the decomposed matrix up to rounding. 2n³ flops.
    public func reconstructed() -> Matrix {
        scaledProduct(eigenvalues.elements)
    }

    /// The matrix function `f(A) = V f(Λ) Vᵀ`, with `f` applied to each eigenvalue: e.g. `sqrt` for the
    /// PSD square root, `{ 1 / $0 }` for the inverse, `exp` for the matrix exponential.
    ///
    /// Cost: n evaluations of `f` plus 2n³ flops. The result is symmetric up to rounding. Accuracy is
    /// that of the eigenvalues: `f` of a tiny or slightly negative eigenvalue of a PSD matrix (e.g.
    /// `sqrt`, `log`, `1/x`) amplifies rounding; clamp inside `f` if that is what you mean.
    /// - Throws: whatever `f` throws; `LinalgError.domain` when `f(λ)` is NaN or ±∞ for some eigenvalue
    ///   (for example `log` of a non-positive eigenvalue).
    public func matrixFunction(_ f: (Double) throws -> Double) throws -> Matrix {
        var fl = [Double](repeating: 0, count: count)
        for (j, l) in eigenvalues.enumerated() {
            let v = try f(l)
            guard v.isFinite else {
                throw LinalgError.domain("matrix function: f(λ) = \(v) is not finite for eigenvalue λ = \(l)")
            }
            fl[j] = v
        }
        return scaledProduct(fl)
    }

    /// V diag(d) Vᵀ.
    private func scaledProduct(_ d: [Double]) -> Matrix {
        let n = count
        var scaled = eigenvectors
        scaled.withUnsafeMutableBufferPointer { p in
            for j in 0..<n {
                let s = d[j]
                for i in 0..<n { p[i + j * n] *= s }
            }
        }
        var result = Matrix(rows: n, columns: n)
        BLAS.gemm(.none, .transpose, scaled, eigenvectors, &result)
        return result
    }
}
