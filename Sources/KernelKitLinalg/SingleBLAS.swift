import CBLAS

/// A dense, column-major matrix of `Float` (single precision), for the few hot paths where Float32
/// has been measured to be accurate enough and twice as fast as Float64 (e.g. transformer inference
/// in KernelKitPFN). Everything else in KernelKit is Float64 (`Matrix`).
///
/// Element `(i, j)` is stored at `storage[i + j * rows]`, as in `Matrix`, so a block of whole columns
/// is contiguous and blocks are handed to BLAS (`BLAS.sgemm`) without copies through
/// ``FloatMatrix/Block``. Value semantics (copy on write) come from the array.
///
/// Numerical caveat: Float32 has a unit roundoff of 2⁻²⁴ ≈ 6·10⁻⁸; a dot product of length k carries a
/// relative error of up to ≈ k·6·10⁻⁸ of the sum of absolute products. Do not use it for kernel
/// matrices that must stay positive definite.
public struct FloatMatrix: Sendable, Equatable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// Elements in column-major order; the count must stay `rows * columns`.
    public var storage: [Float]

    /// A `rows × columns` matrix with every element equal to `value`. O(rows·columns).
    public init(rows: Int, columns: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && columns >= 0, "FloatMatrix dimensions must be non-negative")
        self.rows = rows
        self.columns = columns
        self.storage = [Float](repeating: value, count: rows * columns)
    }

    /// A matrix from elements already in column-major order.
    public init(rows: Int, columns: Int, columnMajor elements: [Float]) {
        precondition(rows >= 0 && columns >= 0 && elements.count == rows * columns,
                     "FloatMatrix(rows:columns:columnMajor:) needs rows*columns elements")
        self.rows = rows
        self.columns = columns
        self.storage = elements
    }

    /// The Float64 matrix rounded to the nearest Float (round-to-nearest-even; values beyond
    /// ±3.4·10³⁸ become ±∞). O(rows·columns).
    public init(_ m: Matrix) {
        self.init(rows: m.rows, columns: m.columns, columnMajor: m.storage.map { Float($0) })
    }

    /// The exact Float64 image of this matrix. O(rows·columns).
    public var doubleMatrix: Matrix {
        Matrix(rows: rows, columns: columns, columnMajor: storage.map { Double($0) })
    }

    /// Element (i, j). O(1).
    public subscript(i: Int, j: Int) -> Float {
        get { storage[i + j * rows] }
        set { storage[i + j * rows] = newValue }
    }

    /// A rectangular block `A[rows, columns]` of a matrix, used to pass sub-matrices to
    /// ``BLAS/sgemm(_:_:alpha:_:_:_:_:beta:_:_:)`` without copying (the block keeps the parent's
    /// leading dimension).
    public struct Block: Sendable, Equatable {
        /// Row range inside the parent.
        public var rows: Range<Int>
        /// Column range inside the parent.
        public var columns: Range<Int>
        /// The block of the given rows and columns.
        public init(rows: Range<Int>, columns: Range<Int>) {
            self.rows = rows
            self.columns = columns
        }
    }

    /// The block of all rows and all columns.
    public var whole: Block { Block(rows: 0..<rows, columns: 0..<columns) }

    func checked(_ block: Block) -> Block {
        precondition(block.rows.lowerBound >= 0 && block.rows.upperBound <= rows
                     && block.columns.lowerBound >= 0 && block.columns.upperBound <= columns,
                     "FloatMatrix.Block out of range")
        return block
    }
}

extension BLAS {
    /// C ← α op(A) op(B) + β C in single precision (OpenBLAS sgemm). With β = 0 the previous contents
    /// of C are ignored. 2·m·n·k flops. Precondition (programmer error): the shapes agree.
    public static func sgemm(_ ta: Transpose, _ tb: Transpose, alpha: Float = 1,
                             _ a: FloatMatrix, _ b: FloatMatrix, beta: Float = 0, _ c: inout FloatMatrix) {
        sgemm(ta, tb, alpha: alpha, a, a.whole, b, b.whole, beta: beta, &c, c.whole)
    }

