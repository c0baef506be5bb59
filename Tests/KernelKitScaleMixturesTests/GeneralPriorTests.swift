import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing
@testable import KernelKitScaleMixtures

/// General scale priors by quadrature and importance sampling: the reference's Burr XII numbers
/// (SciPy quadrature; tolerance 1e-8 relative as the issue requires), agreement of the three routes
/// for the inverse-gamma prior, normalisation of priors, posteriors and predictive densities.
@Suite("Scale mixtures under general priors")
struct GeneralPriorTests {
    static let builtIn: [ScalePrior] = [
        .inverseGamma(shape: 2, scale: 2), .burr12(c: 2, d: 1, scale: 1), .burr12(c: 1.5, d: 0.7, scale: 3),
        .halfCauchy(scale: 1.3), .gamma(shape: 0.8, scale: 20), .logNormal(mu: 1, sigma: 1.5),
    ]

    @Test("Burr XII(2, 1) by quadrature matches the reference evidence, E[σ²|y], predictive variances and noisy densities to 1e-8")
    func burrReference() throws {
        let ref = Reference.generalPriors[0]
        #expect(ref["prior"] as? String == "burr12")
        let model = try ScaleMixtureModel(base: try Reference.base(), prior: .burr12(c: 2, d: 1, scale: 1))
        let fit = try model.quadrature(testTargets: Reference.vector("y_star", in: ref))
        expectClose(fit.logMarginalLikelihood, Reference.number("log_evidence", in: ref), rtol: 1e-8, "log evidence")
        expectClose(fit.posteriorMeanSigma2, Reference.number("posterior_mean_sigma2", in: ref), rtol: 1e-8, "E[σ²|y]")
        expectClose(fit.predictiveMean, Reference.vector("pred_mean", in: ref), rtol: 1e-10, "mean")
        expectClose(fit.predictiveVariance, Reference.vector("pred_var_f", in: ref), rtol: 1e-8, "Var f*")
        expectClose(try #require(fit.logPredictiveDensity), Reference.vector("log_pred_density_noisy_y_star", in: ref),
                    rtol: 1e-8, "noisy log predictive density")
        guard case let .quadrature(err) = fit.diagnostics else { Issue.record("diagnostics \(fit.diagnostics)"); return }
        #expect(err < 1e-9, "quadrature error estimate \(err)")
    }

    @Test("inverse gamma: closed form = quadrature (1e-9 relative) for random (α, β), and = the reference's IG-by-quadrature entry")
    func closedFormEqualsQuadrature() async throws {
        let base = try Reference.base()
        let ref = Reference.generalPriors[1]
        let fit22 = try ScaleMixtureModel(base: base, prior: .inverseGamma(shape: 2, scale: 2)).quadrature(testTargets: Reference.yStar)
        expectClose(fit22.logMarginalLikelihood, Reference.number("log_evidence", in: ref), rtol: 1e-9)
        expectClose(fit22.posteriorMeanSigma2, Reference.number("posterior_mean_sigma2", in: ref), rtol: 1e-9)
        await propertyCheck(count: 25, input: Gen.double(in: 0.3...30), Gen.double(in: 0.01...100)) { alpha, beta in
            let exact = try StudentTProcess(base: base, shape: alpha, scale: beta).fit(testTargets: Reference.yStar)
            let quad = try ScaleMixtureModel(base: base, prior: .inverseGamma(shape: alpha, scale: beta)).quadrature(testTargets: Reference.yStar)
            expectClose(quad.logMarginalLikelihood, exact.logMarginalLikelihood, rtol: 1e-9, "lml α=\(alpha) β=\(beta)")
            expectClose(quad.posteriorMeanSigma2, exact.posteriorMeanSigma2, rtol: 1e-9, "E[σ²]")
            expectClose(quad.predictiveVariance, exact.predictiveVariance, rtol: 1e-9, "Var f*")
            expectClose(quad.logPredictiveDensity!, exact.logPredictiveDensity!, rtol: 1e-9, "lpd")
        }
    }

