import CLAPACKE
import Foundation

/// LU factorisation with partial pivoting `P A = L U` of a square matrix (LAPACK dgetrf).
///
/// L is unit lower triangular, U upper triangular, P a permutation; both triangles are stored packed
/// in `factors` as LAPACK returns them (the unit diagonal of L is implicit), like `scipy.linalg.lu_factor`.
///
/// Cost: 2n³/3 flops to factor, 2n² per solved right-hand side. Accuracy: backward stable in practice
/// (growth factor ≤ 2ⁿ⁻¹ in theory, small for almost all matrices); the forward error of a solve is
/// about ε / `reciprocalConditionNumber`.
/// Reference: Golub & Van Loan, *Matrix Computations*, 4th ed., §3.2–3.4.
public struct LU: Sendable {
    /// L (strictly lower part, unit diagonal implicit) and U (upper part incl. diagonal), packed.
    public let factors: Matrix
    /// The row interchanges, 0-based as in `scipy.linalg.lu_factor`: for i = 0, 1, …, n−1 in turn, row i
    /// was interchanged with row `pivotRows[i]` (≥ i). P is the product of these transpositions.
    public var pivotRows: [Int] { pivots.map { Int($0) - 1 } }
    /// LAPACK's 1-based pivot indices, as dgetrs needs them.
    private let pivots: [Int32]
    /// ‖A‖₁ of the factored matrix, kept for the condition estimate.
    private let oneNorm: Double

    /// Factor the square matrix `a`.
    ///
    /// Cost: 2n³/3 flops.
    /// - Throws: `LinalgError.nonFinite` for NaN/∞ entries; `LinalgError.singular(pivot:)` when a pivot
    ///   of U is exactly zero (1-based index, LAPACK's `info`). A nearly singular matrix does not throw:
    ///   check `reciprocalConditionNumber` when that matters.
    public init(_ a: Matrix) throws {
        precondition(a.isSquare, "LU needs a square matrix, got \(a.rows)×\(a.columns)")
        guard a.isFinite else { throw LinalgError.nonFinite(what: "matrix to factor (LU)") }
        let n = a.rows
        var norm = 0.0
        a.withUnsafeBufferPointer { p in
            for j in 0..<n {
                var s = 0.0
                for i in 0..<n { s += abs(p[i + j * n]) }
                norm = Swift.max(norm, s)
            }
        }
        var lu = a
        var ipiv = [Int32](repeating: 0, count: n)
        if n > 0 {
            let info = lu.withUnsafeMutableBufferPointer { ap in
                ipiv.withUnsafeMutableBufferPointer { pp in
                    LAPACKE_dgetrf(LAPACK_COL_MAJOR, Int32(n), Int32(n), ap.baseAddress, Int32(n), pp.baseAddress)
                }
            }
            precondition(info >= 0, "dgetrf argument error \(info)")
            if info > 0 { throw LinalgError.singular(pivot: Int(info)) }
        }
        self.factors = lu
        self.pivots = ipiv
        self.oneNorm = norm
    }

    /// Dimension n.
    public var count: Int { factors.rows }

    /// The unit lower-triangular factor L (a copy). O(n²).
    public var lower: Matrix {
        Matrix(rows: count, columns: count) { i, j in i == j ? 1 : (i > j ? factors[i, j] : 0) }
    }

    /// The upper-triangular factor U (a copy). O(n²).
    public var upper: Matrix {
        Matrix(rows: count, columns: count) { i, j in i <= j ? factors[i, j] : 0 }
    }

    /// Solve `A X = B` (or `Aᵀ X = B` with `transpose`) for a matrix of right-hand sides (dgetrs).
    /// 2n²·k flops.
    public func solve(_ b: Matrix, transpose: Bool = false) -> Matrix {
        precondition(b.rows == count, "LU.solve: \(b.rows) rows, expected \(count)")
        var x = b
        let (n, k) = (b.rows, b.columns)
        guard n > 0 && k > 0 else { return x }
        factors.withUnsafeBufferPointer { ap in
            pivots.withUnsafeBufferPointer { pp in
                x.withUnsafeMutableBufferPointer { xp in
                    _ = LAPACKE_dgetrs(LAPACK_COL_MAJOR, Int8(UInt8(ascii: transpose ? "T" : "N")), Int32(n),
                                       Int32(k), ap.baseAddress, Int32(n), pp.baseAddress, xp.baseAddress, Int32(n))
                }
            }
        }
        return x
    }

    /// Solve `A x = b` (or `Aᵀ x = b` with `transpose`). 2n² flops.
    public func solve(_ b: Vector, transpose: Bool = false) -> Vector {
        Vector(solve(b.asColumn, transpose: transpose).storage)
    }

    /// det A = sign(P) · Π Uᵢᵢ. O(n). Overflows to ±∞ or underflows to 0 for large n even when the
    /// matrix is well conditioned: use `logAbsDeterminant` and `determinantSign` instead.
    public var determinant: Double {
        var d = determinantSign
        for i in 0..<count { d *= abs(factors[i, i]) }
        return d
    }

    /// log |det A| = Σ log |Uᵢᵢ| (the `logabsdet` of `numpy.linalg.slogdet`). O(n), no overflow.
    public var logAbsDeterminant: Double {
        var s = 0.0
        for i in 0..<count { s += log(abs(factors[i, i])) }
        return s
    }

    /// The sign of det A, ±1 (the `sign` of `numpy.linalg.slogdet`): (−1)^(number of row interchanges)
    /// times the signs of the Uᵢᵢ. O(n).
    public var determinantSign: Double {
        var sign = 1.0
        for i in 0..<count {
            if pivots[i] != Int32(i + 1) { sign = -sign }
            if factors[i, i] < 0 { sign = -sign }
        }
        return sign
    }

    /// An estimate of 1 / κ₁(A) = 1 / (‖A‖₁ ‖A⁻¹‖₁) from the factors (LAPACK dgecon, Hager–Higham
    /// estimator; usually within a factor 10 of the truth). O(n²). Near 0 (e.g. < ε) means A is
    /// numerically singular and solves are not to be trusted.
    public var reciprocalConditionNumber: Double {
        let n = count
        guard n > 0 else { return 1 }
        var rcond = 0.0
        let info = factors.withUnsafeBufferPointer { ap in
            LAPACKE_dgecon(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "1")), Int32(n), ap.baseAddress, Int32(n),
                           oneNorm, &rcond)
        }
        precondition(info >= 0, "dgecon argument error \(info)")
        return rcond
    }
}
