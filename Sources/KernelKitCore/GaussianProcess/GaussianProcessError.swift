/// Data-dependent failures of Gaussian-process regression, each with a message that says what to
/// change. Programmer errors (mismatched shapes produced by code) are preconditions instead.
public enum GaussianProcessError: Error, Equatable, CustomStringConvertible {
    /// No training points were given.
    case emptyTrainingSet
    /// User data of inconsistent shape, e.g. 100 input rows but 99 targets.
    case shapeMismatch(String)
    /// NaN or ±∞ in the named input.
    case nonFinite(String)
    /// The kernel needs d-dimensional inputs (ARD lengthscales, a multi-dimensional spectral
    /// mixture) but the data has a different number of columns.
    case dimensionMismatch(kernelDimension: Int, dataDimension: Int, kernel: String)
    /// K + αI could not be factored even with the jitter policy's largest jitter.
    case notPositiveDefinite(kernel: String, jitter: Double)
    /// A configuration value outside its domain (negative alpha, negative restarts, …).
    case invalidParameter(String)
    /// Hyperparameter optimisation failed from every start.
    case optimizationFailed(String)
    /// A saved model record that cannot be loaded.
    case invalidModel(String)

    public var description: String {
        switch self {
        case .emptyTrainingSet:
            return "Gaussian process needs at least one training point"
        case let .shapeMismatch(message):
            return "shape mismatch: \(message)"
        case let .nonFinite(what):
            return "\(what) contains NaN or infinite values; remove or impute them first"
        case let .dimensionMismatch(k, d, kernel):
            return "kernel \(kernel) expects \(k)-dimensional inputs but the data has \(d) columns"
        case let .notPositiveDefinite(kernel, jitter):
            return "kernel matrix of \(kernel) is not positive definite even with jitter \(jitter); "
                + "add a white(noise=…) term, increase alpha, or remove duplicated inputs"
        case let .invalidParameter(message):
            return message
        case let .optimizationFailed(message):
            return "hyperparameter optimisation failed: \(message)"
        case let .invalidModel(message):
            return "invalid Gaussian process model: \(message)"
        }
    }
}
