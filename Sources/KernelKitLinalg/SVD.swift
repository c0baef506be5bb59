import CLAPACKE

/// Thin singular value decomposition `A = U Σ Vᵀ` of an m × n matrix (LAPACK dgesdd, divide and
/// conquer), with k = min(m, n).
///
/// `u` is m × k with orthonormal columns, `singularValues` are σ₁ ≥ σ₂ ≥ … ≥ σ_k ≥ 0, and `vt` is
/// k × n with orthonormal rows: the `full_matrices=False` output `U, s, Vh` of `numpy.linalg.svd`.
/// Singular vectors are unique only up to sign (and up to rotation within repeated singular values).
///
/// Cost: O(m n k) flops (≈ 4mnk + 8k³ with vectors), O(k² + (m + n)k) memory.
/// Accuracy: backward stable; each σᵢ has absolute error O(ε σ₁).
/// Reference: Golub & Van Loan, *Matrix Computations*, 4th ed., §8.6; Gu & Eisenstat (1995),
/// "A divide-and-conquer algorithm for the bidiagonal SVD".
public struct SVD: Sendable {
    /// Left singular vectors, m × k (orthonormal columns).
    public let u: Matrix
    /// Singular values in descending order, k = min(m, n) of them.
    public let singularValues: Vector
    /// Right singular vectors transposed, k × n (orthonormal rows).
    public let vt: Matrix

    /// Decompose `a`.
    ///
    /// Cost: O(m n min(m, n)) flops.
    /// - Throws: `LinalgError.nonFinite` for NaN/∞ entries; `LinalgError.noConvergence` when LAPACK's
    ///   bidiagonal SVD fails to converge (info > 0; `iterations` is LAPACK's `info`, `residual` is +∞
    ///   because LAPACK reports none).
    public init(_ a: Matrix) throws {
        guard a.isFinite else { throw LinalgError.nonFinite(what: "matrix to decompose (SVD)") }
        let (m, n) = (a.rows, a.columns)
        let k = Swift.min(m, n)
        var work = a
        var s = [Double](repeating: 0, count: k)
        var u = Matrix(rows: m, columns: k)
        var vt = Matrix(rows: k, columns: n)
        if k > 0 {
            let info = work.withUnsafeMutableBufferPointer { ap in
                s.withUnsafeMutableBufferPointer { sp in
                    u.withUnsafeMutableBufferPointer { up in
                        vt.withUnsafeMutableBufferPointer { vp in
                            LAPACKE_dgesdd(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "S")), Int32(m), Int32(n),
                                           ap.baseAddress, Int32(m), sp.baseAddress, up.baseAddress, Int32(m),
                                           vp.baseAddress, Int32(k))
                        }
                    }
                }
            }
            precondition(info >= 0, "dgesdd argument error \(info)")
            if info > 0 {
                throw LinalgError.noConvergence(routine: "singular value decomposition (LAPACK dgesdd)",
                                                iterations: Int(info), residual: .infinity)
            }
        }
        self.u = u
        self.singularValues = Vector(s)
        self.vt = vt
    }

    /// The default relative cut-off `max(m, n) · ε` below which σᵢ/σ₁ counts as zero (the default of
    /// `numpy.linalg.matrix_rank` and of `scipy.linalg.pinv`).
    public var defaultRelativeTolerance: Double {
        Double(Swift.max(u.rows, vt.columns)) * Double.ulpOfOne
    }

    /// Numerical rank: the number of σᵢ > `relativeTolerance` · σ₁. O(k).
    /// `nil` uses `defaultRelativeTolerance`.
    public func rank(relativeTolerance: Double? = nil) -> Int {
        let cutoff = cutoff(relativeTolerance)
        return singularValues.reduce(0) { $0 + ($1 > cutoff ? 1 : 0) }
    }

    /// `U Σ Vᵀ`, which equals the decomposed matrix up to rounding. 2mnk flops.
    public func reconstructed() -> Matrix {
        var us = u
        scaleColumns(&us) { $0 }
        var a = Matrix(rows: u.rows, columns: vt.columns)
        BLAS.gemm(.none, .none, us, vt, &a)
        return a
    }

    /// The Moore–Penrose pseudo-inverse `A⁺ = V Σ⁺ Uᵀ` (n × m), where Σ⁺ inverts the σᵢ above
    /// `relativeTolerance` · σ₁ and zeroes the rest (`nil`: `defaultRelativeTolerance`).
    ///
    /// Cost: 2mnk flops. Prefer `solveLeastSquares` for applying A⁺ to a few vectors.
    public func pseudoInverse(relativeTolerance: Double? = nil) -> Matrix {
        let cutoff = cutoff(relativeTolerance)
        var us = u
        scaleColumns(&us) { $0 > cutoff ? 1 / $0 : 0 }
        var pinv = Matrix(rows: vt.columns, columns: u.rows)
        BLAS.gemm(.transpose, .transpose, vt, us, &pinv)
        return pinv
    }

    /// The minimum-norm least-squares solution `x = A⁺ b = V Σ⁺ Uᵀ b` of min ‖Ax − b‖₂ (with Σ⁺ as in
    /// `pseudoInverse`), like `numpy.linalg.lstsq`.
    ///
    /// Cost: 2(m + n)k flops per right-hand side. Components along singular values below the cut-off
    /// are dropped, which regularises rank-deficient or ill-conditioned problems.
    public func solveLeastSquares(_ b: Vector, relativeTolerance: Double? = nil) -> Vector {
        precondition(b.count == u.rows, "SVD.solveLeastSquares: \(b.count) elements, expected \(u.rows)")
        return Vector(solveLeastSquares(b.asColumn, relativeTolerance: relativeTolerance).storage)
    }

    /// `A⁺ B` for a matrix of right-hand sides (see the vector version). 2(m + n)k flops per column.
    public func solveLeastSquares(_ b: Matrix, relativeTolerance: Double? = nil) -> Matrix {
        precondition(b.rows == u.rows, "SVD.solveLeastSquares: \(b.rows) rows, expected \(u.rows)")
        let cutoff = cutoff(relativeTolerance)
        let k = singularValues.count
        var t = Matrix(rows: k, columns: b.columns)
        BLAS.gemm(.transpose, .none, u, b, &t)
        t.withUnsafeMutableBufferPointer { p in
            for j in 0..<b.columns {
                for i in 0..<k {
                    let s = singularValues[i]
                    p[i + j * k] = s > cutoff ? p[i + j * k] / s : 0
                }
            }
        }
        var x = Matrix(rows: vt.columns, columns: b.columns)
        BLAS.gemm(.transpose, .none, vt, t, &x)
        return x
    }

    private func cutoff(_ relativeTolerance: Double?) -> Double {
        let rtol = relativeTolerance ?? defaultRelativeTolerance
        precondition(rtol >= 0, "SVD: relative tolerance must be non-negative")
        return rtol * (singularValues.first ?? 0)
    }

    /// Multiply column j of `m` (which has k columns) by `f(σⱼ)`.
    private func scaleColumns(_ m: inout Matrix, _ f: (Double) -> Double) {
        let r = m.rows
        let sv = singularValues
        m.withUnsafeMutableBufferPointer { p in
            for j in 0..<sv.count {
                let c = f(sv[j])
                for i in 0..<r { p[i + j * r] *= c }
            }
        }
    }
}
