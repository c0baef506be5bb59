import CBLAS

/// Level-1/2/3 BLAS on `Matrix` and `Vector`, through OpenBLAS's CBLAS (column-major, no copies).
///
/// Every routine states its FLOP count; all are memory-safe wrappers whose only preconditions are
/// shape agreement (a programmer error).
public enum BLAS {
    /// Whether an operand enters a product as itself or transposed.
    public enum Transpose: Sendable { case none, transpose
        var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
    }
    /// Which triangle of a symmetric / triangular matrix is referenced.
    public enum Triangle: Sendable { case lower, upper
        var cblas: CBLAS_UPLO { self == .lower ? CblasLower : CblasUpper }
        var lapack: Int8 { self == .lower ? Int8(UInt8(ascii: "L")) : Int8(UInt8(ascii: "U")) }
    }

    /// Set the number of OpenBLAS threads for this process (the CLI's `--threads`).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }

    /// ‖x‖₂ with scaling against overflow (dnrm2). O(n).
    public static func nrm2(_ x: Vector) -> Double {
        x.elements.withUnsafeBufferPointer { cblas_dnrm2(Int32(x.count), $0.baseAddress, 1) }
    }

    /// xᵀy (ddot). O(n).
    public static func dot(_ x: Vector, _ y: Vector) -> Double {
        precondition(x.count == y.count, "dot: length mismatch")
        return x.elements.withUnsafeBufferPointer { xp in
            y.elements.withUnsafeBufferPointer { yp in
                cblas_ddot(Int32(x.count), xp.baseAddress, 1, yp.baseAddress, 1)
            }
        }
    }

    /// y ← αx + y (daxpy). O(n).
    public static func axpy(_ alpha: Double, _ x: Vector, _ y: inout Vector) {
        precondition(x.count == y.count, "axpy: length mismatch")
        let n = Int32(x.count)
        x.elements.withUnsafeBufferPointer { xp in
            y.elements.withUnsafeMutableBufferPointer { yp in
                cblas_daxpy(n, alpha, xp.baseAddress, 1, yp.baseAddress, 1)
            }
        }
    }

    /// y ← α op(A) x + β y (dgemv). 2·m·n flops.
    public static func gemv(_ trans: Transpose = .none, alpha: Double = 1, _ a: Matrix, _ x: Vector,
                            beta: Double = 0, _ y: inout Vector) {
        let (m, n) = trans == .none ? (a.rows, a.columns) : (a.columns, a.rows)
        precondition(x.count == n && y.count == m, "gemv: shape mismatch")
        guard a.rows > 0 && a.columns > 0 else {
            for i in y.indices { y[i] *= beta }
            return
        }
        a.withUnsafeBufferPointer { ap in
            x.elements.withUnsafeBufferPointer { xp in
                y.elements.withUnsafeMutableBufferPointer { yp in
                    cblas_dgemv(CblasColMajor, trans.cblas, Int32(a.rows), Int32(a.columns), alpha,
                                ap.baseAddress, Int32(max(1, a.rows)), xp.baseAddress, 1, beta, yp.baseAddress, 1)
                }
            }
        }
    }

    /// op(A) x as a new vector. 2·m·n flops.
    public static func matvec(_ a: Matrix, _ x: Vector, _ trans: Transpose = .none) -> Vector {
        var y = Vector.zeros(trans == .none ? a.rows : a.columns)
        gemv(trans, a, x, &y)
        return y
    }

