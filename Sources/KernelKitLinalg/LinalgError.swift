/// Data-dependent failures of the linear-algebra layer. Programmer errors (mismatched shapes in
/// code) are preconditions instead; these are the failures a user's data can cause.
public enum LinalgError: Error, Equatable, CustomStringConvertible {
    /// A matrix that had to be symmetric positive definite is not, even after adding `jitter`
    /// to its diagonal. `order` is LAPACK's leading minor that failed (1-based).
    case notPositiveDefinite(order: Int, jitter: Double)
    /// A matrix that had to be invertible is singular (LAPACK's `info` pivot, 1-based).
    case singular(pivot: Int)
    /// An iterative routine stopped without meeting its tolerance.
    case noConvergence(routine: String, iterations: Int, residual: Double)
    /// Non-finite (NaN or ±∞) values in an input that must be finite.
    case nonFinite(what: String)
    /// A parameter outside its mathematical domain.
    case domain(String)
    /// A failure reported by a C library with its status code.
    case library(name: String, routine: String, status: Int, message: String)

    public var description: String {
        switch self {
        case let .notPositiveDefinite(order, jitter):
            return "matrix is not positive definite (leading minor \(order) fails"
                + (jitter > 0 ? " even with diagonal jitter \(jitter))" : ")")
        case let .singular(pivot):
            return "matrix is singular (zero pivot at \(pivot))"
        case let .noConvergence(routine, iterations, residual):
            return "\(routine) did not converge in \(iterations) iterations (residual \(residual))"
        case let .nonFinite(what):
            return "\(what) contains NaN or infinite values"
        case let .domain(msg):
            return msg
        case let .library(name, routine, status, message):
            return "\(name) \(routine) failed (status \(status)): \(message)"
        }
    }
}
