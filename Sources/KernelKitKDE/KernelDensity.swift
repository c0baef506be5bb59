import Foundation
import KernelKitLinalg

/// How the bandwidth of a `KernelDensity` is chosen.
public enum BandwidthSelection: Sendable, Equatable, Hashable {
    /// A given bandwidth h > 0.
    case fixed(Double)
    /// Scott's rule `KernelDensity.scottBandwidth(_:)`: σ̂ · n^{−1/(d+4)}.
    case scott
    /// Silverman's rule `KernelDensity.silvermanBandwidth(_:)`: σ̂ · (n(d+2)/4)^{−1/(d+4)}.
    case silverman
    /// Maximum leave-one-out likelihood `KernelDensity.crossValidatedBandwidth(_:kernel:threads:)`.
    case crossValidation
}

/// A kernel density estimate in ℝᵈ,
///
///     f̂(y) = C_d / (n hᵈ) · Σᵢ k(‖y − xᵢ‖; h),
///
/// with a radial kernel k and its normalising constant C_d from `DensityKernel`, so that f̂ integrates
/// to one. `kernelMean(at:)` returns the unnormalised kernel mean (1/n) Σᵢ k(‖y − xᵢ‖; h) ∈ [0, 1], the
/// "similarity to a dataset" of Backurs et al. (ICLR 2024).
///
/// Exact evaluation is blocked: queries in blocks of `queryBlock` rows, data in blocks of `dataBlock`
/// rows; each block of squared distances is ‖y‖² + ‖x‖² − 2 y·x with the cross term from one GEMM,
/// mapped through the profile with vectorised `exp`, then summed. Memory O(queryBlock · dataBlock)
/// (≈ 8 MB) beyond the inputs; time O(m n d) flops for the GEMM plus m·n kernel evaluations.
///
/// Numerical caveat: the GEMM form of the squared distance has absolute rounding error
/// O(ε_mach (‖x‖² + ‖y‖²)). Data and queries are centred at the data mean first, which removes the
/// cancellation caused by an offset; distances below ≈ 1e-8 · (spread of the data) are still
/// resolved only to that absolute accuracy (they are clamped at 0, never negative).
///
/// Usage (what a command line needs):
///
///     let kde = try KernelDensity(data: x, kernel: .gaussian, bandwidth: .scott)
///     let p = try kde.density(at: queries)        // normalised density per query row
///
/// Source: E. Parzen, "On estimation of a probability density function and mode", Ann. Math. Stat.
/// 33, 1962; B. W. Silverman, *Density Estimation*, 1986.
public struct KernelDensity: Sendable {
    /// The data, one point per row (n × d).
    public let data: Matrix
    /// The smoothing kernel.
    public let kernel: DensityKernel
    /// The bandwidth h > 0 in use (after any selection rule was applied).
    public let bandwidth: Double
    /// Threads used by exact evaluation (query blocks are spread over them).
    public let threads: Int

    /// Number of data points n.
    public var count: Int { data.rows }
    /// Dimension d.
    public var dimension: Int { data.columns }

    /// An estimate over `data` (n × d, one point per row) with the bandwidth chosen by `bandwidth`.
    /// Cost: O(n d) validation, plus the cost of the selection rule (O(n d) for Scott and
    /// Silverman, O(n² d) per likelihood evaluation for cross-validation).
    /// - Throws: `KernelDensityError.emptyData`, `.nonFinite`, `.invalidBandwidth` for a fixed h
    ///   that is not finite and > 0, `.bandwidthSelectionFailed` when a rule cannot produce an h,
    ///   `.invalidParameter` for threads < 1.
    public init(data: Matrix, kernel: DensityKernel = .gaussian, bandwidth: BandwidthSelection = .scott,
                threads: Int = 1) throws(KernelDensityError) {
        try KernelDensity.validate(data: data)
        guard threads >= 1 else { throw .invalidParameter("threads must be ≥ 1, got \(threads)") }
        let h: Double
        switch bandwidth {
        case let .fixed(value):
            guard value.isFinite, value > 0 else { throw .invalidBandwidth(value) }
            h = value
        case .scott:
            h = try KernelDensity.scottBandwidth(data)
        case .silverman:
            h = try KernelDensity.silvermanBandwidth(data)
        case .crossValidation:
            h = try KernelDensity.crossValidatedBandwidth(data, kernel: kernel, threads: threads).bandwidth
        }
        self.data = data
        self.kernel = kernel
        self.bandwidth = h
        self.threads = threads
    }

    /// The normalised density f̂(y) at each query row (m × d). O(m n d).
    /// - Throws: `KernelDensityError.dimensionMismatch`, `.nonFinite` for bad queries.
    public func density(at queries: Matrix) throws(KernelDensityError) -> [Double] {
        let scale = kernel.normalization(dimension: dimension) / (Double(count) * Foundation.pow(bandwidth, Double(dimension)))
        return try kernelSums(at: queries).map { $0 * scale }
    }

    /// The kernel mean (1/n) Σᵢ k(‖y − xᵢ‖; h) ∈ [0, 1] at each query row (unnormalised, k(0) = 1). O(m n d).
    /// - Throws: `KernelDensityError.dimensionMismatch`, `.nonFinite` for bad queries.
    public func kernelMean(at queries: Matrix) throws(KernelDensityError) -> [Double] {
        let scale = 1 / Double(count)
        return try kernelSums(at: queries).map { $0 * scale }
    }

    /// log f̂(y) at each query row; −∞ where the density is exactly zero (outside the support of an
    /// Epanechnikov estimate, or where the Gaussian / Laplace terms underflow). O(m n d).
    /// - Throws: as `density(at:)`.
    public func logDensity(at queries: Matrix) throws(KernelDensityError) -> [Double] {
        try density(at: queries).map { Foundation.log($0) }
    }

