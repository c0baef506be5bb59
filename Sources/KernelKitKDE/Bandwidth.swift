import Foundation
import KernelKitLinalg

/// The bandwidth chosen by likelihood cross-validation and the criterion at that bandwidth.
public struct CrossValidatedBandwidth: Sendable, Equatable {
    /// The maximiser h* of the leave-one-out log-likelihood (relative accuracy ≈ 1e-3).
    public let bandwidth: Double
    /// The leave-one-out log-likelihood at h* (natural log, summed over the n points).
    public let logLikelihood: Double
    /// Number of likelihood evaluations used (each O(n² d)).
    public let evaluations: Int
}

extension KernelDensity {
    /// The pooled scale σ̂ = √((1/d) Σⱼ s²ⱼ), the root mean of the d marginal sample variances
    /// s²ⱼ = (1/(n − 1)) Σᵢ (x_ij − x̄ⱼ)² (NumPy's `cov` convention, ddof = 1). In one dimension it is
    /// the sample standard deviation. O(n d).
    /// - Throws: `KernelDensityError.emptyData`, `.nonFinite`, `.bandwidthSelectionFailed` when n < 2
    ///   or every coordinate is constant.
    public static func pooledScale(_ data: Matrix) throws(KernelDensityError) -> Double {
        try validate(data: data)
        let (n, d) = (data.rows, data.columns)
        guard n >= 2 else {
            throw .bandwidthSelectionFailed("a rule-of-thumb bandwidth needs at least 2 points to estimate the spread, got 1; pass a fixed bandwidth")
        }
        var total = 0.0
        for j in 0..<d {
            var mean = 0.0
            for i in 0..<n { mean += data.storage[i + j * n] }
            mean /= Double(n)
            var ss = 0.0
            for i in 0..<n {
                let r = data.storage[i + j * n] - mean
                ss += r * r
            }
            total += ss / Double(n - 1)
        }
        let sigma = (total / Double(d)).squareRoot()
        guard sigma > 0, sigma.isFinite else {
            throw .bandwidthSelectionFailed("the data have zero spread (all points equal); pass a fixed bandwidth")
        }
        return sigma
    }

    /// Scott's rule, h = σ̂ · n^{−1/(d+4)}, with σ̂ from `pooledScale(_:)`.
    ///
    /// The factor n^{−1/(d+4)} is `scipy.stats.gaussian_kde`'s `scotts_factor`; SciPy multiplies it
    /// into the full data covariance (an anisotropic kernel), whereas this estimator is isotropic and
    /// multiplies it into the pooled scale σ̂. The two agree exactly in one dimension, and whenever the
    /// coordinates have equal variances and no correlation. O(n d).
    ///
    /// Source: D. W. Scott, *Multivariate Density Estimation*, Wiley 1992, eq. (6.42).
    /// - Throws: as `pooledScale(_:)`.
    public static func scottBandwidth(_ data: Matrix) throws(KernelDensityError) -> Double {
        let sigma = try pooledScale(data)
        let (n, d) = (Double(data.rows), Double(data.columns))
        return sigma * Foundation.pow(n, -1 / (d + 4))
    }

    /// Silverman's rule, h = σ̂ · (n (d + 2)/4)^{−1/(d+4)}, with σ̂ from `pooledScale(_:)`; in one
    /// dimension h = (4/3)^{1/5} σ̂ n^{−1/5} ≈ 1.06 σ̂ n^{−1/5}.
    ///
    /// The factor is `scipy.stats.gaussian_kde`'s `silverman_factor` (the AMISE-optimal bandwidth for
    /// Gaussian data and a Gaussian kernel); like SciPy it does not use the robust
    /// 0.9 · min(σ̂, IQR/1.34) variant of R's `bw.nrd0`. Same isotropy remark as `scottBandwidth(_:)`. O(n d).
    ///
    /// Source: B. W. Silverman, *Density Estimation*, 1986, eq. (4.14).
    /// - Throws: as `pooledScale(_:)`.
    public static func silvermanBandwidth(_ data: Matrix) throws(KernelDensityError) -> Double {
        let sigma = try pooledScale(data)
        let (n, d) = (Double(data.rows), Double(data.columns))
        return sigma * Foundation.pow(n * (d + 2) / 4, -1 / (d + 4))
    }

    /// The leave-one-out log-likelihood
    ///
    ///     L(h) = Σᵢ log f̂₋ᵢ(xᵢ),   f̂₋ᵢ(y) = C_d / ((n − 1) hᵈ) · Σ_{j≠i} k(‖y − xⱼ‖; h),
    ///
    /// with the self term left out exactly (not subtracted). It is −∞ when some f̂₋ᵢ(xᵢ) is zero (an
    /// isolated point under the Epanechnikov kernel, or Gaussian underflow at tiny h). O(n² d).
    ///
    /// Source: R. P. W. Duin, "On the choice of smoothing parameters for Parzen estimators of
    /// probability density functions", IEEE Trans. Computers C-25, 1976.
    /// - Throws: `KernelDensityError.emptyData`, `.nonFinite`, `.invalidBandwidth`,
    ///   `.invalidParameter` for n < 2 or threads < 1.
    public static func leaveOneOutLogLikelihood(_ data: Matrix, kernel: DensityKernel, bandwidth h: Double,
                                                threads: Int = 1) throws(KernelDensityError) -> Double {
        try validate(data: data)
        guard data.rows >= 2 else { throw .invalidParameter("leave-one-out likelihood needs at least 2 points, got \(data.rows)") }
        guard h.isFinite, h > 0 else { throw .invalidBandwidth(h) }
        guard threads >= 1 else { throw .invalidParameter("threads must be ≥ 1, got \(threads)") }
        return looLogLikelihood(data, kernel: kernel, bandwidth: h, threads: threads)
    }

