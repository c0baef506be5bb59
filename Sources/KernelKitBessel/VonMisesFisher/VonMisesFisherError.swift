/// A data-dependent failure of the von Mises–Fisher routines (distribution, fit, mixture).
/// Programmer errors (mismatched shapes in code) are preconditions instead.
public enum VonMisesFisherError: Error, Equatable, CustomStringConvertible {
    /// The sphere S^{p−1} ⊂ ℝ^p needs p ≥ 2.
    case invalidDimension(Int)
    /// The concentration κ must be finite and ≥ 0.
    case invalidConcentration(Double)
    /// The mean resultant length R̄ must lie in [0, 1) for a finite maximum-likelihood κ.
    case invalidMeanResultantLength(Double)
    /// A mean direction that is zero, non-finite, or of the wrong length.
    case invalidMeanDirection(String)
    /// A NaN or ±∞ in the data, at 0-based (row, column).
    case nonFiniteData(row: Int, column: Int)
    /// A data row that is exactly zero cannot be projected onto the sphere (0-based row).
    case zeroRow(Int)
    /// Too few points for the requested fit.
    case tooFewPoints(String)
    /// The maximum-likelihood estimate does not exist (e.g. every point identical, so κ̂ = ∞).
    case degenerate(String)

    /// One line a user can act on.
    public var description: String {
        switch self {
        case .invalidDimension(let p):
            return "von Mises-Fisher needs dimension p >= 2 (a sphere in R^p), got p = \(p)"
        case .invalidConcentration(let k):
            return "von Mises-Fisher concentration kappa must be finite and >= 0, got \(k)"
        case .invalidMeanResultantLength(let r):
            return "mean resultant length Rbar must be in [0, 1) (Rbar = 1 means kappa = infinity), got \(r)"
        case .invalidMeanDirection(let message):
            return "invalid mean direction: \(message)"
        case .nonFiniteData(let row, let column):
            return "data row \(row), column \(column) is NaN or infinite; remove or fix it"
        case .zeroRow(let row):
            return "data row \(row) is the zero vector and cannot be projected onto the unit sphere; remove it"
        case .tooFewPoints(let message), .degenerate(let message):
            return message
        }
    }
}
