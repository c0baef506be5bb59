import Foundation
import KernelKitLinalg

/// A kernel density estimate in one or two dimensions evaluated on a regular grid by linear binning
/// and FFT convolution, then linearly (bilinearly) interpolated to query points.
///
/// Algorithm (Silverman 1982; Wand 1994):
/// 1. Grid: along each axis G points from min(x) − τh to max(x) + τh, spacing Δ, with τ the kernel's
///    `truncationRadius`.
/// 2. Linear binning: each point gives weight (1 − f) to its left grid neighbour and f to its right
///    one (in 2-D the four bilinear weights), f its fractional position in the cell. O(n).
/// 3. Convolution of the bin weights with the kernel sampled at grid offsets |kΔ| ≤ τh, by a
///    zero-padded real FFT of length ≥ G + L (no wrap-around). O(N log N), N the padded grid size.
/// 4. values = (C_d/(n hᵈ)) · convolution at the grid nodes; queries are interpolated from them, and
///    queries outside the grid (farther than τh from every point) get 0.
///
/// Error bound (`errorBound`, absolute, for every query): binning replaces each kernel term by its
/// linear interpolant between grid nodes, and step 4 interpolates f̂ again, so the error is twice
/// the interpolation error of one kernel term plus the truncation and FFT round-off:
/// - Gaussian (smooth): per step (C_d/h^{d+2}) · ΣᵢΔᵢ²/8, since the second partial derivatives of
///   C_d e^{−‖u‖²/2} are bounded by C_d (at u = 0);
/// - Laplace and Epanechnikov (kinks): per step Lip · ΣᵢΔᵢ/(2h^{d+1}) with the Lipschitz constant of the
///   normalised profile, Lip = C_d (Laplace) and 2C_d (Epanechnikov), from |f(t) − interpolant| ≤ Lip·Δ/2;
/// - truncation: C_d k(τ)/hᵈ; FFT round-off: 1e-12 · max f̂ (FFTW's O(ε log N) relative error).
///
/// Complexity: O(n + N log N + m) for n points, padded grid size N and m queries; memory O(N).
///
/// Sources: B. W. Silverman, "Kernel density estimation using the fast Fourier transform", Applied
/// Statistics 31, 1982; M. P. Wand, "Fast computation of multivariate kernel estimators", J. Comput.
/// Graph. Stat. 3, 1994.
public struct BinnedKernelDensity: Sendable {
    /// The smoothing kernel.
    public let kernel: DensityKernel
    /// The bandwidth h.
    public let bandwidth: Double
    /// Grid coordinates along each axis (one array in 1-D, two in 2-D), increasing, equally spaced.
    public let axes: [[Double]]
    /// The binned density at the grid nodes; in 2-D node (i, j) is `values[i + j * axes[0].count]`
    /// (column-major, like `Matrix`).
    public let values: [Double]
    /// An absolute bound on |binned estimate − exact estimate| at any query (see the type's documentation).
    public let errorBound: Double

    /// Number of data points n used.
    public let count: Int

    /// Dimension d (1 or 2).
    public var dimension: Int { axes.count }