    @Test("inverse gamma: importance sampling agrees with the closed form within 5 standard errors, the errors are small, and a seed reproduces the result",
          arguments: [(ScaleMixtureModel.Proposal.matchedInverseGamma, 2.0), (.prior, 100.0)])
    func importanceSamplingAgrees(_ proposal: ScaleMixtureModel.Proposal, _ beta: Double) throws {
        // The prior proposal is tried with IG(2, 100), whose bulk covers the likelihood (q/n ≈ 65);
        // under IG(2, 2) the likelihood lies in the prior's far tail (ESS ≈ 40 of 20,000).
        let base = try Reference.base()
        let exact = try StudentTProcess(base: base, shape: 2, scale: beta).fit(testTargets: Reference.yStar)
        let model = try ScaleMixtureModel(base: base, prior: .inverseGamma(shape: 2, scale: beta))
        let n = 20_000
        let fit = try model.importanceSampling(samples: n, seed: 11, proposal: proposal, testTargets: Reference.yStar)
        guard case let .importance(samples, ess, seLogZ, seMean) = fit.diagnostics else {
            Issue.record("diagnostics \(fit.diagnostics)"); return
        }
        #expect(samples == n)
        #expect(ess > 0.05 * Double(n) && ess <= Double(n), "ESS \(ess)")
        #expect(seLogZ < 0.05 && seMean < 0.05 * exact.posteriorMeanSigma2, "standard errors \(seLogZ), \(seMean)")
        #expect(abs(fit.logMarginalLikelihood - exact.logMarginalLikelihood) < 5 * seLogZ,
                "log evidence \(fit.logMarginalLikelihood) vs \(exact.logMarginalLikelihood) (SE \(seLogZ))")
        #expect(abs(fit.posteriorMeanSigma2 - exact.posteriorMeanSigma2) < 5 * seMean,
                "E[σ²|y] \(fit.posteriorMeanSigma2) vs \(exact.posteriorMeanSigma2) (SE \(seMean))")
        // The noisy densities are smooth functionals of the weights: within 5·(relative SE of E[σ²]) in log.
        let rel = 5 * seMean / exact.posteriorMeanSigma2
        expectClose(fit.logPredictiveDensity!, exact.logPredictiveDensity!, rtol: 0, atol: Swift.max(rel, 1e-3), "lpd")
        let again = try model.importanceSampling(samples: n, seed: 11, proposal: proposal, testTargets: Reference.yStar)
        #expect(again.logMarginalLikelihood == fit.logMarginalLikelihood && again.posteriorMeanSigma2 == fit.posteriorMeanSigma2)
    }

    @Test("importance sampling agrees with quadrature for every built-in prior and a custom log density (5 standard errors)")
    func importanceVersusQuadrature() throws {
        let base = try Reference.base()
        let custom = ScalePrior.custom(name: "ig(3,1)", typicalValue: 0.25) { s in
            3 * log(1.0) - lgamma(3) - 4 * log(s) - 1 / s
        }
        for prior in Self.builtIn + [custom] {
            let model = try ScaleMixtureModel(base: base, prior: prior)
            let quad = try model.quadrature()
            let mc = try model.importanceSampling(samples: 20_000, seed: 3)
            guard case let .importance(_, ess, seLogZ, seMean) = mc.diagnostics else { Issue.record(); continue }
            #expect(ess > 1000, "\(prior): ESS \(ess)")
            #expect(abs(mc.logMarginalLikelihood - quad.logMarginalLikelihood) < 5 * seLogZ,
                    "\(prior): log evidence \(mc.logMarginalLikelihood) vs \(quad.logMarginalLikelihood) (SE \(seLogZ))")
            #expect(abs(mc.posteriorMeanSigma2 - quad.posteriorMeanSigma2) < 5 * seMean,
                    "\(prior): E[σ²|y] \(mc.posteriorMeanSigma2) vs \(quad.posteriorMeanSigma2) (SE \(seMean))")
        }
        // The custom density equals IG(3, 1): its quadrature equals the closed form (1e-9).
        let exact = try StudentTProcess(base: base, shape: 3, scale: 1)
        let viaCustom = try ScaleMixtureModel(base: base, prior: custom).quadrature()
        expectClose(viaCustom.logMarginalLikelihood, exact.logMarginalLikelihood, rtol: 1e-9)
    }

    @Test("each built-in prior density integrates to 1 over σ² > 0 (1e-9), and its sampler matches its CDF at two points (4.5 binomial SDs)")
    func priorsAreNormalisedAndSampled() throws {
        for prior in Self.builtIn {
            let f: (Double) throws -> Double = { s in exp(try prior.logDensity(s)) }
            let m = prior.typicalValue
            // Split at the typical value; the lower piece handles integrable singularities at 0 (QAGS).
            let total = try Quadrature.integrate(f, from: 0, to: m, relativeTolerance: 1e-12).value
                + Quadrature.integrate(f, from: m, to: .infinity, relativeTolerance: 1e-12).value
            expectClose(total, 1, rtol: 1e-9, "\(prior) normalisation")
            var g = SeededGenerator(seed: 5)
            let n = 20_000
            let draws = try (0..<n).map { _ in try prior.sample(using: &g) }
            #expect(draws.allSatisfy { $0 > 0 && $0.isFinite })
            for x in [0.5 * m, 3 * m] {
                let cdf = try Quadrature.integrate(f, from: 0, to: x, relativeTolerance: 1e-12).value
                let empirical = Double(draws.filter { $0 <= x }.count) / Double(n)
                let sd = (cdf * (1 - cdf) / Double(n)).squareRoot()
                #expect(abs(empirical - cdf) < 4.5 * sd + 1e-9, "\(prior) CDF at \(x): \(empirical) vs \(cdf)")
            }
        }
    }

    @Test("the posterior of σ² is a proper density: ∫ p(σ²|y) dσ² = 1 directly over σ² (1e-8) for every prior")
    func posteriorIsProper() throws {
        let base = try Reference.base()
        for prior in Self.builtIn {
            let model = try ScaleMixtureModel(base: base, prior: prior)
            let fit = try model.quadrature()
            let p: (Double) throws -> Double = { s in exp(try model.logPosteriorDensity(sigma2: s, logMarginalLikelihood: fit.logMarginalLikelihood)) }
            let mid = fit.posteriorMeanSigma2
            let total = try Quadrature.integrate(p, from: 0, to: mid, relativeTolerance: 1e-12).value
                + Quadrature.integrate(p, from: mid, to: .infinity, relativeTolerance: 1e-12).value
            expectClose(total, 1, rtol: 1e-8, "\(prior)")
        }
    }

    @Test("the mixture predictive density of a noisy and of a latent test value integrates to 1 (1e-7) under Burr XII and half-Cauchy")
    func predictiveIntegratesToOne() throws {
        let base = try Reference.base()
        for prior in [ScalePrior.burr12(c: 2, d: 1, scale: 1), .halfCauchy(scale: 1)] {
            let model = try ScaleMixtureModel(base: base, prior: prior)
            let logZ = try model.quadrature().logMarginalLikelihood
            for noisy in [true, false] {
                let i = 1
                let f: (Double) throws -> Double = { y in
                    try model.predictiveDensity(y, at: i, noisy: noisy, logMarginalLikelihood: logZ, relativeTolerance: 1e-10)
                }
                let mu = base.predictiveMean[i]
                let total = try Quadrature.integrate(f, from: -.infinity, to: mu, relativeTolerance: 1e-9).value
                    + Quadrature.integrate(f, from: mu, to: .infinity, relativeTolerance: 1e-9).value
                expectClose(total, 1, rtol: 1e-7, "\(prior) noisy \(noisy)")
            }
        }
    }
}
