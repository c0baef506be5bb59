/// Data-dependent failures of kernel density estimation (bad data, bad parameters). Each message says
/// what to change.
public enum KernelDensityError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The dataset has no points (or no columns).
    case emptyData
    /// An input array (`what`: "data", "queries") contains NaN or ±∞.
    case nonFinite(what: String)
    /// A bandwidth that is not finite and > 0.
    case invalidBandwidth(Double)
    /// Queries (or a requested operation) with a dimension different from the data's.
    case dimensionMismatch(expected: Int, got: Int)
    /// A privacy parameter ε that is not finite and > 0.
    case invalidEpsilon(Double)
    /// Any other parameter outside its domain, with an explanation.
    case invalidParameter(String)
    /// A bandwidth could not be selected from the data (e.g. zero spread, or a likelihood unbounded
    /// as h → 0 because of duplicated points), with an explanation.
    case bandwidthSelectionFailed(String)

    public var description: String {
        switch self {
        case .emptyData:
            return "the dataset is empty: kernel density estimation needs at least one point with at least one coordinate"
        case let .nonFinite(what):
            return "\(what) contains NaN or infinite values; remove or impute them first"
        case let .invalidBandwidth(h):
            return "bandwidth must be finite and > 0, got \(h)"
        case let .dimensionMismatch(expected, got):
            return "dimension mismatch: the data have \(expected) columns but the input has \(got)"
        case let .invalidEpsilon(e):
            return "privacy parameter epsilon must be finite and > 0, got \(e)"
        case let .invalidParameter(message):
            return message
        case let .bandwidthSelectionFailed(message):
            return "bandwidth selection failed: \(message)"
        }
    }
}
