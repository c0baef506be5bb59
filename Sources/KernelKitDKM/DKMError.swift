/// Failures of a deep kernel machine that inputs can cause (never thrown for programmer errors).
public enum DKMError: Error, Equatable, CustomStringConvertible {
    /// A parameter outside its domain (ν ≤ 0, L < 1, σ² ≤ 0, more inducing points than data, …).
    case invalidParameter(String)
    /// Inputs of inconsistent sizes.
    case shapeMismatch(String)
    /// NaN or ±∞ in the named input.
    case nonFinite(String)
    /// A Gram or covariance matrix that should be positive definite is not (numerically).
    case notPositiveDefinite(String)
    /// The optimiser ended without a finite objective (it never returns NaN as a result).
    case optimizationFailed(String)

    /// One line a user can act on.
    public var description: String {
        switch self {
        case let .invalidParameter(m): return "invalid parameter: \(m)"
        case let .shapeMismatch(m): return "shape mismatch: \(m)"
        case let .nonFinite(m): return "\(m) contains NaN or infinite values"
        case let .notPositiveDefinite(m): return m
        case let .optimizationFailed(m): return "optimisation failed: \(m)"
        }
    }
}