    /// C[cb] ← α op(A[ab]) op(B[bb]) + β C[cb] in single precision (OpenBLAS sgemm), where each
    /// operand is the given block of its matrix. The blocks are passed
    /// with their parent's leading dimension, so no element is copied. With β = 0 the previous
    /// contents of C[cb] are ignored (BLAS semantics: NaNs in C do not propagate).
    ///
    /// 2·m·n·k flops for an m × k by k × n product. Single precision: see ``FloatMatrix`` for the
    /// rounding error. Precondition (programmer error): the block shapes agree.
    public static func sgemm(_ ta: Transpose, _ tb: Transpose, alpha: Float = 1,
                             _ a: FloatMatrix, _ ab: FloatMatrix.Block,
                             _ b: FloatMatrix, _ bb: FloatMatrix.Block,
                             beta: Float = 0, _ c: inout FloatMatrix, _ cb: FloatMatrix.Block) {
        let ablock = a.checked(ab), bblock = b.checked(bb), cblock = c.checked(cb)
        let (m, k) = ta == .none ? (ablock.rows.count, ablock.columns.count) : (ablock.columns.count, ablock.rows.count)
        let (kb, n) = tb == .none ? (bblock.rows.count, bblock.columns.count) : (bblock.columns.count, bblock.rows.count)
        precondition(k == kb && cblock.rows.count == m && cblock.columns.count == n, "sgemm: shape mismatch")
        guard m > 0 && n > 0 else { return }
        let ldc = max(1, c.rows)
        let cOffset = cblock.rows.lowerBound + cblock.columns.lowerBound * c.rows
        guard k > 0 else {
            for j in 0..<n {
                for i in 0..<m { c.storage[cOffset + i + j * c.rows] *= beta }
            }
            return
        }
        let aOffset = ablock.rows.lowerBound + ablock.columns.lowerBound * a.rows
        let bOffset = bblock.rows.lowerBound + bblock.columns.lowerBound * b.rows
        a.storage.withUnsafeBufferPointer { ap in
            b.storage.withUnsafeBufferPointer { bp in
                c.storage.withUnsafeMutableBufferPointer { cp in
                    cblas_sgemm(CblasColMajor, ta.cblas, tb.cblas, Int32(m), Int32(n), Int32(k), alpha,
                                ap.baseAddress! + aOffset, Int32(max(1, a.rows)),
                                bp.baseAddress! + bOffset, Int32(max(1, b.rows)),
                                beta, cp.baseAddress! + cOffset, Int32(ldc))
                }
            }
        }
    }
}

// MARK: Column-wise kernels for single-precision network inference

extension FloatMatrix {
    /// Sets every column to `values` (broadcast; `values.count == rows`). O(rows·columns).
    public mutating func setEachColumn(to values: [Float]) {
        precondition(values.count == rows, "setEachColumn: \(values.count) values for \(rows) rows")
        let r = rows
        values.withUnsafeBufferPointer { v in
            storage.withUnsafeMutableBufferPointer { s in
                for j in 0..<columns {
                    (s.baseAddress! + j * r).update(from: v.baseAddress!, count: r)
                }
            }
        }
    }

    /// Adds `values` to every column (broadcast; `values.count == rows`). O(rows·columns).
    public mutating func addToEachColumn(_ values: [Float]) {
        precondition(values.count == rows, "addToEachColumn: \(values.count) values for \(rows) rows")
        let r = rows
        values.withUnsafeBufferPointer { v in
            storage.withUnsafeMutableBufferPointer { s in
                for j in 0..<columns {
                    let c = s.baseAddress! + j * r
                    for i in 0..<r { c[i] += v[i] }
                }
            }
        }
    }

    /// Layer normalisation of every column (Ba, Kiros & Hinton 2016):
    /// out[:, j] = γ ⊙ (x_j − μ_j)/√(σ²_j + ε) + β with μ_j, σ²_j the mean and (biased) variance of
    /// column j. `out` must have this matrix's shape. Two passes per column (no cancellation from
    /// E[x²] − E[x]²). O(rows·columns).
    public func normalizeColumns(gain: [Float], bias: [Float], epsilon: Float, into out: inout FloatMatrix) {
        precondition(gain.count == rows && bias.count == rows && out.rows == rows && out.columns == columns,
                     "normalizeColumns: shape mismatch")
        let d = rows
        let inverseD = 1 / Float(d)
        storage.withUnsafeBufferPointer { x in
            out.storage.withUnsafeMutableBufferPointer { o in
                gain.withUnsafeBufferPointer { g in
                    bias.withUnsafeBufferPointer { b in
                        for j in 0..<columns {
                            let xc = x.baseAddress! + j * d, oc = o.baseAddress! + j * d
                            let mean = FloatMatrix.sum(xc, d) * inverseD
                            for i in 0..<d { oc[i] = xc[i] - mean }
                            let variance = FloatMatrix.sumOfSquares(oc, d) * inverseD
                            let r = 1 / (variance + epsilon).squareRoot()
                            for i in 0..<d { oc[i] = g[i] * (oc[i] * r) + b[i] }
                        }
                    }
                }
            }
        }
    }

