import KernelKitLinalg

/// Pairwise squared Euclidean distances through BLAS, for translation-invariant kernels.
///
/// ‖xᵢ − yⱼ‖² = ‖xᵢ‖² + ‖yⱼ‖² − 2 xᵢ·yⱼ with the cross term from one dgemm (dsyrk for a Gram
/// matrix): 2nmd flops. The expansion cancels catastrophically when ‖x‖ ≫ ‖x − y‖, so the points
/// are first centred on their common mean (distances are translation invariant), the diagonal of a
/// Gram matrix is set to exactly 0, and every entry below `recomputeThreshold·(‖zᵢ‖² + ‖zⱼ‖²)` (near
/// duplicates, where the expansion has lost more than ~4 of its 16 digits) is recomputed directly as
/// Σₖ (zᵢₖ − zⱼₖ)². So every entry has relative error ≲ 1e-11 and distances of near-duplicate points
/// are exact to rounding — which matters for kernels of r = √r² such as Matérn-1/2.
enum Distances {
    /// Entries with r² < this · (‖zᵢ‖² + ‖zⱼ‖²) are recomputed directly.
    static let recomputeThreshold = 1e-4

    /// Σₖ (zᵢₖ − wⱼₖ)² computed directly (rows i of z and j of w).
    @inline(__always)
    static func directSquared(_ z: Matrix, _ i: Int, _ w: Matrix, _ j: Int) -> Double {
        var s = 0.0
        for k in 0..<z.columns {
            let t = z.storage[i + k * z.rows] - w.storage[j + k * w.rows]
            s += t * t
        }
        return s
    }

    /// The rows of `x` minus `center`, each coordinate divided by `scales[k]` (`scales.count` is 1
    /// for an isotropic scale or d for one scale per dimension).
    static func centeredScaled(_ x: Matrix, center: [Double], scales: [Double]) -> Matrix {
        let (n, d) = (x.rows, x.columns)
        precondition(scales.count == 1 || scales.count == d, "scales: expected 1 or \(d), got \(scales.count)")
        var z = Matrix(rows: n, columns: d)
        for j in 0..<d {
            let s = 1 / (scales.count == 1 ? scales[0] : scales[j])
            let c = center[j]
            for i in 0..<n { z.storage[i + j * n] = (x.storage[i + j * n] - c) * s }
        }
        return z
    }

    /// Column means of the rows of `x` and `y` together.
    static func commonMean(_ x: Matrix, _ y: Matrix? = nil) -> [Double] {
        let d = x.columns
        let total = x.rows + (y?.rows ?? 0)
        guard total > 0 else { return [Double](repeating: 0, count: d) }
        var mean = [Double](repeating: 0, count: d)
        for j in 0..<d {
            var s = 0.0
            for i in 0..<x.rows { s += x[i, j] }
            if let y { for i in 0..<y.rows { s += y[i, j] } }
            mean[j] = s / Double(total)
        }
        return mean
    }

    /// Squared row norms ‖zᵢ‖².
    static func rowSquaredNorms(_ z: Matrix) -> [Double] {
        var norms = [Double](repeating: 0, count: z.rows)
        for j in 0..<z.columns {
            for i in 0..<z.rows {
                let v = z.storage[i + j * z.rows]
                norms[i] += v * v
            }
        }
        return norms
    }

    /// Symmetric n×n matrix of ‖(xᵢ − xⱼ)/ℓ‖² (ℓ isotropic or per dimension). n²d flops (dsyrk).
    static func squared(_ x: Matrix, scales: [Double] = [1]) -> Matrix {
        let z = centeredScaled(x, center: commonMean(x), scales: scales)
        return squaredOfCentered(z)
    }

    /// Symmetric matrix of ‖zᵢ − zⱼ‖² for already centred and scaled points.
    static func squaredOfCentered(_ z: Matrix) -> Matrix {
        let n = z.rows
        let norms = rowSquaredNorms(z)
        var d2 = Matrix(rows: n, columns: n)
        BLAS.syrk(.lower, .none, alpha: -2, z, beta: 0, &d2)
        for j in 0..<n {
            d2.storage[j + j * n] = 0
            for i in (j + 1)..<max(j + 1, n) {
                let scale = norms[i] + norms[j]
                let v = d2.storage[i + j * n] + scale
                d2.storage[i + j * n] = v < recomputeThreshold * scale ? directSquared(z, i, z, j) : v
            }
        }
        d2.symmetrizeFromLower()
        return d2
    }

    /// n×m matrix of ‖(xᵢ − yⱼ)/ℓ‖². 2nmd flops (dgemm).
    static func squared(_ x: Matrix, _ y: Matrix, scales: [Double] = [1]) -> Matrix {
        precondition(x.columns == y.columns, "kernel inputs must have equal dimension: \(x.columns) vs \(y.columns)")
        let center = commonMean(x, y)
        let zx = centeredScaled(x, center: center, scales: scales)
        let zy = centeredScaled(y, center: center, scales: scales)
        let nx = rowSquaredNorms(zx)
        let ny = rowSquaredNorms(zy)
        var d2 = Matrix(rows: x.rows, columns: y.rows)
        BLAS.gemm(.none, .transpose, alpha: -2, zx, zy, beta: 0, &d2)
        let n = x.rows
        for j in 0..<y.rows {
            for i in 0..<n {
                let scale = nx[i] + ny[j]
                let v = d2.storage[i + j * n] + scale
                d2.storage[i + j * n] = v < recomputeThreshold * scale ? directSquared(zx, i, zy, j) : v
            }
        }
        return d2
    }

    /// Symmetric n×n matrix of (xᵢₖ − xⱼₖ)² / ℓₖ² for one coordinate k.
    static func coordinateSquares(_ z: Matrix, coordinate k: Int) -> Matrix {
        let n = z.rows
        return Matrix(rows: n, columns: n) { i, j in
            let t = z.storage[i + k * n] - z.storage[j + k * n]
            return t * t
        }
    }
}
