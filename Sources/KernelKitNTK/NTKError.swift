/// Failures of the infinite-width kernel computations that a user's input or architecture can cause.
public enum NTKError: Error, Equatable, CustomStringConvertible {
    /// An architecture that cannot be built (bad parameter, unknown layer) — message says which.
    case invalidLayer(String)
    /// An architecture description that cannot be parsed; `position` is a 0-based character offset.
    case parse(message: String, position: Int)
    /// Inputs whose shapes do not fit (e.g. X and X2 with different numbers of features).
    case shapeMismatch(String)
    /// NaN or infinite values in an input.
    case nonFinite(String)
    /// A dual that is undefined at these covariances (e.g. zero variance into LayerNorm).
    case degenerate(String)

    public var description: String {
        switch self {
        case let .invalidLayer(m): return "invalid layer: \(m)"
        case let .parse(m, p): return "cannot parse architecture at character \(p + 1): \(m)"
        case let .shapeMismatch(m): return "shape mismatch: \(m)"
        case let .nonFinite(m): return "\(m) contains NaN or infinite values"
        case let .degenerate(m): return m
        }
    }
}
