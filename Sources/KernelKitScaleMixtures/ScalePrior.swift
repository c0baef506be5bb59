import Foundation
import KernelKitLinalg

/// A prior H on the last-layer variance σ² > 0, as a density h(σ²) (Lee, Yun, Yang & Lee, ICLR 2022,
/// §3: the scale mixture ∫ GP(0, σ²K) dH(σ²)). Every case is parameterised like SciPy's
/// distribution of the same name, so densities can be checked against `scipy.stats`.
///
/// Log densities are O(1) per evaluation. Construct through `validated()` or `parse(_:)` to have
/// the parameters checked; the density of an unchecked prior is meaningless outside its domain.
public enum ScalePrior: Sendable, CustomStringConvertible {
    /// σ² ~ IG(α, β): h(s) = β^α/Γ(α) · s^{−α−1} e^{−β/s} (SciPy `invgamma(a=α, scale=β)`). Gives the
    /// Student-t process with ν = 2α; the only prior with a closed form here.
    case inverseGamma(shape: Double, scale: Double)
    /// σ² ~ Burr XII(c, d) with scale λ: h(s) = (c d/λ) x^{c−1}(1 + x^c)^{−d−1}, x = s/λ (SciPy
    /// `burr12(c, d, scale=λ)`). Right tail s^{−cd−1}: heavier than the inverse gamma's for cd < α.
    case burr12(c: Double, d: Double, scale: Double)
    /// σ ~ half-Cauchy(0, S) on the standard deviation, i.e. h(s) = 1/(π S √s (1 + s/S²)) on σ² (SciPy
    /// `halfcauchy(scale=S)` for σ; Gelman 2006's default scale prior). Right tail s^{−3/2}.
    case halfCauchy(scale: Double)
    /// σ² ~ Gamma(k, θ): h(s) = s^{k−1} e^{−s/θ}/(Γ(k) θ^k) (SciPy `gamma(a=k, scale=θ)`).
    case gamma(shape: Double, scale: Double)
    /// log σ² ~ N(μ, s²): h(v) = exp(−(log v − μ)²/(2s²))/(v s √(2π)) (SciPy `lognorm(s, scale=e^μ)`).
    case logNormal(mu: Double, sigma: Double)
    /// A user-supplied log density log h(σ²) (it must be normalised for the evidence to be a
    /// likelihood; the posterior and predictive do not depend on the normalisation). It may return
    /// −∞ where h = 0, never NaN. `typicalValue` is a σ² > 0 near the bulk of h, used to locate the
    /// integrand.
    case custom(name: String, typicalValue: Double, logDensity: @Sendable (Double) -> Double)

    /// The names accepted by `parse(_:)`, with their parameters.
    public static let specificationHelp =
        "invgamma:ALPHA,BETA | burr12:C,D[,SCALE] | halfcauchy:S | gamma:K,THETA | lognormal:MU,S"

    /// Parses `name:p1,p2,…` (names case-insensitive: invgamma, burr12, halfcauchy, gamma, lognormal)
    /// and validates the parameters.
    /// - Throws: `ScaleMixtureError.parse` (unknown name, wrong count, not a number) or `.domain`.
    public static func parse(_ text: String) throws -> ScalePrior {
        let parts = text.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = parts.first, !first.isEmpty else {
            throw ScaleMixtureError.parse("empty prior; expected \(specificationHelp)")
        }
        let name = first.lowercased()
        let values: [Double] = try (parts.count > 1 ? parts[1].split(separator: ",", omittingEmptySubsequences: false) : []).map { raw in
            let t = raw.trimmingCharacters(in: .whitespaces)
            guard let v = Double(t) else { throw ScaleMixtureError.parse("prior '\(text)': '\(t)' is not a number") }
            return v
        }
        func need(_ counts: ClosedRange<Int>) throws {
            guard counts.contains(values.count) else {
                let want = counts.lowerBound == counts.upperBound ? "\(counts.lowerBound)" : "\(counts.lowerBound) or \(counts.upperBound)"
                throw ScaleMixtureError.parse("prior '\(name)' takes \(want) parameter\(counts.upperBound == 1 ? "" : "s"), got \(values.count) (\(specificationHelp))")
            }
        }
        let prior: ScalePrior
        switch name {
        case "invgamma", "inversegamma", "ig":
            try need(2...2); prior = .inverseGamma(shape: values[0], scale: values[1])
        case "burr12", "burrxii", "burr":
            try need(2...3); prior = .burr12(c: values[0], d: values[1], scale: values.count == 3 ? values[2] : 1)
        case "halfcauchy":
            try need(1...1); prior = .halfCauchy(scale: values[0])
        case "gamma":
            try need(2...2); prior = .gamma(shape: values[0], scale: values[1])
        case "lognormal", "lognorm":
            try need(2...2); prior = .logNormal(mu: values[0], sigma: values[1])
        default:
            throw ScaleMixtureError.parse("unknown prior '\(parts[0])'; expected \(specificationHelp)")
        }
        return try prior.validated()
    }

