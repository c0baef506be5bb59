/// Errors of the PDE solver module (problem definition, grids, solver failures).
public enum PDEError: Error, CustomStringConvertible, Equatable {
    /// A problem or grid specification the solver cannot use.
    case invalidProblem(String)

    public var description: String {
        switch self {
        case .invalidProblem(let m): return m
        }
    }
}
