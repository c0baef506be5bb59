/// A circulant matrix `C[i, j] = c[(i − j) mod n]`, given by its first column `c`
/// (the convention of `scipy.linalg.circulant`).
///
/// `C` is diagonalised by the DFT: `C x = ifft(fft(c) ∘ fft(x))`, so a product costs O(n log n)
/// instead of O(n²). The real FFT of `c` is computed once, at construction.
///
/// Source: R. M. Gray, "Toeplitz and Circulant Matrices: A Review", Found. Trends Commun. Inf. Theory 2(3), 2006.
public struct CirculantMatrix: Sendable {
    /// The first column `c` (length n ≥ 1).
    public let firstColumn: [Double]
    private let spectrum: ComplexVector

    /// The n × n circulant with first column `firstColumn` (non-empty). O(n log n).
    public init(firstColumn: [Double]) {
        precondition(!firstColumn.isEmpty, "CirculantMatrix needs a non-empty first column")
        self.firstColumn = firstColumn
        self.spectrum = FFT.forwardReal(firstColumn)
    }

    /// Order n of the (square) matrix.
    public var size: Int { firstColumn.count }

    /// `y = C x` by FFT: `y = irfft(rfft(c) ∘ rfft(x))`. O(n log n); rounding error O(ε log n · ‖c‖₁‖x‖_∞).
    public func multiply(_ x: Vector) -> Vector {
        precondition(x.count == size, "CirculantMatrix.multiply: vector length \(x.count), matrix order \(size)")
        let product = spectrum.hadamard(FFT.forwardReal(x.elements))
        return Vector(FFT.inverseReal(product, count: size))
    }

    /// `C x`, the same as `multiply(x)`.
    public static func * (c: CirculantMatrix, x: Vector) -> Vector { c.multiply(x) }

    /// Eigenvalues `λ_k = Σ_j c_j e^{−2πi jk/n}` (the DFT of the first column), with eigenvectors
    /// the Fourier modes `v_k[j] = e^{2πi jk/n}`: `C v_k = λ_k v_k`. Real when `c` is symmetric
    /// (`c_j = c_{n−j}`), e.g. for a stationary kernel on a periodic grid, where
    /// `log det C = Σ_k log λ_k`. O(n log n).
    public var eigenvalues: ComplexVector { FFT.forward(ComplexVector(real: firstColumn)) }

    /// The explicit n × n matrix (for tests and small problems). O(n²) memory.
    public var dense: Matrix {
        let n = size
        return Matrix(rows: n, columns: n) { i, j in firstColumn[((i - j) % n + n) % n] }
    }
}

/// A (possibly rectangular) Toeplitz matrix `T[i, j] = c[i − j]` for i ≥ j and `r[j − i]` for
/// i < j, given by its first column `c` (length `rows`) and first row `r` (length `columns`); `r[0]`
/// is ignored in favour of `c[0]`, as in `scipy.linalg.toeplitz`.
///
/// Products use a circulant embedding: `T` is the leading `rows × columns` block of the circulant
/// of order `L ≥ rows + columns − 1` (rounded up to an FFT-friendly length) with first column
/// `[c₀ … c_{rows−1}, 0 … 0, r_{columns−1} … r₁]`, so `T x` is the head of that circulant applied
/// to `x` padded with zeros. Cost O(L log L) per product after an O(L log L) set-up, instead of
/// O(rows·columns). Stationary kernels on regular 1-D grids give symmetric Toeplitz Gram matrices.
///
/// Source: R. M. Gray, "Toeplitz and Circulant Matrices: A Review", 2006; G. H. Golub and
/// C. F. Van Loan, Matrix Computations, 4th ed., §4.7.
public struct ToeplitzMatrix: Sendable {
    /// First column `T[i, 0]`, length `rows`.
    public let firstColumn: [Double]
    /// First row `T[0, j]`, length `columns` (`firstRow[0]` is not used; `T[0, 0] = firstColumn[0]`).
    public let firstRow: [Double]
    private let embeddingLength: Int
    private let embeddingSpectrum: ComplexVector

    /// The `firstColumn.count × firstRow.count` Toeplitz matrix with the given first column and row
    /// (both non-empty). O(L log L) with L ≈ rows + columns.
    public init(firstColumn: [Double], firstRow: [Double]) {
        precondition(!firstColumn.isEmpty && !firstRow.isEmpty, "ToeplitzMatrix needs a non-empty first column and row")
        self.firstColumn = firstColumn
        self.firstRow = firstRow
        let m = firstColumn.count, n = firstRow.count
        let length = FFT.fastLength(atLeast: m + n - 1)
        var embedding = [Double](repeating: 0, count: length)
        for i in 0..<m { embedding[i] = firstColumn[i] }
        for j in 1..<Swift.max(1, n) { embedding[length - j] = firstRow[j] }
        self.embeddingLength = length
        self.embeddingSpectrum = FFT.forwardReal(embedding)
    }

    /// The symmetric n × n Toeplitz matrix `T[i, j] = c[|i − j|]`, e.g. a stationary kernel
    /// `k(|xᵢ − xⱼ|)` on an equispaced grid. O(n log n).
    public init(symmetricFirstColumn c: [Double]) {
        self.init(firstColumn: c, firstRow: c)
    }