    /// The prior itself after checking its parameters are finite and in their domain
    /// (α, β, c, d, λ, S, k, θ, s > 0; μ finite; a custom typical value > 0).
    /// - Throws: `ScaleMixtureError.domain` naming the parameter.
    public func validated() throws -> ScalePrior {
        func positive(_ v: Double, _ what: String) throws {
            guard v > 0, v.isFinite else { throw ScaleMixtureError.domain("\(what) must be finite and > 0, got \(v)") }
        }
        switch self {
        case let .inverseGamma(a, b): try positive(a, "inverse-gamma shape α"); try positive(b, "inverse-gamma scale β")
        case let .burr12(c, d, l): try positive(c, "Burr XII c"); try positive(d, "Burr XII d"); try positive(l, "Burr XII scale")
        case let .halfCauchy(s): try positive(s, "half-Cauchy scale S")
        case let .gamma(k, t): try positive(k, "gamma shape k"); try positive(t, "gamma scale θ")
        case let .logNormal(mu, s):
            guard mu.isFinite else { throw ScaleMixtureError.domain("log-normal μ must be finite, got \(mu)") }
            try positive(s, "log-normal s")
        case let .custom(_, typical, _): try positive(typical, "custom prior typical value")
        }
        return self
    }

    /// log h(s) for s > 0 (−∞ for s ≤ 0). O(1); may throw only for the log-gamma normaliser.
    public func logDensity(_ s: Double) throws -> Double {
        guard s > 0 else { return -.infinity }
        let ls = log(s)
        switch self {
        case let .inverseGamma(a, b):
            return a * log(b) - (try SpecialFunctions.logGamma(a)) - (a + 1) * ls - b / s
        case let .burr12(c, d, l):
            let lx = ls - log(l)
            // log1p(x^c) without overflow: c·log x + log1p(x^{−c}) for x > 1.
            let log1pxc = lx > 0 ? c * lx + log1p(exp(-c * lx)) : log1p(exp(c * lx))
            return log(c) + log(d) - log(l) + (c - 1) * lx - (d + 1) * log1pxc
        case let .halfCauchy(sc):
            return -log(Double.pi) - log(sc) - 0.5 * ls - log1p(s / (sc * sc))
        case let .gamma(k, t):
            return (k - 1) * ls - s / t - (try SpecialFunctions.logGamma(k)) - k * log(t)
        case let .logNormal(mu, sg):
            let z = (ls - mu) / sg
            return -ls - log(sg) - 0.5 * log(2 * Double.pi) - 0.5 * z * z
        case let .custom(_, _, f):
            return f(s)
        }
    }

    /// A σ² > 0 in the bulk of the prior (its mode or median), where the integration starts looking.
    public var typicalValue: Double {
        switch self {
        case let .inverseGamma(a, b): return b / (a + 1)
        case let .burr12(_, _, l): return l
        case let .halfCauchy(s): return s * s
        case let .gamma(k, t): return k * t
        case let .logNormal(mu, _): return exp(mu)
        case let .custom(_, v, _): return v
        }
    }

    /// One draw σ² ~ H (for importance sampling with the prior as proposal). Inverse gamma as 1/Gamma;
    /// Burr XII by inversion x = λ·(u^{−1/d} − 1)^{1/c}; half-Cauchy σ = S·tan(πu/2); gamma by
    /// Marsaglia–Tsang; log-normal as exp(μ + sZ). O(1) expected.
    /// - Throws: `ScaleMixtureError.domain` for a custom prior (no sampler is known).
    public func sample(using g: inout SeededGenerator) throws -> Double {
        switch self {
        case let .inverseGamma(a, b): return 1 / (try g.gamma(shape: a, scale: 1 / b))
        case let .burr12(c, d, l): return l * pow(expm1(-log(g.uniformOpen()) / d), 1 / c)
        case let .halfCauchy(s):
            let sd = s * tan(Double.pi * g.uniformOpen() / 2)
            return sd * sd
        case let .gamma(k, t): return try g.gamma(shape: k, scale: t)
        case let .logNormal(mu, sg): return exp(mu + sg * g.standardNormal())
        case let .custom(name, _, _):
            throw ScaleMixtureError.domain("cannot sample from the custom prior '\(name)'; use the matched inverse-gamma proposal")
        }
    }

    /// The prior as `name:params`, the syntax `parse(_:)` reads.
    public var description: String {
        func f(_ x: Double) -> String { String(x) }
        switch self {
        case let .inverseGamma(a, b): return "invgamma:\(f(a)),\(f(b))"
        case let .burr12(c, d, l): return "burr12:\(f(c)),\(f(d))" + (l == 1 ? "" : ",\(f(l))")
        case let .halfCauchy(s): return "halfcauchy:\(f(s))"
        case let .gamma(k, t): return "gamma:\(f(k)),\(f(t))"
        case let .logNormal(mu, s): return "lognormal:\(f(mu)),\(f(s))"
        case let .custom(name, _, _): return "custom:\(name)"
        }
    }
}
