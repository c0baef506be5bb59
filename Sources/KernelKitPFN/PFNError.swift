/// Errors of the prior-data fitted network module (model files, priors, inputs).
public enum PFNError: Error, CustomStringConvertible, Equatable {
    /// An input the network or prior cannot use.
    case invalidInput(String)

    /// The message, suitable for a one-line CLI error.
    public var description: String {
        switch self {
        case .invalidInput(let m): return m
        }
    }
}