    private func kernelSums(at queries: Matrix) throws(KernelDensityError) -> [Double] {
        guard queries.columns == dimension else {
            throw .dimensionMismatch(expected: dimension, got: queries.columns)
        }
        guard queries.isFinite else { throw .nonFinite(what: "queries") }
        return KernelSums.compute(queries: queries, data: data, kernel: kernel, bandwidth: bandwidth,
                                  excludeSelf: false, threads: threads)
    }

    /// Checks that `data` is non-empty and finite.
    static func validate(data: Matrix) throws(KernelDensityError) {
        guard data.rows > 0, data.columns > 0 else { throw .emptyData }
        for v in data.storage where !v.isFinite { throw .nonFinite(what: "data") }
    }
}

/// Blocked evaluation of Σⱼ k(‖qᵢ − xⱼ‖; h) through GEMM (see `KernelDensity`).
enum KernelSums {
    static let queryBlock = 256
    static let dataBlock = 4096

    /// sums[i] = Σⱼ k(‖qᵢ − xⱼ‖; h); with `excludeSelf` (queries are the data) the term j = i is left out
    /// exactly, not subtracted. O(m n d).
    static func compute(queries: Matrix, data: Matrix, kernel: DensityKernel, bandwidth h: Double,
                        excludeSelf: Bool, threads: Int) -> [Double] {
        let (n, d, m) = (data.rows, data.columns, queries.rows)
        guard m > 0 else { return [] }
        // Centre at the data mean (removes the cancellation of ‖q‖² + ‖x‖² − 2q·x under an offset).
        var mean = [Double](repeating: 0, count: d)
        for j in 0..<d {
            var s = 0.0
            for i in 0..<n { s += data.storage[i + j * n] }
            mean[j] = s / Double(n)
        }
        let centredData = Matrix(rows: n, columns: d) { i, j in data.storage[i + j * n] - mean[j] }
        let centredQueries = Matrix(rows: m, columns: d) { i, j in queries.storage[i + j * m] - mean[j] }
        let dataBlocks = stride(from: 0, to: n, by: dataBlock).map { start -> DataBlock in
            DataBlock(centredData, rows: start..<Swift.min(n, start + dataBlock))
        }
        let queryStarts = Array(stride(from: 0, to: m, by: queryBlock))
        let collector = BlockCollector(count: m)
        // The body never throws, so `try?` cannot drop an error.
        try? concurrentForEach(queryStarts.count, threads: threads) { b in
            let start = queryStarts[b]
            let rows = start..<Swift.min(m, start + queryBlock)
            let sums = blockSums(queries: DataBlock(centredQueries, rows: rows), dataBlocks: dataBlocks,
                                 kernel: kernel, bandwidth: h, excludeSelf: excludeSelf)
            collector.store(sums, at: start)
        }
        return collector.values
    }

    private static func blockSums(queries q: DataBlock, dataBlocks: [DataBlock], kernel: DensityKernel,
                                  bandwidth h: Double, excludeSelf: Bool) -> [Double] {
        let mb = q.points.rows
        var sums = [Double](repeating: 0, count: mb)
        var block = Matrix(rows: mb, columns: 0)
        for x in dataBlocks {
            let nb = x.points.rows
            if block.columns != nb { block = Matrix(rows: mb, columns: nb) }
            BLAS.gemm(.none, .transpose, alpha: -2, q.points, x.points, beta: 0, &block)
            for j in 0..<nb {
                let xn = x.squaredNorms[j]
                for i in 0..<mb {
                    block.storage[i + j * mb] = Swift.max(0, block.storage[i + j * mb] + q.squaredNorms[i] + xn)
                }
            }
            switch kernel {
            case .gaussian:
                let c = -1 / (2 * h * h)
                for k in block.storage.indices { block.storage[k] *= c }
                VectorMath.exp(&block.storage)
            case .laplace:
                let c = -1 / h
                for k in block.storage.indices { block.storage[k] = c * block.storage[k].squareRoot() }
                VectorMath.exp(&block.storage)
            case .epanechnikov:
                let c = 1 / (h * h)
                for k in block.storage.indices { block.storage[k] = Swift.max(0, 1 - c * block.storage[k]) }
            }
            if excludeSelf {
                let lo = Swift.max(q.start, x.start), hi = Swift.min(q.start + mb, x.start + nb)
                if lo < hi {
                    for g in lo..<hi { block.storage[(g - q.start) + (g - x.start) * mb] = 0 }
                }
            }
            for j in 0..<nb {
                for i in 0..<mb { sums[i] += block.storage[i + j * mb] }
            }
        }
        return sums
    }
}

/// A contiguous row block of a point set, with its squared row norms.
struct DataBlock: Sendable {
    let start: Int
    let points: Matrix
    let squaredNorms: [Double]

    init(_ m: Matrix, rows: Range<Int>) {
        start = rows.lowerBound
        var storage: [Double] = []
        m.copyBlock(rows: rows, columns: 0..<m.columns, into: &storage)
        points = Matrix(rows: rows.count, columns: m.columns, columnMajor: storage)
        var norms = [Double](repeating: 0, count: rows.count)
        for j in 0..<m.columns {
            for i in 0..<rows.count {
                let v = storage[i + j * rows.count]
                norms[i] += v * v
            }
        }
        squaredNorms = norms
    }
}

/// Thread-safe collection of per-block results into one array.
final class BlockCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Double]

    init(count: Int) { storage = [Double](repeating: 0, count: count) }

    func store(_ values: [Double], at start: Int) {
        lock.lock()
        storage.replaceSubrange(start..<(start + values.count), with: values)
        lock.unlock()
    }

    var values: [Double] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