    /// Bins `data` (n × 1 or n × 2) on a grid of `gridPoints` nodes per axis (default 1024 in 1-D,
    /// 256 per axis in 2-D) and convolves with the kernel by FFT. O(n + N log N).
    /// - Throws: `KernelDensityError.emptyData`, `.nonFinite`, `.invalidBandwidth`,
    ///   `.invalidParameter` for d ∉ {1, 2}, fewer than 2 grid points, or a padded 2-D grid above 2²⁶ cells.
    public init(data: Matrix, kernel: DensityKernel = .gaussian, bandwidth h: Double,
                gridPoints: Int? = nil) throws(KernelDensityError) {
        try KernelDensity.validate(data: data)
        guard h.isFinite, h > 0 else { throw .invalidBandwidth(h) }
        let d = data.columns
        guard d == 1 || d == 2 else {
            throw .invalidParameter("the binned (FFT) estimator supports 1 or 2 dimensions, got \(d); use KernelDensity for exact evaluation")
        }
        let g = gridPoints ?? (d == 1 ? 1024 : 256)
        guard g >= 2 else { throw .invalidParameter("gridPoints must be ≥ 2, got \(g)") }
        let n = data.rows
        let tau = kernel.truncationRadius
        var axes: [[Double]] = []
        var spacings: [Double] = []
        var offsets: [Double] = []
        for j in 0..<d {
            var lo = Double.infinity, hi = -Double.infinity
            for i in 0..<n {
                let v = data.storage[i + j * n]
                lo = Swift.min(lo, v)
                hi = Swift.max(hi, v)
            }
            lo -= tau * h
            hi += tau * h
            let delta = (hi - lo) / Double(g - 1)
            axes.append((0..<g).map { lo + Double($0) * delta })
            spacings.append(delta)
            offsets.append(lo)
        }
        let c = kernel.normalization(dimension: d)
        let scale = c / (Double(n) * Foundation.pow(h, Double(d)))
        var grid: [Double]
        if d == 1 {
            grid = BinnedKernelDensity.convolve1D(data.storage, lo: offsets[0], delta: spacings[0], gridPoints: g,
                                                  kernel: kernel, bandwidth: h)
        } else {
            guard GridConvolution.paddedShape([g, g], spacing: spacings, kernel: kernel, bandwidth: h) != nil else {
                throw .invalidParameter("the padded FFT grid for \(g) × \(g) nodes is too large; use fewer gridPoints")
            }
            grid = BinnedKernelDensity.convolve2D(data, lo: offsets, delta: spacings, gridPoints: g,
                                                  kernel: kernel, bandwidth: h)
        }
        var maxValue = 0.0
        for k in grid.indices {
            grid[k] *= scale
            maxValue = Swift.max(maxValue, grid[k])
        }
        let hd = Foundation.pow(h, Double(d))
        let perStep: Double
        switch kernel {
        case .gaussian:
            perStep = c / (hd * h * h) * spacings.reduce(0) { $0 + $1 * $1 } / 8
        case .laplace:
            perStep = c / (hd * h) * spacings.reduce(0, +) / 2
        case .epanechnikov:
            perStep = 2 * c / (hd * h) * spacings.reduce(0, +) / 2
        }
        let truncation = c * kernel.profile(distance: tau * h, bandwidth: h) / hd
        self.kernel = kernel
        self.bandwidth = h
        self.axes = axes
        self.values = grid
        self.count = n
        self.errorBound = 2 * perStep + truncation + 1e-12 * maxValue
    }

    /// The binned estimate at each query row (m × d), by linear (1-D) or bilinear (2-D) interpolation
    /// of the grid values; 0 outside the grid. O(m).
    /// - Throws: `KernelDensityError.dimensionMismatch`, `.nonFinite`.
    public func density(at queries: Matrix) throws(KernelDensityError) -> [Double] {
        guard queries.columns == dimension else { throw .dimensionMismatch(expected: dimension, got: queries.columns) }
        guard queries.isFinite else { throw .nonFinite(what: "queries") }
        return GridInterpolation.evaluate(values: values, axes: axes, at: queries)
    }

    /// The left node index k ∈ [0, count − 2] and fraction f ∈ [0, 1] of x in the grid, or nil outside.
    @inline(__always)
    static func cell(_ x: Double, lo: Double, delta: Double, count: Int) -> (Int, Double)? {
        let t = (x - lo) / delta
        guard t >= 0, t <= Double(count - 1) else { return nil }
        let k = Swift.min(Int(t), count - 2)
        return (k, t - Double(k))
    }

