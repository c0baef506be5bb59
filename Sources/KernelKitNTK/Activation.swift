import Foundation
import KernelKitLinalg

/// An elementwise nonlinearity φ together with its *dual* — the map that an infinitely wide layer
/// applies to the covariance of its Gaussian pre-activations:
///
///     K′  = E[φ(u) φ(v)],      Θ-factor  = E[φ′(u) φ′(v)],   (u, v) ~ N(0, [[k₁₁, k₁₂], [k₁₂, k₂₂]])
///
/// (uncentred second moments, as in neural-tangents). All duals here are closed forms except
/// `.numerical`, which integrates with 2-D Gauss–Hermite quadrature.
///
/// Sources: arc-cosine duals (ReLU family) Cho & Saul 2009 and Lee et al. 2018; erf Williams 1997;
/// the others derived with Stein's lemma / Price's theorem (∂E[φφ]/∂k₁₂ = E[φ′φ′]) and Mehler's
/// expansion for polynomials. Parameter conventions follow neural-tangents 0.6.5 `stax`.
public enum Activation: Sendable, CustomStringConvertible {
    /// φ(x) = a·min(x, 0) + b·max(x, 0). ReLU = (0, 1), LeakyReLU(α) = (α, 1), Abs = (−1, 1).
    case abRelu(a: Double, b: Double)
    /// φ(x) = a·erf(b·x) + c.
    case erf(a: Double, b: Double, c: Double)
    /// Exact GELU φ(x) = x·Φ(x), Φ the standard normal CDF.
    case gelu
    /// φ(x) = a·sin(b·x + c). Cos(a, b, c) = Sin(a, b, c + π/2); Rbf(γ) = Sin(√2, √(2γ), π/4).
    case sin(a: Double, b: Double, c: Double)
    /// φ(x) = a·exp(b·x).
    case exp(a: Double, b: Double)
    /// φ(x) = a·exp(b·x²) (needs b < 1/(4·max variance) for a finite second moment).
    case gaussian(a: Double, b: Double)
    /// φ(x) = sign(x). Its derivative is 0 almost everywhere, so the NTK contribution is 0.
    case sign
    /// φ(x) = Σₖ cₖ xᵏ (Monomial(k) is the coefficient vector eₖ).
    case polynomial([Double])
    /// φ(x) = max(x, 0)ᵏ, k ≥ 0 (k = 0 is the step function; its NTK factor is 0). Closed form for
    /// every k through `ArcCosinePolynomials`; coefficients grow like (2k)!, so k ≲ 20 in Float64.
    case rectifiedMonomial(Int)
    /// Normalised probabilists' Hermite polynomial Heₖ(x)/√(k!), 1 ≤ k ≤ 6. Like neural-tangents, the
    /// dual K ↦ Kᵏ assumes unit-variance inputs (k₁₁ = k₂₂ = 1).
    case hermite(Int)
    /// Any φ given φ and φ′, integrated by `order`×`order` Gauss–Hermite quadrature. Accurate to
    /// roughly machine precision for entire functions of moderate growth with order ≥ 40; slow for
    /// kinked φ (use the closed forms there).
    case numerical(name: String, phi: @Sendable (Double) -> Double, derivative: @Sendable (Double) -> Double, order: Int)

    // MARK: Named constructors mirroring stax

    /// ReLU: max(x, 0).
    public static let relu = Activation.abRelu(a: 0, b: 1)
    /// LeakyReLU: α·min(x, 0) + max(x, 0).
    public static func leakyRelu(_ alpha: Double) -> Activation { .abRelu(a: alpha, b: 1) }
    /// |x|.
    public static let abs = Activation.abRelu(a: -1, b: 1)
    /// stax's Sigmoid_like: 0.5·erf(x/2.4020563531719796) + 0.5.
    public static let sigmoidLike = Activation.erf(a: 0.5, b: 1 / 2.4020563531719796, c: 0.5)
    /// a·cos(b·x + c).
    public static func cos(a: Double = 1, b: Double = 1, c: Double = 0) -> Activation {
        .sin(a: a, b: b, c: c + Double.pi / 2)
    }
    /// Rbf(γ): the activation √2·sin(√(2γ)·x + π/4), whose dual is exp(−γ(k₁₁ + k₂₂ − 2k₁₂)).
    public static func rbf(gamma: Double = 1) -> Activation {
        .sin(a: 2.0.squareRoot(), b: (2 * gamma).squareRoot(), c: Double.pi / 4)
    }
    /// xᵏ.
    public static func monomial(_ k: Int) -> Activation {
        precondition(k >= 0, "monomial degree must be ≥ 0")
        var c = [Double](repeating: 0, count: k + 1)
        c[k] = 1
        return .polynomial(c)
    }
    /// tanh, through Gauss–Hermite quadrature with 64 nodes per dimension.
    public static let tanh = Activation.numerical(
        name: "tanh", phi: { Foundation.tanh($0) },
        derivative: { let t = Foundation.tanh($0); return 1 - t * t }, order: 64)

    public var description: String {
        switch self {
        case let .abRelu(a, b):
            if a == 0 && b == 1 { return "relu" }
            if a == -1 && b == 1 { return "abs" }
            if b == 1 { return "leaky_relu(\(a))" }
            return "ab_relu(\(a),\(b))"
        case let .erf(a, b, c): return "erf(\(a),\(b),\(c))"
        case .gelu: return "gelu"
        case let .sin(a, b, c): return "sin(\(a),\(b),\(c))"
        case let .exp(a, b): return "exp(\(a),\(b))"
        case let .gaussian(a, b): return "gaussian(\(a),\(b))"
        case .sign: return "sign"
        case let .polynomial(c): return "polynomial(\(c.map { "\($0)" }.joined(separator: ",")))"
        case let .rectifiedMonomial(k): return "rectified_monomial(\(k))"
        case let .hermite(k): return "hermite(\(k))"
        case let .numerical(name, _, _, order): return "numerical(\(name),order=\(order))"
        }
    }

    /// Checks parameters that would make the dual undefined.
    func validate() throws {
        switch self {
        case let .rectifiedMonomial(k) where k < 0:
            throw NTKError.invalidLayer("rectified_monomial degree must be ≥ 0, got \(k)")
        case let .hermite(k) where !(1...6).contains(k):
            throw NTKError.invalidLayer("hermite degree must be between 1 and 6, got \(k)")
        case let .numerical(_, _, _, order) where order < 2:
            throw NTKError.invalidLayer("numerical activation needs quadrature order ≥ 2, got \(order)")
        case let .polynomial(c) where c.isEmpty:
            throw NTKError.invalidLayer("polynomial needs at least one coefficient")
        default:
            return
        }
    }
}
