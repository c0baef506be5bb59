import CBLAS
import CVecMath

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
        let count = storage.count
        let converted = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            storage.withUnsafeBufferPointer { source in
                for i in 0..<count { buffer[i] = Double(source[i]) }
            }
            initialized = count
        }
        return Matrix(rows: rows, columns: columns, columnMajor: converted)
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
    /// Sets every column to `values` (broadcast; `values.count == rows`). O(rows·columns), in C
    /// (AVX2 stores when available, see ``columnKernelsUseAVX2``; the result is exact either way).
    public mutating func setEachColumn(to values: [Float]) {
        precondition(values.count == rows, "setEachColumn: \(values.count) values for \(rows) rows")
        let r = rows, c = columns
        values.withUnsafeBufferPointer { v in
            storage.withUnsafeMutableBufferPointer { s in
                kk_f32_set_columns(r, c, v.baseAddress, s.baseAddress, 1)
            }
        }
    }

    /// Whether the column kernels below (``addToEachColumn(_:)``, ``normalizeColumns(gain:bias:epsilon:into:)``,
    /// ``applyGELU()``, ``softmaxColumns(_:)``) run their 8-lane AVX2/FMA versions on this CPU (chosen
    /// at run time in CVecMath's vecmath_f32.c; otherwise portable C loops with the same recipe, which
    /// differ only by Float rounding).
    public static var columnKernelsUseAVX2: Bool { kk_f32_uses_avx2() != 0 }

    /// Adds `values` to every column (broadcast; `values.count == rows`). O(rows·columns).
    public mutating func addToEachColumn(_ values: [Float]) {
        addToEachColumn(values, vectorized: true)
    }

    /// ``addToEachColumn(_:)`` with the AVX2 path allowed (`vectorized`) or forced off (the portable C loop).
    mutating func addToEachColumn(_ values: [Float], vectorized: Bool) {
        precondition(values.count == rows, "addToEachColumn: \(values.count) values for \(rows) rows")
        let r = rows, c = columns
        values.withUnsafeBufferPointer { v in
            storage.withUnsafeMutableBufferPointer { s in
                kk_f32_add_to_columns(r, c, v.baseAddress, s.baseAddress, vectorized ? 1 : 0)
            }
        }
    }

    /// Layer normalisation of every column (Ba, Kiros & Hinton 2016):
    /// out[:, j] = γ ⊙ (x_j − μ_j)/√(σ²_j + ε) + β with μ_j, σ²_j the mean and (biased) variance of
    /// column j. `out` must have this matrix's shape. Two passes per column (no cancellation from
    /// E[x²] − E[x]²). Single-precision sums of `rows` terms: absolute error ≈ rows·6·10⁻⁸ relative to
    /// the column's scale. O(rows·columns), in C (AVX2/FMA when available, see ``columnKernelsUseAVX2``).
    public func normalizeColumns(gain: [Float], bias: [Float], epsilon: Float, into out: inout FloatMatrix) {
        normalizeColumns(gain: gain, bias: bias, epsilon: epsilon, into: &out, vectorized: true)
    }

    /// ``normalizeColumns(gain:bias:epsilon:into:)`` with the AVX2 path allowed or forced off.
    func normalizeColumns(gain: [Float], bias: [Float], epsilon: Float, into out: inout FloatMatrix, vectorized: Bool) {
        precondition(gain.count == rows && bias.count == rows && out.rows == rows && out.columns == columns,
                     "normalizeColumns: shape mismatch")
        let d = rows, c = columns
        storage.withUnsafeBufferPointer { x in
            out.storage.withUnsafeMutableBufferPointer { o in
                gain.withUnsafeBufferPointer { g in
                    bias.withUnsafeBufferPointer { b in
                        kk_f32_layer_norm_columns(d, c, x.baseAddress, g.baseAddress, b.baseAddress, epsilon,
                                                  o.baseAddress, vectorized ? 1 : 0)
                    }
                }
            }
        }
    }

    /// GELU in place, z ← z Φ(z) = ½ z (1 + erf(z/√2)) (Hendrycks & Gimpel 2016), with erf by
    /// Abramowitz & Stegun 7.1.28: erf(u) = 1 − (1 + a₁u + … + a₆u⁶)⁻¹⁶ for u ≥ 0 (absolute error
    /// ≤ 3·10⁻⁷), odd extension, as ½ (z + |z| erf|z/√2|). O(rows·columns), in C (AVX2/FMA when
    /// available, see ``columnKernelsUseAVX2``).
    public mutating func applyGELU() {
        applyGELU(vectorized: true)
    }

    /// ``applyGELU()`` with the AVX2 path allowed or forced off.
    mutating func applyGELU(vectorized: Bool) {
        storage.withUnsafeMutableBufferPointer { z in
            kk_f32_gelu(z.count, z.baseAddress, vectorized ? 1 : 0)
        }
    }

    /// Softmax of every column of the block: for each column j in `block.columns`,
    /// A[i, j] ← e^{A[i, j] − m_j} / Σ_i e^{A[i, j] − m_j} over i in `block.rows`, m_j the column
    /// maximum. The entries must be finite. exp without libm: x = n ln2 + r, |r| ≤ ln2/2 (Cody–Waite
    /// split of ln2), e^r by its degree-6 Taylor polynomial, 2ⁿ through the exponent bits — relative
    /// error ≤ 4·10⁻⁷ on [−87, 0]; differences below −87 give ≈ 10⁻³⁸, i.e. 0. O(|rows|·|columns|),
    /// in C (AVX2/FMA when available, see ``columnKernelsUseAVX2``).
    public mutating func softmaxColumns(_ block: Block) {
        softmaxColumns(block, vectorized: true)
    }

    /// ``softmaxColumns(_:)`` with the AVX2 path allowed or forced off.
    mutating func softmaxColumns(_ block: Block, vectorized: Bool) {
        let b = checked(block)
        let ld = rows, n = b.rows.count, m = b.columns.count
        guard n > 0 && m > 0 else { return }
        let offset = b.rows.lowerBound + b.columns.lowerBound * ld
        storage.withUnsafeMutableBufferPointer { s in
            kk_f32_softmax_columns(n, m, ld, s.baseAddress! + offset, vectorized ? 1 : 0)
        }
    }
}

