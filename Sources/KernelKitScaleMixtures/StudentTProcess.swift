import Foundation
import KernelKitLinalg

/// The Student-t process: the scale mixture of `ScaleFamilyGP` under σ² ~ IG(α, β), in closed form.
///
/// With A = K + εI, q = yᵀA⁻¹y, n training targets (Lee, Yun, Yang & Lee, ICLR 2022, §3.1;
/// Shah, Wilson & Ghahramani, AISTATS 2014):
/// - marginally y ~ MVT_n(ν = 2α, 0, (β/α)A), with log marginal likelihood
///   log Γ(α + n/2) − log Γ(α) − (n/2) log 2π − ½ log det A − (n/2) log(β + q/2) − α log(1 + q/(2β));
/// - posterior σ² | y ~ IG(α + n/2, β + q/2);
/// - predictive f* | y ~ MVT(ν + n, μ, m·C) with m = (β + q/2)/(α + n/2), covariance m·C·(ν+n)/(ν+n−2).
///
/// log Γ(α + n/2) − log Γ(α) is evaluated as one Stirling difference for large α, so the ν → ∞ limit
/// (α = β = ν/2 → the GP with σ² = 1) keeps full relative accuracy. All quantities O(1) after the
/// O(n³) conditioning, except the m × m matrices (O(m²)).
public struct StudentTProcess: Sendable {
    /// The conditional GP (q, log det A, μ, C).
    public let base: ScaleFamilyGP
    /// Prior shape α > 0.
    public let priorShape: Double
    /// Prior scale β > 0.
    public let priorScale: Double
    /// log p(y) under the inverse-gamma mixture (formula in the type's documentation).
    public let logMarginalLikelihood: Double

    /// A Student-t process from the conditional GP and IG(α, β).
    /// - Throws: `ScaleMixtureError.domain` unless α, β are finite and > 0.
    public init(base: ScaleFamilyGP, shape alpha: Double, scale beta: Double) throws {
        _ = try ScalePrior.inverseGamma(shape: alpha, scale: beta).validated()
        self.base = base
        priorShape = alpha
        priorScale = beta
        let n = Double(base.count), q = base.quadraticForm
        logMarginalLikelihood = try logGammaRatio(alpha, plus: n / 2) - 0.5 * n * log(2 * Double.pi)
            - 0.5 * base.logDeterminant - 0.5 * n * log(beta + q / 2) - alpha * log1p(q / (2 * beta))
    }

    /// ν = 2α, the prior degrees of freedom.
    public var priorDegreesOfFreedom: Double { 2 * priorShape }
    /// α + n/2, the posterior shape of σ².
    public var posteriorShape: Double { priorShape + Double(base.count) / 2 }
    /// β + q/2, the posterior scale of σ².
    public var posteriorScale: Double { priorScale + base.quadraticForm / 2 }
    /// ν + n = 2α + n, the predictive degrees of freedom.
    public var degreesOfFreedom: Double { 2 * posteriorShape }
    /// m = (β + q/2)/(α + n/2): the predictive scale matrix is m·C.
    public var scaleMultiplier: Double { posteriorScale / posteriorShape }
    /// E[σ² | y] = (β + q/2)/(α + n/2 − 1); +∞ when α + n/2 ≤ 1 (the posterior mean does not exist).
    public var posteriorMeanSigma2: Double {
        posteriorShape > 1 ? posteriorScale / (posteriorShape - 1) : .infinity
    }
    /// The predictive scale matrix m·C (nil without a test kernel). O(m²).
    public var predictiveScaleMatrix: Matrix? { base.conditionalCovariance.map { scaleMultiplier * $0 } }
    /// The predictive covariance m·C·(ν+n)/(ν+n−2) (nil without a test kernel or when ν + n ≤ 2,
    /// where it is infinite). O(m²).
    public var predictiveCovariance: Matrix? {
        guard degreesOfFreedom > 2, let c = base.conditionalCovariance else { return nil }
        return (scaleMultiplier * degreesOfFreedom / (degreesOfFreedom - 2)) * c
    }
    /// Var[f*ᵢ | y] = E[σ² | y]·Cᵢᵢ per test point (+∞ when ν + n ≤ 2). O(m).
    public var predictiveVariance: [Double] {
        base.conditionalVariance.map { $0 == 0 ? 0 : posteriorMeanSigma2 * $0 }
    }

    /// log of the 1-D Student-t predictive density of each test value:
    /// log t_{ν+n}(y*ᵢ; μᵢ, m·vᵢ) with vᵢ = Cᵢᵢ + ε for noisy targets (`noisy`, the reference's
    /// convention) or vᵢ = Cᵢᵢ for the latent f*. log t_d(x; μ, s²) =
    /// log Γ((d+1)/2) − log Γ(d/2) − ½ log(dπs²) − ((d+1)/2) log(1 + (x−μ)²/(d s²)). O(m).
    /// - Throws: `.shapeMismatch` when the count differs from the test points, `.domain` for a
    ///   zero variance (noise-free prediction at a training input) or non-finite targets.
    public func logPredictiveDensity(_ yStar: [Double], noisy: Bool = true) throws -> [Double] {
        guard yStar.count == base.conditionalVariance.count else {
            throw ScaleMixtureError.shapeMismatch("\(yStar.count) test targets for \(base.conditionalVariance.count) test points with variances")
        }
        let d = degreesOfFreedom
        let normaliser = try logGammaRatio(d / 2, plus: 0.5) - 0.5 * log(d * Double.pi)
        return try yStar.indices.map { i in
            let s2 = scaleMultiplier * base.pointVariance(i, noisy: noisy)
            guard s2 > 0, yStar[i].isFinite else {
                throw ScaleMixtureError.domain("test point \(i): zero predictive variance or non-finite target")
            }
            let r = yStar[i] - base.predictiveMean[i]
            return normaliser - 0.5 * log(s2) - 0.5 * (d + 1) * log1p(r * r / (d * s2))
        }
    }

    /// The summary in the form every route returns (method `.closedForm`).
    /// - Throws: as `logPredictiveDensity` when `testTargets` are given.
    public func fit(testTargets: [Double]? = nil, noisy: Bool = true) throws -> ScaleMixtureFit {
        ScaleMixtureFit(
            method: .closedForm, logMarginalLikelihood: logMarginalLikelihood,
            posteriorMeanSigma2: posteriorMeanSigma2, predictiveMean: base.predictiveMean,
            predictiveVariance: predictiveVariance,
            logPredictiveDensity: try testTargets.map { try logPredictiveDensity($0, noisy: noisy) },
            inverseGammaPosterior: (posteriorShape, posteriorScale), degreesOfFreedom: degreesOfFreedom,
            diagnostics: .exact)
    }
}
