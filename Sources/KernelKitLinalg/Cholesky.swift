import CLAPACKE
import Foundation

/// How much diagonal jitter a Cholesky factorisation may add before it gives up.
///
/// Kernel matrices are positive semi-definite in exact arithmetic but often numerically singular
/// (smooth kernels, duplicated inputs). The policy first tries the matrix as given; on failure it
/// adds `initial · mean(diag A)` to the diagonal and multiplies the jitter by `growth` for each
/// further attempt, up to `maxAttempts` attempts with jitter. If the last attempt fails it throws
/// `LinalgError.notPositiveDefinite`. The jitter used is reported, so callers can surface it.
/// (GPyTorch's `psd_safe_cholesky` uses the same escalation with 1e-6, 1e-5, 1e-4 relative jitter.)
public struct JitterPolicy: Sendable, Equatable {
    /// First jitter, relative to the mean diagonal element.
    public var initial: Double
    /// Factor by which the jitter grows between attempts.
    public var growth: Double
    /// Attempts with jitter after the jitter-free one (0 means: never add jitter).
    public var maxAttempts: Int

    /// A policy with the given first relative jitter, growth factor and number of jittered attempts.
    public init(initial: Double = 1e-10, growth: Double = 10, maxAttempts: Int = 5) {
        precondition(initial > 0 && growth > 1 && maxAttempts >= 0)
        self.initial = initial
        self.growth = growth
        self.maxAttempts = maxAttempts
    }

    /// 1e-10 relative, ×10 per attempt, 5 attempts (at most 1e-6 · mean diagonal).
    public static let `default` = JitterPolicy()
    /// Never add jitter: fail on the first non-positive pivot.
    public static let none = JitterPolicy(initial: 1, growth: 2, maxAttempts: 0)
}

/// Cholesky factorisation `A + jitter·I = L Lᵀ` of a symmetric positive-definite matrix (LAPACK dpotrf).
///
/// Cost: n³/3 flops to factor, 2n² per solved right-hand side. Only the lower triangle of `A`
/// is read. Solves use dpotrs; the log-determinant is `2 Σ log Lᵢᵢ`.
public struct Cholesky: Sendable {
    /// The lower-triangular factor L (its strict upper triangle is zero).
    public let lower: Matrix
    /// Diagonal jitter that was added to make the factorisation succeed (0 if none was needed).
    public let jitter: Double

    /// Factor `a` (square, symmetric; lower triangle used), escalating jitter per `policy`.
    /// - Throws: `LinalgError.nonFinite` for NaN/∞ entries, `LinalgError.notPositiveDefinite` when every
    ///   attempt fails.
    public init(_ a: Matrix, jitter policy: JitterPolicy = .default) throws {
        precondition(a.isSquare, "Cholesky needs a square matrix, got \(a.rows)×\(a.columns)")
        guard a.isFinite else { throw LinalgError.nonFinite(what: "matrix to factor") }
        let n = a.rows
        let meanDiag = n > 0 ? abs(a.trace) / Double(n) : 0
        let scale = meanDiag > 0 ? meanDiag : 1
        var jitter = 0.0
        var attempt = 0
        var lastInfo: Int32 = 0
        while true {
            var l = a
            if jitter > 0 { l.addToDiagonal(jitter) }
            let info = l.withUnsafeMutableBufferPointer { p in
                LAPACKE_dpotrf(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), p.baseAddress, Int32(max(1, n)))
            }
            if info == 0 {
                // Zero the strict upper triangle so `lower` is exactly L.
                l.withUnsafeMutableBufferPointer { p in
                    for j in 0..<n { for i in 0..<j { p[i + j * n] = 0 } }
                }
                self.lower = l
                self.jitter = jitter
                return
            }
            precondition(info > 0, "dpotrf argument error \(info)")
            lastInfo = info
            guard attempt < policy.maxAttempts else { break }
            jitter = attempt == 0 ? policy.initial * scale : jitter * policy.growth
            attempt += 1
        }
        throw LinalgError.notPositiveDefinite(order: Int(lastInfo), jitter: jitter)
    }

    /// Dimension n.
    public var count: Int { lower.rows }

    /// log det(A + jitter·I) = 2 Σ log Lᵢᵢ. O(n).
    public var logDeterminant: Double {
        var s = 0.0
        for i in 0..<count { s += log(lower[i, i]) }
        return 2 * s
    }

    /// Solve (A + jitter·I) X = B for a matrix of right-hand sides (dpotrs). 2n²·k flops.
    public func solve(_ b: Matrix) -> Matrix {
        precondition(b.rows == count, "Cholesky.solve: \(b.rows) rows, expected \(count)")
        var x = b
        let (n, k) = (b.rows, b.columns)
        guard n > 0 && k > 0 else { return x }
        lower.withUnsafeBufferPointer { lp in
            x.withUnsafeMutableBufferPointer { xp in
                _ = LAPACKE_dpotrs(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), Int32(k),
                                   lp.baseAddress, Int32(n), xp.baseAddress, Int32(n))
            }
        }
        return x
    }

    /// Solve (A + jitter·I) x = b. 2n² flops.
    public func solve(_ b: Vector) -> Vector {
        Vector(solve(b.asColumn).storage)
    }

    /// L⁻¹ B (forward substitution, dtrsm): whitening, e.g. the predictive variance term ‖L⁻¹k*‖².
    public func solveLower(_ b: Matrix) -> Matrix {
        var x = b
        BLAS.trsm(.lower, .none, lower, &x)
        return x
    }

    /// L⁻¹ b.
    public func solveLower(_ b: Vector) -> Vector {
        var x = b
        BLAS.trsv(.lower, .none, lower, &x)
        return x
    }

    /// (A + jitter·I)⁻¹ as a full symmetric matrix (dpotri). n³ flops; prefer `solve` when possible.
    public func inverse() -> Matrix {
        var inv = lower
        let n = count
        guard n > 0 else { return inv }
        inv.withUnsafeMutableBufferPointer { p in
            _ = LAPACKE_dpotri(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int32(n), p.baseAddress, Int32(n))
        }
        inv.symmetrizeFromLower()
        return inv
    }
}