// MARK: Masked attention and column copies for single-precision transformer inference

extension FloatMatrix {
    /// Multi-head attention of one dataset with the mask of a prior-data fitted network (Müller et al.,
    /// "Transformers Can Do Bayesian Inference", ICLR 2022): of the dataset's tokens (columns
    /// `tokens` of this 3d × T matrix of stacked queries, keys and values, d = heads · d_h), the first
    /// `context` are context points, which attend to the context; the rest are queries, which attend
    /// to the context and to themselves (never to another query). For each token t of the dataset
    /// from position `first` on, column `outColumn + (t − first)` of `out` (d rows) receives, in head
    /// h's rows h·d_h ..< (h+1)·d_h,
    ///
    ///     Σ_j p_j v_j^(h),  p = softmax_j(q_t^(h)ᵀ k_j^(h) / √d_h)
    ///
    /// over the keys j that t attends to. One C call per dataset, all heads: per head and token the
    /// scores, a softmax with the
    /// softmax kernel's exp (relative error ≤ 4·10⁻⁷, see ``softmaxColumns(_:)``) and the weighted
    /// sum of the value columns, without intermediate matrices (AVX2/FMA when available, see
    /// ``columnKernelsUseAVX2``: eight tokens per vector, so the softmax needs no horizontal
    /// reductions). `scratch` is grown to 8·(2·d_h + context + 2) floats and may be reused across calls.
    ///
    /// Cost: 4·(n − first)·(context + 1)·d flops, n = `tokens.count`. Single-precision sums of d_h and
    /// `context` terms. Preconditions (programmer errors): rows = 3d, `context ≤ n`, `first ≤ n`, and
    /// the output block lies inside `out`.
    public func maskedAttention(heads: Int, tokens: Range<Int>, context: Int, from first: Int,
                                into out: inout FloatMatrix, atColumn outColumn: Int, scratch: inout [Float]) {
        maskedAttention(heads: heads, tokens: tokens, context: context, from: first, into: &out, atColumn: outColumn,
                        scratch: &scratch, vectorized: true)
    }

    /// ``maskedAttention(heads:tokens:context:from:into:atColumn:scratch:)`` with the AVX2 path allowed
    /// or forced off (the portable C loops, same recipe up to Float rounding).
    func maskedAttention(heads: Int, tokens: Range<Int>, context: Int, from first: Int, into out: inout FloatMatrix,
                         atColumn outColumn: Int, scratch: inout [Float], vectorized: Bool) {
        precondition(heads >= 1 && rows % (3 * heads) == 0, "maskedAttention: rows must be 3 · heads · d_h")
        let d = rows / 3, dh = d / heads, n = tokens.count
        precondition(tokens.lowerBound >= 0 && tokens.upperBound <= columns && context >= 0 && context <= n
                     && first >= 0 && first <= n,
                     "maskedAttention: token range, context or first out of range")
        precondition(out.rows == d && outColumn >= 0 && outColumn + (n - first) <= out.columns,
                     "maskedAttention: output block out of range")
        guard first < n && dh > 0 else { return }
        let needed = kk_f32_attention_scratch(context, dh)
        if scratch.count < needed { scratch = [Float](repeating: 0, count: needed) }
        let scale = 1 / Float(dh).squareRoot()
        let ld = rows, inputOffset = tokens.lowerBound * rows, outputOffset = outColumn * d
        storage.withUnsafeBufferPointer { qkv in
            out.storage.withUnsafeMutableBufferPointer { o in
                scratch.withUnsafeMutableBufferPointer { s in
                    kk_f32_masked_attention(heads, dh, context, n, first, scale, qkv.baseAddress! + inputOffset, ld,
                                            o.baseAddress! + outputOffset, d, s.baseAddress, vectorized ? 1 : 0)
                }
            }
        }
    }

    /// Copies columns `range` of `source` (which has this matrix's row count) into this matrix's
    /// columns `column ..< column + range.count`. O(rows · range.count), one contiguous copy.
    public mutating func copyColumns(_ range: Range<Int>, of source: FloatMatrix, to column: Int) {
        precondition(source.rows == rows && range.lowerBound >= 0 && range.upperBound <= source.columns
                     && column >= 0 && column + range.count <= columns, "copyColumns: shape mismatch")
        let r = rows
        guard r > 0 && !range.isEmpty else { return }
        source.storage.withUnsafeBufferPointer { s in
            storage.withUnsafeMutableBufferPointer { t in
                (t.baseAddress! + column * r).update(from: s.baseAddress! + range.lowerBound * r, count: range.count * r)
            }
        }
    }
}
