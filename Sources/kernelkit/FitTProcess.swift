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

    /// Checks the tprocess options: a valid prior, ε ≥ 0, closed form, --fit-hyper and --classify
    /// only with the inverse gamma, at least one sample, --fit-alpha only with --fit-hyper, no --plot
    /// with --classify. Each failure is a one-line usage error.
    func validateTProcessOptions() throws {
        let parsed: ScalePrior
        do { parsed = try scalePrior } catch { throw ValidationError("--prior: \(error)") }
        if let jitter, !(jitter >= 0 && jitter.isFinite) { throw ValidationError("--jitter must be a finite number ≥ 0, got \(jitter)") }
        let isInverseGamma: Bool
        if case .inverseGamma = parsed { isInverseGamma = true } else { isInverseGamma = false }
        if method == .closedForm && !isInverseGamma {
            throw ValidationError("--method closed-form needs the inverse-gamma prior (invgamma:ALPHA,BETA); use quadrature or importance for \(parsed)")
        }
        if let samples, samples < 1 { throw ValidationError("--samples must be at least 1") }
        if samples != nil && method != .importance && !classify {
            throw ValidationError("--samples applies to --method importance and --classify")
        }
        if (fitHyper || classify) && (!isInverseGamma || (method != nil && method != .closedForm)) {
            throw ValidationError("--fit-hyper and --classify use the Student-t process in closed form: give --prior invgamma:ALPHA,BETA and no other --method")
        }
        if fitAlpha && !fitHyper { throw ValidationError("--fit-alpha needs --fit-hyper") }
        if classify && output.plot != nil { throw ValidationError("--plot is not available with --classify; use --out for the class probabilities") }
    }

    /// Maximises the Student-t evidence over ε, the NNGP's (W_std, b_std) and the depth 1…3 (and α
    /// with `--fit-alpha`; β stays at the prior's value because the NNGP carries its own scale) for
    /// the MLP family `[dense(W_std, b_std), φ] × depth, dense(W_std, b_std)` with the first
    /// activation of `--arch`, starting from the arch's first dense layer, the prior and ε.
    func fitTProcessHyperparameters(_ x: Matrix, _ y: Matrix, layers: [Layer], prior: ScalePrior,
                                    jitter eps: Double) throws -> (best: StudentTNNGPSelection.Candidate, layers: [Layer]) {
        guard case let .inverseGamma(alpha, beta) = prior else { throw CLIError("--fit-hyper needs the inverse-gamma prior") }
        guard let phi = firstActivation(layers) else { throw CLIError("--fit-hyper needs an architecture with an activation") }
        var w = 1.5, b = 0.1
        if case let .dense(ws, bs, _, _)? = firstDense(layers) {
            w = ws
            if let bs, bs > 0 { b = bs }
        }
        printStatus("kernelkit: maximising the Student-t evidence over \(fitAlpha ? "α, " : "")ε, W_std, b_std and depth 1…3…")
        let start = StudentTHyperparameters(alpha: alpha, beta: beta, jitter: Swift.max(eps, 1e-8), kernel: [w, b])
        // The target is unscaled, so ε (noise variance per unit σ²) may need to reach the target's scale.
        let meanSquare = y.storage.reduce(0) { $0 + $1 * $1 } / Double(y.storage.count)
        let bounds = StudentTBounds(jitter: 1e-8...(1e4 * Swift.max(1, meanSquare)))
        let best = try StudentTNNGPSelection.maximize(inputs: x, targets: y, activation: phi, depths: 1...3, start: start,
                                                      free: fitAlpha ? [.alpha, .jitter, .kernel] : .noiseAndKernel,
                                                      bounds: bounds, threads: runtime.threads ?? 1)[0]
        return (best, best.layers(activation: phi))
    }

    private func firstDense(_ layers: [Layer]) -> Layer? {
        for l in layers {
            if case .dense = l { return l }
            if case let .serial(ls) = l, let d = firstDense(ls) { return d }
        }
        return nil
    }

    /// The fitted hyperparameters for the JSON output.
    func hyperparameterJSON(_ c: StudentTNNGPSelection.Candidate) -> [String: Any] {
        let h = c.fit.hyperparameters
        return ["depth": c.depth, "W_std": jsonNumber(c.weightStd), "b_std": jsonNumber(c.biasStd),
                "alpha": jsonNumber(h.alpha), "beta": jsonNumber(h.beta), "jitter": jsonNumber(h.jitter),
                "log_marginal_likelihood": jsonNumber(c.fit.logMarginalLikelihood), "converged": c.fit.converged,
                "at_bound": c.fit.atBound]
    }

    /// The hyperparameter lines of the human summary.
    func printHyperparameters(_ c: StudentTNNGPSelection.Candidate) {
        let h = c.fit.hyperparameters
        print("type-II maximum likelihood: depth \(c.depth), W_std \(fmt(c.weightStd)), b_std \(fmt(c.biasStd)), α \(fmt(h.alpha)), β \(fmt(h.beta)), ε \(fmt(h.jitter))"
              + (c.fit.converged ? "" : " (not converged: \(c.fit.message))"))
        if c.fit.atBound.contains("alpha") {
            print("  note: α ran to its upper bound — the evidence of one target vector always grows with α (towards the GP); choose α on validation data instead")
        } else if !c.fit.atBound.isEmpty {
            print("  note: at a bound: \(c.fit.atBound.joined(separator: ", "))")
        }
    }

    /// Regression with a scale mixture of the NNGP of `--arch` (Lee, Yun, Yang & Lee, ICLR 2022):
    /// y | σ² ~ N(0, σ²(K + εI)), σ² ~ the `--prior`, integrated in closed form (inverse gamma: the
    /// Student-t process), by adaptive quadrature or by importance sampling. The target is used as
    /// given (the prior on σ² carries its scale); features are standardised as for nngp.
    func fitTProcess(_ p: RegressionProblem) throws {
        if classify { return try classifyTProcess(p) }
        let param = Parameterization(rawValue: parameterization)!
        var layers = try parseArchitecture(arch, parameterization: param)
        var eps = jitter ?? 0.01
        var prior = try scalePrior
        var selection: StudentTNNGPSelection.Candidate? = nil
        if fitHyper {
            let (best, fitted) = try fitTProcessHyperparameters(p.trainX, Matrix(rows: p.trainY.count, columns: 1, columnMajor: p.trainY.elements),
                                                                layers: layers, prior: prior, jitter: eps)
            layers = fitted
            eps = best.fit.hyperparameters.jitter
            prior = .inverseGamma(shape: best.fit.hyperparameters.alpha, scale: best.fit.hyperparameters.beta)
            selection = best
        }
        let (kTrain, kTestTrain, kTest) = try nngpKernels(layers, p)
        let base = try ScaleFamilyGP(trainKernel: kTrain, targets: p.trainY.elements, jitter: eps,
                                     testTrainKernel: kTestTrain, testKernel: kTest)
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
            if let selection { object["hyperparameters"] = hyperparameterJSON(selection) }
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
        if let selection { printHyperparameters(selection) }
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

    /// `--classify`: the target column holds class labels (integers); classification by exact
    /// regression on one-hot labels with the Student-t process over the NNGP (shared last-layer
    /// variance σ² ~ IG(α, β) for all C outputs), class probabilities P(argmax f* = c) by Monte Carlo
    /// over the predictive multivariate t (`--samples`, default 2000; `--seed`); accuracy and mean
    /// negative log likelihood of the test labels.
    func classifyTProcess(_ p: RegressionProblem) throws {
        let trainValues = p.trainY.elements
        if let v = (trainValues + p.testY.elements).first(where: { $0 != $0.rounded() }) {
            throw CLIError("--classify needs integer class labels in column '\(p.targetName)', found \(fmt(v))")
        }
        let classes = Array(Set(trainValues)).sorted()
        guard classes.count >= 2 else { throw CLIError("--classify needs at least 2 classes in the training data, found \(classes.count)") }
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let trainLabels = trainValues.map { index[$0] ?? 0 }
        let testLabels = try p.testY.elements.map { v in
            guard let i = index[v] else { throw CLIError("test label \(fmt(v)) does not occur in the training data (classes \(classes.map { fmt($0) }.joined(separator: ", ")))") }
            return i
        }
        let param = Parameterization(rawValue: parameterization)!
        var layers = try parseArchitecture(arch, parameterization: param)
        var eps = jitter ?? 0.01
        guard case var .inverseGamma(alpha, beta) = try scalePrior else { throw CLIError("--classify needs the inverse-gamma prior") }
        var selection: StudentTNNGPSelection.Candidate? = nil
        if fitHyper {
            let oneHot = Matrix(rows: trainLabels.count, columns: classes.count) { i, c in trainLabels[i] == c ? 1 : 0 }
            let (best, fitted) = try fitTProcessHyperparameters(p.trainX, oneHot, layers: layers, prior: .inverseGamma(shape: alpha, scale: beta), jitter: eps)
            layers = fitted
            (alpha, beta, eps) = (best.fit.hyperparameters.alpha, best.fit.hyperparameters.beta, best.fit.hyperparameters.jitter)
            selection = best
        }
        let (kTrain, kTestTrain, kTest) = try nngpKernels(layers, p)
        let model = try OneHotRegressionClassifier(trainKernel: kTrain, labels: trainLabels, classCount: classes.count, jitter: eps,
                                                   scale: .studentT(alpha: alpha, beta: beta), testTrainKernel: kTestTrain,
                                                   testKernelDiagonal: kTest.diagonal.elements)
        let draws = samples ?? 2000
        let probabilities = try model.classProbabilities(samples: draws, seed: runtime.seed)
        let score = OneHotRegressionClassifier.score(probabilities: probabilities, labels: testLabels)
        let predicted = (0..<probabilities.rows).map { i in (0..<classes.count).max { probabilities[i, $0] < probabilities[i, $1] } ?? 0 }
        if let path = output.out {
            let m = Matrix(rows: testLabels.count, columns: 2 + classes.count) { i, j in
                j == 0 ? classes[testLabels[i]] : j == 1 ? classes[predicted[i]] : probabilities[i, j - 2]
            }
            try writeMatrix(m, columnNames: [p.targetName, "predicted"] + classes.map { "p_\(fmt($0))" }, to: path)
        }
        let archText = Layer.serial(layers).description
        let posterior = model.posteriorSigma2 ?? (alpha, beta)
        if output.json {
            var object: [String: Any] = [
                "model": "tprocess", "task": "classification", "data": p.path, "target": p.targetName,
                "architecture": archText, "parameterization": parameterization,
                "prior": ScalePrior.inverseGamma(shape: alpha, scale: beta).description, "jitter": eps,
                "classes": classes.map(jsonNumber), "n_train": p.trainX.rows, "n_test": p.testX.rows,
                "log_marginal_likelihood": jsonNumber(model.logMarginalLikelihood),
                "posterior_sigma2": ["alpha": jsonNumber(posterior.shape), "beta": jsonNumber(posterior.scale),
                                     "mean": jsonNumber(posterior.shape > 1 ? posterior.scale / (posterior.shape - 1) : .infinity)],
                "predictive": ["dof": jsonNumber(model.degreesOfFreedom ?? .infinity)],
                "samples": draws, "seed": runtime.seed,
                "test_accuracy": jsonNumber(score.accuracy), "test_nll": jsonNumber(score.negativeLogLikelihood),
            ]
            if let selection { object["hyperparameters"] = hyperparameterJSON(selection) }
            try printJSON(object)
            return
        }
        print("Student-t process classification (one-hot regression, prior IG(\(fmt(alpha)), \(fmt(beta))) on the last-layer variance) on \(p.name) (\(p.path))")
        print("  \(p.summaryLine), \(classes.count) classes")
        if let selection { printHyperparameters(selection) }
        print("architecture: \(archText) [\(parameterization)], jitter ε = \(fmt(eps))")
        print("log marginal likelihood: \(fmt(model.logMarginalLikelihood, 10)); posterior σ² ~ IG(\(fmt(posterior.shape, 8)), \(fmt(posterior.scale, 8))); predictive t with \(fmt(model.degreesOfFreedom ?? .infinity)) degrees of freedom")
        print("test accuracy: \(fmt(score.accuracy, 4)); test NLL: \(fmt(score.negativeLogLikelihood, 4)) nats (Monte Carlo, \(draws) draws per point, seed \(runtime.seed))")
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

extension FitRegressionCommand {
    /// The NNGP kernels K(train, train), K(test, train), K(test, test) of an architecture.
    func nngpKernels(_ layers: [Layer], _ p: RegressionProblem) throws -> (train: Matrix, testTrain: Matrix, test: Matrix) {
        let network = try InfiniteWidthNetwork(layers)
        let threads = runtime.threads ?? 1
        guard let kTrain = try network.kernels(p.trainX, get: .nngp, threads: threads).nngp,
              let kTestTrain = try network.kernels(p.testX, p.trainX, get: .nngp, threads: threads).nngp,
              let kTest = try network.kernels(p.testX, get: .nngp, threads: threads).nngp
        else { throw CLIError("the network produced no NNGP kernel") }
        return (kTrain, kTestTrain, kTest)
    }
}
