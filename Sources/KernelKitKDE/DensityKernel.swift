import Foundation

/// A radial smoothing kernel `k(r)` of the distance `r = ‖x − y‖` and a bandwidth `h`, with the
/// constant that turns it into a probability density in ℝᵈ.
///
/// Profiles (scikit-learn's `KernelDensity` conventions for the bandwidth):
/// - `gaussian`:     k(r) = exp(−r²/(2h²)),  normalised by `(2π)^{−d/2} h^{−d}`;
/// - `laplace`:      k(r) = exp(−r/h) (scikit-learn's "exponential"), normalised by
///                   `Γ(d/2) / (2 π^{d/2} Γ(d)) · h^{−d}` (from ∫ℝᵈ e^{−‖u‖} du = S_{d−1} Γ(d),
///                   S_{d−1} = 2π^{d/2}/Γ(d/2) the area of the unit sphere);
/// - `epanechnikov`: k(r) = max(0, 1 − r²/h²), normalised by `(d + 2) Γ(d/2 + 1) / (2 π^{d/2}) · h^{−d}`
///                   (from ∫_{‖u‖≤1} (1 − ‖u‖²) du = 2V_d/(d + 2), V_d = π^{d/2}/Γ(d/2 + 1)).
///
/// The same `h` is used for all three (no rescaling to a canonical bandwidth), so a rule of thumb
/// derived for the Gaussian kernel gives a smoother estimate with the Epanechnikov kernel, whose
/// support radius is `h`.
///
/// Source: B. W. Silverman, *Density Estimation for Statistics and Data Analysis*, Chapman & Hall 1986, §4.2.
public enum DensityKernel: String, CaseIterable, Sendable, Equatable, Hashable {
    /// k(r) = exp(−r²/(2h²)).
    case gaussian
    /// k(r) = exp(−r/h) (the exponential kernel).
    case laplace
    /// k(r) = max(0, 1 − r²/h²), support ‖x − y‖ ≤ h.
    case epanechnikov

    /// The unnormalised profile k at distance `r ≥ 0` for bandwidth `h > 0` (values in [0, 1], k(0) = 1). O(1).
    public func profile(distance r: Double, bandwidth h: Double) -> Double {
        profile(squaredDistance: r * r, bandwidth: h)
    }

    /// The unnormalised profile as a function of the squared distance `r² ≥ 0`. O(1).
    public func profile(squaredDistance r2: Double, bandwidth h: Double) -> Double {
        switch self {
        case .gaussian: return Foundation.exp(-r2 / (2 * h * h))
        case .laplace: return Foundation.exp(-r2.squareRoot() / h)
        case .epanechnikov: return Swift.max(0, 1 - r2 / (h * h))
        }
    }

    /// The constant `C_d` with `∫ℝᵈ C_d · k(‖u‖; h = 1) du = 1`, so that
    /// `(C_d / h^d) · k(‖x − y‖; h)` integrates to one in y (formulas in the type's documentation).
    /// Requires `d ≥ 1` (precondition). O(1).
    public func normalization(dimension d: Int) -> Double {
        precondition(d >= 1, "DensityKernel.normalization: dimension must be ≥ 1")
        let dd = Double(d)
        let logPiHalfD = 0.5 * dd * Foundation.log(Double.pi)
        switch self {
        case .gaussian:
            return Foundation.exp(-0.5 * dd * Foundation.log(2 * Double.pi))
        case .laplace:
            return Foundation.exp(Foundation.lgamma(dd / 2) - Foundation.log(2.0) - logPiHalfD - Foundation.lgamma(dd))
        case .epanechnikov:
            return (dd + 2) / 2 * Foundation.exp(Foundation.lgamma(dd / 2 + 1) - logPiHalfD)
        }
    }

    /// The radius, in units of h, beyond which this kernel is treated as zero by the binned (FFT)
    /// estimator: k(τh) ≤ 2.4·10⁻¹⁶ for the Gaussian (τ = 8.5) and Laplace (τ = 36) kernels; the
    /// Epanechnikov kernel is exactly zero beyond τ = 1.
    public var truncationRadius: Double {
        switch self {
        case .gaussian: return 8.5
        case .laplace: return 36
        case .epanechnikov: return 1
        }
    }
}
