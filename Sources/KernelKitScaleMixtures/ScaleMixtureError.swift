/// Failures of scale-mixture inference that a user's data or parameters can cause. Programmer
/// errors in code (matrices of inconsistent shape built by the caller's own code) are reported here
/// too, because in this module shapes usually come from user files.
public enum ScaleMixtureError: Error, Equatable, CustomStringConvertible {
    /// A prior or method parameter outside its domain (e.g. an inverse-gamma shape α ≤ 0).
    case domain(String)
    /// Inputs whose shapes do not fit (train/test kernels, targets).
    case shapeMismatch(String)
    /// K + εI is not positive definite (message names ε and what to do).
    case notPositiveDefinite(String)
    /// A prior specification string that cannot be parsed (unknown name, wrong number of values).
    case parse(String)
    /// A numerical route failed (an integral that does not converge, all importance weights zero).
    case numerical(String)

    public var description: String {
        switch self {
        case let .domain(m): return m
        case let .shapeMismatch(m): return "shape mismatch: \(m)"
        case let .notPositiveDefinite(m): return m
        case let .parse(m): return m
        case let .numerical(m): return m
        }
    }
}
