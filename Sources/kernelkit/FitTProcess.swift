import ArgumentParser
import Foundation
import KernelKit

/// `--method` values: closed-form, quadrature, importance.
extension ScaleMixtureFit.Method: ExpressibleByArgument {}

extension FitRegressionCommand {
    /// The prior of `--prior` (default IG(2, 2)), parsed and validated.
    var scalePrior: ScalePrior {
        get throws { try ScalePrior.parse(prior ?? "invgamma:2,2") }
    }

    /// Checks the tprocess options: a valid prior, ε ≥ 0, closed form only with the inverse gamma,
    /// at least one importance sample. Each failure is a one-line usage error.
    func validateTProcessOptions() throws {
        let parsed: ScalePrior
        do { parsed = try scalePrior } catch { throw ValidationError("--prior: \(error)") }
        if let jitter, !(jitter >= 0 && jitter.isFinite) { throw ValidationError("--jitter must be a finite number ≥ 0, got \(jitter)") }
        if method == .closedForm, case .inverseGamma = parsed {} else if method == .closedForm {
            throw ValidationError("--method closed-form needs the inverse-gamma prior (invgamma:ALPHA,BETA); use quadrature or importance for \(parsed)")
        }
        if let samples, samples < 1 { throw ValidationError("--samples must be at least 1") }
        if samples != nil && method != .importance { throw ValidationError("--samples applies to --method importance") }
    }