    /// GELU in place, z ← z Φ(z) = ½ z (1 + erf(z/√2)) (Hendrycks & Gimpel 2016), with erf by
    /// Abramowitz & Stegun 7.1.28: erf(u) = 1 − (1 + a₁u + … + a₆u⁶)⁻¹⁶ for u ≥ 0 (absolute error
    /// ≤ 3·10⁻⁷), odd extension. Branch-free, so the loop vectorises. O(rows·columns).
    public mutating func applyGELU() {
        let a1: Float = 0.070_523_078_4, a2: Float = 0.042_282_012_3, a3: Float = 0.009_270_527_2
        let a4: Float = 0.000_152_014_3, a5: Float = 0.000_276_567_2, a6: Float = 0.000_043_063_8
        let invSqrt2: Float = 0.707_106_781_2
        storage.withUnsafeMutableBufferPointer { z in
            for i in 0..<z.count {
                let v = z[i]
                let u = Swift.min(Swift.abs(v) * invSqrt2, 6)
                var s = a6 * u + a5
                s = s * u + a4
                s = s * u + a3
                s = s * u + a2
                s = s * u + a1
                s = s * u + 1
                s = s * s; s = s * s; s = s * s; s = s * s
                let erfAbs = 1 - 1 / s
                // ½ z (1 + sign(z) erf|z|) = ½ (z + |z| erf|z|).
                z[i] = 0.5 * (v + Swift.abs(v) * erfAbs)
            }
        }
    }

    /// Softmax of every column of the block: for each column j in `block.columns`,
    /// A[i, j] ← e^{A[i, j] − m_j} / Σ_i e^{A[i, j] − m_j} over i in `block.rows`, m_j the column
    /// maximum. The entries must be finite. exp by ``FloatMatrix/exp(_:)`` (relative error
    /// ≤ 4·10⁻⁷ per term). O(|rows|·|columns|).
    public mutating func softmaxColumns(_ block: Block) {
        let b = checked(block)
        let ld = rows, n = b.rows.count
        guard n > 0 else { return }
        storage.withUnsafeMutableBufferPointer { s in
            for j in b.columns {
                let c = s.baseAddress! + b.rows.lowerBound + j * ld
                let top = FloatMatrix.maximum(c, n)
                for i in 0..<n { c[i] = FloatMatrix.exp(c[i] - top) }
                let sum = FloatMatrix.sum(c, n)
                let inverse = 1 / sum
                for i in 0..<n { c[i] *= inverse }
            }
        }
    }

    /// e^x for x ≤ 0 in single precision, without libm (vectorisable): x = n ln2 + r with
    /// |r| ≤ ln2/2 (Cody–Waite split of ln2), e^r by its degree-6 Taylor polynomial (truncation
    /// < 2·10⁻⁷ relative), 2ⁿ through the exponent bits. Arguments below −87 (including −∞) return
    /// 2⁻¹²⁶·e^r ≈ 10⁻³⁸, i.e. 0 for a softmax. Relative error ≤ 4·10⁻⁷ on [−87, 0].
    @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let xc = x > -87 ? x : -87
        // Adding 1.5·2²³ rounds x·log₂e to an integer n, which then sits in the low mantissa bits.
        let shifter: Float = 12_582_912
        let t = xc * 1.442_695_04 + shifter
        let n = t - shifter
        let r = (xc - n * 0.693_145_75) - n * 1.428_606_8e-6
        var p: Float = 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let k = t.bitPattern &- shifter.bitPattern  // n as a wrapped UInt32, −126 ≤ n ≤ 0
        return p * Float(bitPattern: (k &+ 127) << 23)
    }

    /// Σ p[0..<n] with eight interleaved partial sums (vectorisable; a different summation order
    /// from a left-to-right loop, same error bound).
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var s = acc.sum()
        while i < n { s += p[i]; i += 1 }
        return s
    }

    /// Σ p[i]² over 0..<n, as ``sum(_:_:)``.
    @inline(__always)
    static func sumOfSquares(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            acc += v * v
            i += 8
        }
        var s = acc.sum()
        while i < n { s += p[i] * p[i]; i += 1 }
        return s
    }

    /// max p[0..<n] (n ≥ 1; NaN-free input). A scalar loop: softmax columns are short (tens of
    /// entries), where it beats a SIMD reduction.
    @inline(__always)
    static func maximum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var top = p[0]
        for i in 1..<Swift.max(1, n) { top = p[i] > top ? p[i] : top }
        return top
    }
}