    /// Linear binning of `points` and FFT convolution with the sampled kernel; unnormalised sums at the nodes.
    private static func convolve1D(_ points: [Double], lo: Double, delta: Double, gridPoints g: Int,
                                   kernel: DensityKernel, bandwidth h: Double) -> [Double] {
        var bins = [Double](repeating: 0, count: g)
        let inverseDelta = 1 / delta
        for x in points {
            let t = (x - lo) * inverseDelta
            let k = Swift.min(Int(t), g - 2)
            let f = t - Double(k)
            bins[k] += 1 - f
            bins[k + 1] += f
        }
        return GridConvolution.convolve(bins, shape: [g], spacing: [delta], kernel: kernel, bandwidth: h)
    }

    /// Bilinear binning and 2-D FFT convolution.
    private static func convolve2D(_ data: Matrix, lo: [Double], delta: [Double], gridPoints g: Int,
                                   kernel: DensityKernel, bandwidth h: Double) -> [Double] {
        let n = data.rows
        var bins = [Double](repeating: 0, count: g * g)
        for i in 0..<n {
            let t0 = (data.storage[i] - lo[0]) / delta[0]
            let t1 = (data.storage[i + n] - lo[1]) / delta[1]
            let a = Swift.min(Int(t0), g - 2), b = Swift.min(Int(t1), g - 2)
            let fa = t0 - Double(a), fb = t1 - Double(b)
            bins[a + b * g] += (1 - fa) * (1 - fb)
            bins[a + 1 + b * g] += fa * (1 - fb)
            bins[a + (b + 1) * g] += (1 - fa) * fb
            bins[a + 1 + (b + 1) * g] += fa * fb
        }
        return GridConvolution.convolve(bins, shape: [g, g], spacing: delta, kernel: kernel, bandwidth: h)
    }
}

/// Discrete convolution of weights on a regular 1-D or 2-D grid with a radial kernel sampled at the
/// grid offsets, by zero-padded real FFTs (no wrap-around):
///
///     out[p] = Σ_q w[q] · k(‖(p − q)·Δ‖; h),   p, q grid multi-indices, |p − q|·Δ ≤ τh per axis,
///
/// with τ the kernel's `truncationRadius`. O(N log N) for the padded size N.
enum GridConvolution {
    /// The padded FFT lengths for `shape`, or nil if a 2-D padded grid would exceed 2²⁶ cells.
    static func paddedShape(_ shape: [Int], spacing: [Double], kernel: DensityKernel, bandwidth h: Double) -> [Int]? {
        let padded = zip(shape, spacing).map { g, delta in
            FFT.fastLength(atLeast: g + Swift.min(g - 1, Int((kernel.truncationRadius * h / delta).rounded(.up))))
        }
        return padded.reduce(1, *) <= 1 << 26 ? padded : nil
    }

    /// `weights` column-major with `shape` ([g] or [g0, g1]); returns the convolution at the same nodes.
    /// Precondition: `paddedShape` is not nil.
    static func convolve(_ weights: [Double], shape: [Int], spacing: [Double], kernel: DensityKernel,
                         bandwidth h: Double) -> [Double] {
        let supports = zip(shape, spacing).map { g, delta in
            Swift.min(g - 1, Int((kernel.truncationRadius * h / delta).rounded(.up)))
        }
        guard let padded = paddedShape(shape, spacing: spacing, kernel: kernel, bandwidth: h) else {
            preconditionFailure("GridConvolution: padded grid too large (check paddedShape first)")
        }
        if shape.count == 1 {
            let (g, length) = (shape[0], padded[0])
            var bins = [Double](repeating: 0, count: length)
            bins.replaceSubrange(0..<g, with: weights)
            var sampled = [Double](repeating: 0, count: length)
            for k in 0...supports[0] {
                let v = kernel.profile(distance: Double(k) * spacing[0], bandwidth: h)
                sampled[k] = v
                if k > 0 { sampled[length - k] = v }
            }
            let product = FFT.forwardReal(bins).hadamard(FFT.forwardReal(sampled))
            return Array(FFT.inverseReal(product, count: length)[0..<g])
        }
        let (g0, g1) = (shape[0], shape[1])
        let (n0, n1) = (padded[0], padded[1])
        var bins = [Double](repeating: 0, count: n0 * n1)
        for j in 0..<g1 {
            for i in 0..<g0 { bins[i + j * n0] = weights[i + j * g0] }
        }
        var sampled = [Double](repeating: 0, count: n0 * n1)
        for q in -supports[1]...supports[1] {
            let col = (q + n1) % n1
            let y = Double(q) * spacing[1]
            for p in -supports[0]...supports[0] {
                let x = Double(p) * spacing[0]
                sampled[(p + n0) % n0 + col * n0] = kernel.profile(squaredDistance: x * x + y * y, bandwidth: h)
            }
        }
        let spectrum = RealFFT2D.forward(bins, rows: n0, columns: n1)
            .hadamard(RealFFT2D.forward(sampled, rows: n0, columns: n1))
        let full = RealFFT2D.inverse(spectrum, rows: n0, columns: n1)
        var out = [Double](repeating: 0, count: g0 * g1)
        for j in 0..<g1 {
            for i in 0..<g0 { out[i + j * g0] = full[i + j * n0] }
        }
        return out
    }
}