    /// Regression with a scale mixture of the NNGP of `--arch` (Lee, Yun, Yang & Lee, ICLR 2022):
    /// y | σ² ~ N(0, σ²(K + εI)), σ² ~ the `--prior`, integrated in closed form (inverse gamma: the
    /// Student-t process), by adaptive quadrature or by importance sampling. The target is used as
    /// given (the prior on σ² carries its scale); features are standardised as for nngp.
    func fitTProcess(_ p: RegressionProblem) throws {
        let param = Parameterization(rawValue: parameterization)!
        let layers = try parseArchitecture(arch, parameterization: param)
        let network = try InfiniteWidthNetwork(layers)
        let threads = runtime.threads ?? 1
        guard let kTrain = try network.kernels(p.trainX, get: .nngp, threads: threads).nngp,
              let kTestTrain = try network.kernels(p.testX, p.trainX, get: .nngp, threads: threads).nngp,
              let kTest = try network.kernels(p.testX, get: .nngp, threads: threads).nngp
        else { throw CLIError("the network produced no NNGP kernel") }
        let eps = jitter ?? 0.01
        let base = try ScaleFamilyGP(trainKernel: kTrain, targets: p.trainY.elements, jitter: eps,
                                     testTrainKernel: kTestTrain, testKernel: kTest)
        let prior = try scalePrior
        var closedForm: StudentTProcess? = nil
        if case let .inverseGamma(alpha, beta) = prior { closedForm = try StudentTProcess(base: base, shape: alpha, scale: beta) }
        let route = method ?? (closedForm != nil ? .closedForm : .quadrature)
        let targets = p.testY.elements
        let fit: ScaleMixtureFit
        switch route {
        case .closedForm:
            guard let tp = closedForm else { throw CLIError("--method closed-form needs the inverse-gamma prior") }
            fit = try tp.fit(testTargets: targets)
        case .quadrature:
            fit = try ScaleMixtureModel(base: base, prior: prior).quadrature(testTargets: targets)
        case .importance:
            printStatus("kernelkit: importance sampling with \(samples ?? 10_000) draws…")
            fit = try ScaleMixtureModel(base: base, prior: prior)
                .importanceSampling(samples: samples ?? 10_000, seed: runtime.seed, testTargets: targets)
        }
        guard fit.logMarginalLikelihood.isFinite else { throw CLIError("the log marginal likelihood is not finite for this prior and data") }
        let mean = fit.predictiveMean, variance = fit.predictiveVariance
        let lpd = fit.logPredictiveDensity ?? []
        let testRMSE = rmse(Vector(mean), p.testY)

        if let path = output.out {
            let m = Matrix(rows: targets.count, columns: 4) { i, j in [targets[i], mean[i], variance[i], lpd[i]][j] }
            try writeMatrix(m, columnNames: [p.targetName, "mean", "var", "log_predictive_density"], to: path)
        }
        if let path = output.plot {
            var fig = Figure(title: "Scale mixture (\(prior)) on \(p.name): held-out predictions",
                             xLabel: "observed \(p.targetName)", yLabel: "predicted \(p.targetName)")
            let lo = Swift.min(targets.min()!, mean.min()!), hi = Swift.max(targets.max()!, mean.max()!)
            fig.line(x: [lo, hi], y: [lo, hi], label: "y = x", dashed: true)
            fig.scatter(x: targets, y: mean, label: "predictive mean")
            try fig.write(to: path)
        }
        let archText = Layer.serial(layers).description
        if output.json {
            var posterior: [String: Any] = ["mean": jsonNumber(fit.posteriorMeanSigma2)]
            var predictive: [String: Any] = ["mean": mean.map(jsonNumber), "var": variance.map(jsonNumber)]
            if let tp = closedForm {
                // The inverse-gamma posterior is known exactly whatever route computed the rest.
                posterior["alpha"] = jsonNumber(tp.posteriorShape)
                posterior["beta"] = jsonNumber(tp.posteriorScale)
                predictive["dof"] = jsonNumber(tp.degreesOfFreedom)
            }
            var object: [String: Any] = [
                "model": "tprocess", "data": p.path, "target": p.targetName, "architecture": archText,
                "parameterization": parameterization, "prior": prior.description, "jitter": eps,
                "method": route.rawValue, "n_train": p.trainX.rows, "n_test": p.testX.rows,
                "log_marginal_likelihood": jsonNumber(fit.logMarginalLikelihood),
                "posterior_sigma2": posterior, "predictive": predictive,
                "log_predictive_density": lpd.map(jsonNumber),
                "test_mean_log_predictive_density": jsonNumber(lpd.reduce(0, +) / Double(Swift.max(lpd.count, 1))),
                "test_rmse": jsonNumber(testRMSE),
            ]
            switch fit.diagnostics {
            case .exact: break
            case let .quadrature(err): object["quadrature_relative_error_estimate"] = jsonNumber(err)
            case let .importance(n, ess, seLogZ, seMean):
                object["importance"] = ["samples": n, "effective_sample_size": jsonNumber(ess),
                                        "log_marginal_likelihood_standard_error": jsonNumber(seLogZ),
                                        "posterior_mean_standard_error": jsonNumber(seMean)]
            }
            try printJSON(object)
            return
        }
        print("Scale mixture of the NNGP, prior \(prior) on the last-layer variance, on \(p.name) (\(p.path))")
        print("  \(p.summaryLine)")
        print("architecture: \(archText) [\(parameterization)], jitter ε = \(fmt(eps))")
        print("method: \(route.rawValue)" + diagnosticsText(fit.diagnostics))
        print("log marginal likelihood: \(fmt(fit.logMarginalLikelihood, 10))")
        if let tp = closedForm {
            print("posterior σ² ~ IG(\(fmt(tp.posteriorShape, 10)), \(fmt(tp.posteriorScale, 10))), mean \(fmt(fit.posteriorMeanSigma2)); predictive Student-t with \(fmt(tp.degreesOfFreedom)) degrees of freedom")
        } else {
            print("posterior mean of σ²: \(fmt(fit.posteriorMeanSigma2))")
        }
        print("held-out RMSE: \(fmt(testRMSE)) \(p.targetName); mean log predictive density (noisy targets): \(fmt(lpd.reduce(0, +) / Double(Swift.max(lpd.count, 1))))")
        if let path = output.plot { print("plot: \(path)") }
        if let path = output.out { print("predictions: \(path)") }
    }

    private func diagnosticsText(_ d: ScaleMixtureFit.Diagnostics) -> String {
        switch d {
        case .exact: return ""
        case let .quadrature(err): return " (relative error estimate \(fmt(err, 2)))"
        case let .importance(n, ess, seLogZ, _):
            return " (\(n) samples, effective sample size \(fmt(ess, 4)), log-evidence standard error \(fmt(seLogZ, 2)))"
        }
    }
}
