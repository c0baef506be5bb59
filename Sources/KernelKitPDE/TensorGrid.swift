import KernelKitLinalg

/// Equally spaced points x_i = lower + i (upper − lower)/(count − 1), i = 0…count−1, endpoints
/// included (`numpy.linspace(lower, upper, count)`).
public struct UniformGrid: Sendable, Equatable {
    /// Left endpoint.
    public let lower: Double
    /// Right endpoint (> lower).
    public let upper: Double
    /// Number of points (≥ 2).
    public let count: Int

    /// The grid linspace(lower, upper, count).
    /// - Throws: `PDEError.invalidProblem` when count < 2 or the interval is empty or not finite.
    public init(lower: Double, upper: Double, count: Int) throws {
        guard count >= 2 else { throw PDEError.invalidProblem("a grid needs at least 2 points per dimension, got \(count)") }
        guard lower.isFinite && upper.isFinite && upper > lower else {
            throw PDEError.invalidProblem("the domain [\(lower), \(upper)] must be a finite interval with lower < upper")
        }
        self.lower = lower
        self.upper = upper
        self.count = count
    }

    /// The spacing h = (upper − lower)/(count − 1).
    public var spacing: Double { (upper - lower) / Double(count - 1) }

    /// The points (the last is exactly `upper`).
    public var points: [Double] {
        (0..<count).map { $0 == count - 1 ? upper : lower + Double($0) * spacing }
    }

    /// The Nyquist frequency 1/(2h) in cycles per unit: the highest frequency the grid resolves.
    public var nyquistFrequency: Double { 1 / (2 * spacing) }
}

/// A tensor-product grid ⊗ₖ axisₖ in d = 1, 2 or 3 dimensions. Functions on the grid are vectors of
/// length N = Π nₖ in C order (the first axis varies slowest, as for `KroneckerProduct` and NumPy's
/// `U.ravel()` of U[i₁, …, i_d] = u(x_{i₁}, …, x_{i_d})).
public struct TensorGrid: Sendable, Equatable {
    /// The axes, first (slowest) first.
    public let axes: [UniformGrid]

    /// The grid of the given axes (1 to 3).
    public init(_ axes: [UniformGrid]) {
        precondition((1...3).contains(axes.count), "TensorGrid supports 1, 2 or 3 dimensions")
        self.axes = axes
    }

    /// The dimension d.
    public var dimension: Int { axes.count }
    /// The axis sizes nₖ.
    public var shape: [Int] { axes.map(\.count) }
    /// N = Π nₖ.
    public var count: Int { shape.reduce(1, *) }

    /// The multi-index (i₁, …, i_d) of flat index r.
    public func multiIndex(_ r: Int) -> [Int] {
        var index = [Int](repeating: 0, count: dimension)
        var rest = r
        for k in stride(from: dimension - 1, through: 0, by: -1) {
            index[k] = rest % axes[k].count
            rest /= axes[k].count
        }
        return index
    }

    /// The flat index of a multi-index.
    public func flatIndex(_ index: [Int]) -> Int {
        var r = 0
        for k in 0..<dimension { r = r * axes[k].count + index[k] }
        return r
    }

    /// The coordinates of grid point r.
    public func point(_ r: Int) -> [Double] {
        let index = multiIndex(r)
        return (0..<dimension).map { axes[$0].points[index[$0]] }
    }

    /// The boundary points in GP-HM's order: for each axis k in turn, the face iₖ = 0 then the face
    /// iₖ = nₖ − 1, each face in C order. Points on edges and corners appear once per face they lie on
    /// (in 2-D: concat(U[0,:], U[-1,:], U[:,0], U[:,-1]), corners twice), so the boundary penalty
    /// weighs them that many times, as the reference objective does. In 1-D: [0, N − 1].
    public var boundaryIndices: [Int] {
        var result: [Int] = []
        let n = count
        for k in 0..<dimension {
            for side in [0, axes[k].count - 1] {
                for r in 0..<n where multiIndex(r)[k] == side { result.append(r) }
            }
        }
        return result
    }

    /// Values of `f` at every grid point, in C order.
    public func sample(_ f: ([Double]) -> Double) -> [Double] {
        let pts = axes.map(\.points)
        return (0..<count).map { r in
            let index = multiIndex(r)
            return f((0..<dimension).map { pts[$0][index[$0]] })
        }
    }
}

// MARK: Mode products on C-ordered tensors (internal)

/// y = F applied along axis k of x, where x has shape `shape` (C order) and F is m × shape[k];
/// the result has shape[k] replaced by m. Seen column-major, x is (a, nₖ, b) with a = Π_{j>k} nⱼ and
/// b = Π_{j<k} nⱼ: Y = F X when a = 1, else Y_q = X_q Fᵀ per slab q (one gemm when b = 1).
/// O(m nₖ N / nₖ) flops.
func modeProduct(_ f: Matrix, axis k: Int, shape: [Int], _ x: [Double], transpose: Bool = false) -> [Double] {
    let n = shape[k]
    let (rowsF, colsF) = transpose ? (f.columns, f.rows) : (f.rows, f.columns)
    precondition(colsF == n, "modeProduct: factor has \(colsF) columns, axis \(k) has \(n) points")
    let a = shape[(k + 1)...].reduce(1, *)
    let b = shape[..<k].reduce(1, *)
    precondition(x.count == a * n * b, "modeProduct: vector length \(x.count) does not match shape \(shape)")
    let m = rowsF
    let op: BLAS.Transpose = transpose ? .transpose : .none
    if a == 1 {
        let xm = Matrix(rows: n, columns: b, columnMajor: x)
        return BLAS.matmul(f, xm, op, .none).storage
    }
    if b == 1 {
        let xm = Matrix(rows: a, columns: n, columnMajor: x)
        return BLAS.matmul(xm, f, .none, transpose ? .none : .transpose).storage
    }
    var y = [Double](repeating: 0, count: a * m * b)
    for q in 0..<b {
        let xq = Matrix(rows: a, columns: n, columnMajor: Array(x[(q * a * n)..<((q + 1) * a * n)]))
        let yq = BLAS.matmul(xq, f, .none, transpose ? .none : .transpose)
        y.replaceSubrange((q * a * m)..<((q + 1) * a * m), with: yq.storage)
    }
    return y
}

/// Σ over all axes but k of x ⊗ y: W[i, j] = Σ x[…, i, …] y[…, j, …] (the mode-k unfoldings'
/// product X₍ₖ₎ Y₍ₖ₎ᵀ), an nₖ × nₖ matrix. O(nₖ N).
func modeGram(_ x: [Double], _ y: [Double], axis k: Int, shape: [Int]) -> Matrix {
    let n = shape[k]
    let a = shape[(k + 1)...].reduce(1, *)
    let b = shape[..<k].reduce(1, *)
    if a == 1 {
        let xm = Matrix(rows: n, columns: b, columnMajor: x), ym = Matrix(rows: n, columns: b, columnMajor: y)
        return BLAS.matmul(xm, ym, .none, .transpose)
    }
    var w = Matrix(rows: n, columns: n)
    for q in 0..<b {
        let range = (q * a * n)..<((q + 1) * a * n)
        let xq = Matrix(rows: a, columns: n, columnMajor: Array(x[range]))
        let yq = Matrix(rows: a, columns: n, columnMajor: Array(y[range]))
        w = w + BLAS.matmul(xq, yq, .transpose, .none)
    }
    return w
}