    /// C ← α op(A) op(B) + β C (dgemm). 2·m·n·k flops.
    public static func gemm(_ ta: Transpose = .none, _ tb: Transpose = .none, alpha: Double = 1,
                            _ a: Matrix, _ b: Matrix, beta: Double = 0, _ c: inout Matrix) {
        let (m, k) = ta == .none ? (a.rows, a.columns) : (a.columns, a.rows)
        let (kb, n) = tb == .none ? (b.rows, b.columns) : (b.columns, b.rows)
        precondition(k == kb && c.rows == m && c.columns == n, "gemm: shape mismatch")
        guard m > 0 && n > 0 else { return }
        guard k > 0 else {
            for i in c.storage.indices { c.storage[i] *= beta }
            return
        }
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    cblas_dgemm(CblasColMajor, ta.cblas, tb.cblas, Int32(m), Int32(n), Int32(k), alpha,
                                ap.baseAddress, Int32(max(1, a.rows)), bp.baseAddress, Int32(max(1, b.rows)),
                                beta, cp.baseAddress, Int32(max(1, m)))
                }
            }
        }
    }

    /// op(A) op(B) as a new matrix. 2·m·n·k flops.
    public static func matmul(_ a: Matrix, _ b: Matrix, _ ta: Transpose = .none,
                              _ tb: Transpose = .none) -> Matrix {
        var c = Matrix(rows: ta == .none ? a.rows : a.columns, columns: tb == .none ? b.columns : b.rows)
        gemm(ta, tb, a, b, &c)
        return c
    }

    /// C ← α A Aᵀ + β C (trans = .none) or α AᵀA + β C (trans = .transpose), filling only
    /// `triangle` of C (dsyrk). n²·k flops, half of the equivalent gemm. Call
    /// `symmetrizeFromLower/Upper` if the full matrix is needed.
    public static func syrk(_ triangle: Triangle = .lower, _ trans: Transpose = .none, alpha: Double = 1,
                            _ a: Matrix, beta: Double = 0, _ c: inout Matrix) {
        let (n, k) = trans == .none ? (a.rows, a.columns) : (a.columns, a.rows)
        precondition(c.rows == n && c.columns == n, "syrk: shape mismatch")
        guard n > 0 else { return }
        a.withUnsafeBufferPointer { ap in
            c.withUnsafeMutableBufferPointer { cp in
                cblas_dsyrk(CblasColMajor, triangle.cblas, trans.cblas, Int32(n), Int32(k), alpha,
                            ap.baseAddress, Int32(max(1, a.rows)), beta, cp.baseAddress, Int32(max(1, n)))
            }
        }
    }

    /// The Gram matrix A Aᵀ (full, symmetric) through syrk. n²·k flops.
    public static func gram(_ a: Matrix) -> Matrix {
        var c = Matrix(rows: a.rows, columns: a.rows)
        syrk(.lower, .none, a, &c)
        c.symmetrizeFromLower()
        return c
    }

    /// B ← α op(A)⁻¹ B (side = left) or α B op(A)⁻¹ (side = right) for triangular A (dtrsm).
    /// n²·m flops. `unitDiagonal` treats A's diagonal as ones.
    public static func trsm(left: Bool = true, _ triangle: Triangle, _ trans: Transpose = .none,
                            unitDiagonal: Bool = false, alpha: Double = 1, _ a: Matrix, _ b: inout Matrix) {
        precondition(a.isSquare && a.rows == (left ? b.rows : b.columns), "trsm: shape mismatch")
        let (m, n) = (b.rows, b.columns)
        guard m > 0 && n > 0 else { return }
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeMutableBufferPointer { bp in
                cblas_dtrsm(CblasColMajor, left ? CblasLeft : CblasRight, triangle.cblas, trans.cblas,
                            unitDiagonal ? CblasUnit : CblasNonUnit, Int32(m), Int32(n), alpha,
                            ap.baseAddress, Int32(max(1, a.rows)), bp.baseAddress, Int32(max(1, m)))
            }
        }
    }

    /// x ← op(A)⁻¹ x for triangular A (dtrsv). n² flops.
    public static func trsv(_ triangle: Triangle, _ trans: Transpose = .none, unitDiagonal: Bool = false,
                            _ a: Matrix, _ x: inout Vector) {
        precondition(a.isSquare && a.rows == x.count, "trsv: shape mismatch")
        guard x.count > 0 else { return }
        a.withUnsafeBufferPointer { ap in
            x.elements.withUnsafeMutableBufferPointer { xp in
                cblas_dtrsv(CblasColMajor, triangle.cblas, trans.cblas, unitDiagonal ? CblasUnit : CblasNonUnit,
                            Int32(a.rows), ap.baseAddress, Int32(max(1, a.rows)), xp.baseAddress, 1)
            }
        }
    }
}

extension Matrix {
    /// Matrix product `A B` (dgemm).
    public static func * (a: Matrix, b: Matrix) -> Matrix { BLAS.matmul(a, b) }
    /// Matrix-vector product `A x` (dgemv).
    public static func * (a: Matrix, x: Vector) -> Vector { BLAS.matvec(a, x) }
}