    /// Number of rows.
    public var rows: Int { firstColumn.count }
    /// Number of columns.
    public var columns: Int { firstRow.count }

    /// `y = T x` through the circulant embedding. O(L log L), L ≈ rows + columns; rounding error
    /// O(ε log L · (Σ|c| + Σ|r|) · ‖x‖_∞) (absolute, not relative to each |yᵢ|).
    public func multiply(_ x: Vector) -> Vector {
        precondition(x.count == columns, "ToeplitzMatrix.multiply: vector length \(x.count), matrix has \(columns) columns")
        var padded = [Double](repeating: 0, count: embeddingLength)
        for j in 0..<columns { padded[j] = x[j] }
        let product = embeddingSpectrum.hadamard(FFT.forwardReal(padded))
        let full = FFT.inverseReal(product, count: embeddingLength)
        return Vector(Array(full[0..<rows]))
    }

    /// `T x`, the same as `multiply(x)`.
    public static func * (t: ToeplitzMatrix, x: Vector) -> Vector { t.multiply(x) }

    /// The explicit matrix (for tests and small problems). O(rows·columns) memory.
    public var dense: Matrix {
        Matrix(rows: rows, columns: columns) { i, j in i >= j ? firstColumn[i - j] : firstRow[j - i] }
    }
}

/// Products with N × N Toeplitz matrices through one circulant embedding of length L = fastLength(2N − 1):
/// T x is the head of C (x padded with zeros), C the circulant with first column
/// [c₀ … c_{N−1}, 0 …, r_{N−1} … r₁] (Golub & Van Loan, 4th ed., §4.7). Several Toeplitz matrices
/// share one transform of x, and a linear combination of products needs one inverse transform.
/// The transpose of T has the conjugate embedding spectrum (T real). Used by the fine-grid GP
/// collocation solver, whose every matrix-vector product is such a sum.
public struct ToeplitzEmbedding: Sendable {
    /// N, the order of the Toeplitz matrices.
    public let order: Int
    /// L = fastLength(2N − 1), the circulant's size.
    public let length: Int

    /// The embedding for N × N matrices (N ≥ 1). O(1).
    public init(order: Int) {
        precondition(order >= 1, "ToeplitzEmbedding needs order ≥ 1")
        self.order = order
        self.length = FFT.fastLength(atLeast: 2 * order - 1)
    }

    /// The embedding spectrum of the Toeplitz matrix with first column `column` and first row `row`
    /// (both of length N; row[0] unused). O(L log L).
    public func spectrum(column: [Double], row: [Double]) -> ComplexVector {
        var e = [Double](repeating: 0, count: length)
        for i in 0..<order { e[i] = column[i] }
        for j in 1..<order { e[length - j] = row[j] }
        return FFT.forwardReal(e)
    }

    /// The transform of x (length N) padded with zeros to length L, reusable across terms. O(L log L).
    public func transform(_ x: [Double]) -> ComplexVector {
        precondition(x.count == order, "ToeplitzEmbedding.transform: vector length \(x.count), order \(order)")
        var padded = [Double](repeating: 0, count: length)
        padded.replaceSubrange(0..<order, with: x)
        return FFT.forwardReal(padded)
    }

    /// One term c · T x (or c · Tᵀ x) of a sum of Toeplitz products, with x given by its transform.
    public struct Term: Sendable {
        /// T's embedding spectrum (`spectrum(column:row:)`).
        public let spectrum: ComplexVector
        /// c.
        public let coefficient: Double
        /// Whether the term is c · Tᵀ x.
        public let transpose: Bool
        /// x̂ (`transform(_:)`).
        public let input: ComplexVector
        /// The term c · T x, or c · Tᵀ x with `transpose`.
        public init(_ spectrum: ComplexVector, _ input: ComplexVector, coefficient: Double = 1, transpose: Bool = false) {
            self.spectrum = spectrum
            self.coefficient = coefficient
            self.transpose = transpose
            self.input = input
        }
    }

    /// Σ cᵢ Tᵢ xᵢ (Tᵢᵀ where asked) = head(irfft(Σ cᵢ T̂ᵢ ∘ x̂ᵢ)), the transpose by the conjugate spectrum:
    /// one inverse transform for the whole sum. O(L log L + L · terms).
    public func apply(_ terms: [Term]) -> [Double] {
        let bins = length / 2 + 1
        var re = [Double](repeating: 0, count: bins), im = re
        for term in terms {
            let (t, x, c) = (term.spectrum, term.input, term.coefficient)
            let s = term.transpose ? -1.0 : 1.0
            for j in 0..<bins {
                let tr = t.real[j], ti = s * t.imag[j], xr = x.real[j], xi = x.imag[j]
                re[j] += c * (tr * xr - ti * xi)
                im[j] += c * (tr * xi + ti * xr)
            }
        }
        let full = FFT.inverseReal(ComplexVector(real: re, imag: im), count: length)
        return Array(full[0..<order])
    }
}