/// Two-dimensional real FFT of a column-major `rows × columns` array from KernelKitLinalg's 1-D
/// transforms: a real FFT down each column (rows/2 + 1 bins), then a complex FFT along each row of
/// bins. The half spectrum is stored column-major as (rows/2 + 1) × columns. O(N log N).
enum RealFFT2D {
    static func forward(_ x: [Double], rows: Int, columns: Int) -> ComplexVector {
        let bins = rows / 2 + 1
        var half = ComplexVector.zeros(bins * columns)
        for j in 0..<columns {
            let s = FFT.forwardReal(Array(x[(j * rows)..<((j + 1) * rows)]))
            half.real.replaceSubrange((j * bins)..<((j + 1) * bins), with: s.real)
            half.imag.replaceSubrange((j * bins)..<((j + 1) * bins), with: s.imag)
        }
        for r in 0..<bins {
            let line = ComplexVector(real: (0..<columns).map { half.real[r + $0 * bins] },
                                     imag: (0..<columns).map { half.imag[r + $0 * bins] })
            let t = FFT.forward(line)
            for j in 0..<columns {
                half.real[r + j * bins] = t.real[j]
                half.imag[r + j * bins] = t.imag[j]
            }
        }
        return half
    }

    static func inverse(_ spectrum: ComplexVector, rows: Int, columns: Int) -> [Double] {
        let bins = rows / 2 + 1
        var half = spectrum
        for r in 0..<bins {
            let line = ComplexVector(real: (0..<columns).map { half.real[r + $0 * bins] },
                                     imag: (0..<columns).map { half.imag[r + $0 * bins] })
            let t = FFT.inverse(line)
            for j in 0..<columns {
                half.real[r + j * bins] = t.real[j]
                half.imag[r + j * bins] = t.imag[j]
            }
        }
        var out = [Double](repeating: 0, count: rows * columns)
        for j in 0..<columns {
            let column = ComplexVector(real: Array(half.real[(j * bins)..<((j + 1) * bins)]),
                                       imag: Array(half.imag[(j * bins)..<((j + 1) * bins)]))
            out.replaceSubrange((j * rows)..<((j + 1) * rows), with: FFT.inverseReal(column, count: rows))
        }
        return out
    }
}

extension KernelDensity {
    /// This estimate's binned FFT approximation (d ≤ 2): `BinnedKernelDensity(data:kernel:bandwidth:gridPoints:)`
    /// with this kernel and bandwidth. O(n + N log N).
    /// - Throws: as that initialiser (`.invalidParameter` for d > 2).
    public func binned(gridPoints: Int? = nil) throws(KernelDensityError) -> BinnedKernelDensity {
        try BinnedKernelDensity(data: data, kernel: kernel, bandwidth: bandwidth, gridPoints: gridPoints)
    }
}
