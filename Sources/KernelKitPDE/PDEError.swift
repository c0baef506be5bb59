/// Errors of the PDE solver module (problem definition, grids, solver failures). Each message is one
/// line a user can act on.
public enum PDEError: Error, CustomStringConvertible, Equatable {
    /// A problem or grid specification the solver cannot use.
    case invalidProblem(String)
    /// Non-finite values where finite ones are required (source, boundary values, kernel values).
    case nonFinite(String)
    /// A kernel matrix that must be positive definite is not.
    case notPositiveDefinite(String)
    /// An iterative or nonlinear solve failed.
    case solverFailed(String)

    /// The message.
    public var description: String {
        switch self {
        case .invalidProblem(let m): return m
        case .nonFinite(let what): return "\(what) contains NaN or infinite values"
        case .notPositiveDefinite(let m): return m
        case .solverFailed(let m): return m
        }
    }
}