    private static func looLogLikelihood(_ data: Matrix, kernel: DensityKernel, bandwidth h: Double,
                                         threads: Int) -> Double {
        let (n, d) = (data.rows, data.columns)
        let sums = KernelSums.compute(queries: data, data: data, kernel: kernel, bandwidth: h,
                                      excludeSelf: true, threads: threads)
        var total = 0.0
        for s in sums {
            guard s > 0 else { return -.infinity }
            total += Foundation.log(s)
        }
        let logScale = Foundation.log(kernel.normalization(dimension: d)) - Foundation.log(Double(n - 1))
            - Double(d) * Foundation.log(h)
        return total + Double(n) * logScale
    }

    /// The bandwidth maximising the leave-one-out log-likelihood `leaveOneOutLogLikelihood`.
    ///
    /// Search on log h: 25 points log-spaced over [h_S/100, 10 h_S] around Silverman's h_S, then
    /// golden-section refinement between the best grid point's neighbours to |Δ log h| ≤ 1e-3
    /// (≈ 0.1 % in h). The grid guards against the local maxima the criterion can have for
    /// clustered data. Cost: about 40 likelihood evaluations, each O(n² d).
    ///
    /// Source: Duin (1976); J. D. F. Habbema, J. Hermans, K. van den Broek, "A stepwise discriminant
    /// analysis program using density estimation", COMPSTAT 1974.
    /// - Throws: `.bandwidthSelectionFailed` when the maximum lies at the edge of the search range,
    ///   typically because duplicated points make L(h) → +∞ as h → 0; the errors of `pooledScale`.
    public static func crossValidatedBandwidth(_ data: Matrix, kernel: DensityKernel = .gaussian,
                                               threads: Int = 1) throws(KernelDensityError) -> CrossValidatedBandwidth {
        guard threads >= 1 else { throw .invalidParameter("threads must be ≥ 1, got \(threads)") }
        let reference = try silvermanBandwidth(data)
        let gridCount = 25
        let (lo, hi) = (Foundation.log(reference / 100), Foundation.log(reference * 10))
        let step = (hi - lo) / Double(gridCount - 1)
        var evaluations = 0
        func criterion(_ logH: Double) -> Double {
            evaluations += 1
            return looLogLikelihood(data, kernel: kernel, bandwidth: Foundation.exp(logH), threads: threads)
        }
        let values = (0..<gridCount).map { criterion(lo + Double($0) * step) }
        guard let best = values.indices.max(by: { values[$0] < values[$1] }), values[best] > -.infinity else {
            throw .bandwidthSelectionFailed("the leave-one-out likelihood is zero at every bandwidth tried")
        }
        guard best > 0 else {
            throw .bandwidthSelectionFailed("the leave-one-out likelihood still increases at h = \(Foundation.exp(lo)); duplicated points make it unbounded as h → 0 — remove duplicates or pass a fixed bandwidth")
        }
        guard best < gridCount - 1 else {
            throw .bandwidthSelectionFailed("the leave-one-out likelihood still increases at h = \(Foundation.exp(hi)); pass a fixed bandwidth")
        }
        let (logH, value) = GoldenSection.maximize(criterion, lower: lo + Double(best - 1) * step,
                                                   upper: lo + Double(best + 1) * step, tolerance: 1e-3)
        let (h, l) = value >= values[best] ? (Foundation.exp(logH), value) : (Foundation.exp(lo + Double(best) * step), values[best])
        return CrossValidatedBandwidth(bandwidth: h, logLikelihood: l, evaluations: evaluations)
    }
}

/// Golden-section search for the maximum of a unimodal function on [lower, upper].
///
/// Each step shrinks the bracket by 1/φ ≈ 0.618 with one new evaluation, so reaching width `tolerance`
/// costs ⌈log((upper − lower)/tolerance)/log φ⌉ + 2 evaluations. KernelKitLinalg has root finding
/// (Brent) but no derivative-free 1-D minimiser, so it lives here.
/// Source: J. Kiefer, "Sequential minimax search for a maximum", Proc. AMS 4, 1953.
enum GoldenSection {
    static func maximize(_ f: (Double) -> Double, lower: Double, upper: Double,
                         tolerance: Double) -> (x: Double, value: Double) {
        let invPhi = (5.0.squareRoot() - 1) / 2
        var (a, b) = (lower, upper)
        var c = b - invPhi * (b - a), e = a + invPhi * (b - a)
        var fc = f(c), fe = f(e)
        while b - a > tolerance {
            if fc >= fe {
                b = e; e = c; fe = fc
                c = b - invPhi * (b - a); fc = f(c)
            } else {
                a = c; c = e; fc = fe
                e = a + invPhi * (b - a); fe = f(e)
            }
        }
        return fc >= fe ? (c, fc) : (e, fe)
    }
}
