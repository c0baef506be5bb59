/// The posterior summary of a scale mixture of GPs, however it was computed.
///
/// Conventions (the ICLR 2022 paper's and the reference file's): `predictiveVariance` is the
/// variance of the latent f*ᵢ, E[σ² | y]·Cᵢᵢ; `logPredictiveDensity` is the density of noisy test
/// targets, log ∫ N(y*ᵢ; μᵢ, σ²(Cᵢᵢ + ε)) dH(σ² | y), unless requested noise-free.
public struct ScaleMixtureFit: Sendable {
    /// How the mixture over σ² was integrated.
    public enum Method: String, Sendable, CaseIterable {
        /// The inverse-gamma prior's closed form (Student-t process).
        case closedForm = "closed-form"
        /// Adaptive 1-D quadrature over log σ² (QUADPACK through GSL).
        case quadrature
        /// Self-normalised importance sampling over σ².
        case importance
    }

    /// Accuracy information of the route that produced the fit.
    public enum Diagnostics: Sendable, Equatable {
        /// Closed form: exact up to floating-point round-off.
        case exact
        /// Quadrature: the largest relative error estimate reported by the adaptive integrator
        /// over all integrals (an estimate, not a bound).
        case quadrature(relativeErrorEstimate: Double)
        /// Importance sampling with `samples` draws: effective sample size (Σw)²/Σw² (Kong 1992),
        /// and the delta-method standard errors of log p(y) (sd(w)/(√N·mean w)) and of E[σ² | y]
        /// (√(Σ w̄ᵢ²(σ²ᵢ − m̂)²) with normalised weights w̄).
        case importance(samples: Int, effectiveSampleSize: Double,
                        logMarginalLikelihoodStandardError: Double, posteriorMeanStandardError: Double)
    }

    /// The route.
    public let method: Method
    /// log p(y) = log ∫ N(y; 0, σ²A) dH(σ²).
    public let logMarginalLikelihood: Double
    /// E[σ² | y] (+∞ when it does not exist).
    public let posteriorMeanSigma2: Double
    /// μ, the predictive mean (the GP mean: it does not depend on σ²).
    public let predictiveMean: [Double]
    /// Var[f*ᵢ | y] = E[σ² | y]·Cᵢᵢ.
    public let predictiveVariance: [Double]
    /// log p(y*ᵢ | y) per test point, when test targets were given.
    public let logPredictiveDensity: [Double]?
    /// (α + n/2, β + q/2) for the inverse-gamma prior in closed form; nil otherwise.
    public let inverseGammaPosterior: (shape: Double, scale: Double)?
    /// ν + n, the predictive Student-t degrees of freedom (closed form only).
    public let degreesOfFreedom: Double?
    /// Accuracy information.
    public let diagnostics: Diagnostics

    /// A fit record (built by the inference routes; public so callers can assemble their own).
    public init(method: Method, logMarginalLikelihood: Double, posteriorMeanSigma2: Double,
                predictiveMean: [Double], predictiveVariance: [Double], logPredictiveDensity: [Double]?,
                inverseGammaPosterior: (shape: Double, scale: Double)?, degreesOfFreedom: Double?,
                diagnostics: Diagnostics) {
        self.method = method
        self.logMarginalLikelihood = logMarginalLikelihood
        self.posteriorMeanSigma2 = posteriorMeanSigma2
        self.predictiveMean = predictiveMean
        self.predictiveVariance = predictiveVariance
        self.logPredictiveDensity = logPredictiveDensity
        self.inverseGammaPosterior = inverseGammaPosterior
        self.degreesOfFreedom = degreesOfFreedom
        self.diagnostics = diagnostics
    }
}
