#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// One positive kernel hyperparameter (a lengthscale, a period, a variance, …).
///
/// Positivity is enforced by reparameterisation, as in scikit-learn and GPyTorch: optimisers see
/// θ = log(value) (`logValue`) and the box `logBounds`, so every θ ∈ ℝ maps to a valid kernel.
/// `bounds` are stated in natural units (0 < lower ≤ upper); a fixed hyperparameter keeps its value
/// during hyperparameter optimisation (scikit-learn's `bounds="fixed"`).
///
/// The value may lie outside its bounds (e.g. set by hand); an optimiser starts from the value
/// clamped into the bounds.
public struct Hyperparameter: Sendable, Hashable, Codable {
    /// Name, e.g. `"rbf.length"`; composite kernels prefix their terms' names (`"k2.rbf.length"`).
    public var name: String
    /// Value in natural units, strictly positive and finite.
    public var value: Double
    /// Box for optimisation, natural units, `0 < lower ≤ upper < ∞`.
    public var bounds: ClosedRange<Double>
    /// When true the value is excluded from optimisation.
    public var isFixed: Bool

    /// scikit-learn's default box for every hyperparameter, [1e-5, 1e5].
    public static let defaultBounds: ClosedRange<Double> = 1e-5...1e5

    /// A hyperparameter. Preconditions (programmer errors): `value` positive and finite, bounds
    /// positive and finite. Parsers validate user input and throw before calling this.
    public init(name: String, value: Double, bounds: ClosedRange<Double> = Hyperparameter.defaultBounds,
                isFixed: Bool = false) {
        precondition(value > 0 && value.isFinite, "Hyperparameter \(name) must be positive and finite, got \(value)")
        precondition(bounds.lowerBound > 0 && bounds.upperBound.isFinite,
                     "Hyperparameter \(name) bounds must be positive and finite, got \(bounds)")
        self.name = name
        self.value = value
        self.bounds = bounds
        self.isFixed = isFixed
    }

    /// θ = log(value), the coordinate optimisers work in.
    public var logValue: Double {
        get { log(value) }
        set { value = exp(newValue) }
    }

    /// [log lower, log upper].
    public var logBounds: ClosedRange<Double> { log(bounds.lowerBound)...log(bounds.upperBound) }

    /// The same hyperparameter under a new name (used by composite kernels to prefix names).
    func renamed(_ newName: String) -> Hyperparameter {
        var h = self
        h.name = newName
        return h
    }
}
