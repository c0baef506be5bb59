import Foundation
import KernelKit

extension FitRegressionCommand {
    /// Regression with an infinitely wide network: the NNGP posterior (`nngp`) or the
    /// gradient-descent ensemble at time t (`ntk`), Lee et al. 2018/2019.
    func fitInfiniteWidth(_ p: RegressionProblem) throws {
        let param = Parameterization(rawValue: parameterization)!
        var layers = try parseArchitecture(arch, parameterization: param)
        var regularization = DiagonalRegularization(diagReg)
        // Targets standardised like the GP path; predictions are mapped back.
        let yMean = normalize ? p.trainY.sum / Double(p.trainY.count) : 0
        let yVar = normalize ? p.trainY.elements.reduce(0) { $0 + ($1 - yMean) * ($1 - yMean) } / Double(p.trainY.count) : 1
        let yScale = yVar > 0 ? yVar.squareRoot() : 1
        let y = Matrix(rows: p.trainY.count, columns: 1) { i, _ in (p.trainY[i] - yMean) / yScale }

        var selection: NNGPModelSelection.Candidate? = nil
        if fitHyper {
            guard let phi = firstActivation(layers) else { throw CLIError("--fit-hyper needs an architecture with an activation") }
            printStatus("kernelkit: maximising the NNGP marginal likelihood over W_std, b_std, noise and depth 1…4…")
            let best = try NNGPModelSelection.maximize(inputs: p.trainX, targets: y, activation: phi)[0]
            layers = best.layers(activation: phi)
            regularization = DiagonalRegularization(best.noiseVariance, absolute: true)
            selection = best
        }
        let network = try InfiniteWidthNetwork(layers)
        let blocks = try KernelBlocks(network: network, train: p.trainX, test: p.testX, covariance: true)
        let prediction: EnsemblePrediction
        if model == .nngp {
            prediction = try InfiniteWidthInference.posterior(.nngp, blocks: blocks, targets: y, regularization: regularization)
        } else {
            let ensemble = try GradientDescentEnsemble(kernels: blocks.trainTrain, targets: y, kernel: .ntk, regularization: regularization)
            prediction = try ensemble.predict(testTrain: blocks.testTrain, testTest: blocks.testTest,
                                              times: [time ?? .infinity], covariance: true)[0]
        }
        let mean = Vector(prediction.mean.column(0).elements.map { $0 * yScale + yMean })
        let variance = Vector(prediction.covariance!.diagonal.elements.map { Swift.max($0, 0) * yScale * yScale })
        let kTrain = blocks.trainTrain.nngp!
        let noise = regularization.absolute ? regularization.value : regularization.value * kTrain.trace / Double(kTrain.rows)
        let lml = try NNGPModelSelection.logMarginalLikelihood(kernel: kTrain, targets: y, noiseVariance: noise)
            - Double(y.rows) * log(yScale)   // in the units of the original target
        let testRMSE = rmse(mean, p.testY)
        guard testRMSE.isFinite, lml.isFinite else { throw CLIError("the infinite-width fit produced a non-finite result") }

        if let path = output.out {
            let m = Matrix(rows: p.testY.count, columns: 3) { i, j in [p.testY[i], mean[i], variance[i].squareRoot()][j] }
            try writeMatrix(m, columnNames: [p.targetName, "mean", "std"], to: path)
        }
        if let path = output.plot {
            var fig = Figure(title: "\(model.rawValue.uppercased()) on \(p.name): held-out predictions",
                             xLabel: "observed \(p.targetName)", yLabel: "predicted \(p.targetName)")
            let lo = Swift.min(p.testY.elements.min()!, mean.elements.min()!), hi = Swift.max(p.testY.elements.max()!, mean.elements.max()!)
            fig.line(x: [lo, hi], y: [lo, hi], label: "y = x", dashed: true)
            fig.scatter(x: p.testY.elements, y: mean.elements, label: "posterior mean")
            try fig.write(to: path)
        }
        let archText = Layer.serial(layers).description
        if output.json {
            var object: [String: Any] = [
                "model": model.rawValue, "data": p.path, "target": p.targetName,
                "architecture": archText, "parameterization": parameterization,
                "n_train": p.trainX.rows, "n_test": p.testX.rows,
                "log_marginal_likelihood": jsonNumber(lml),
                "noise_variance": jsonNumber(noise * yScale * yScale),
                "test_rmse": jsonNumber(testRMSE),
                "test_mean_log_predictive_density": jsonNumber(meanLogPredictiveDensity(mean, variance, p.testY)),
                "test_predictions": ["mean": mean.elements.map(jsonNumber), "std": variance.elements.map { jsonNumber($0.squareRoot()) }],
            ]
            if model == .ntk { object["time"] = time.map(jsonNumber) ?? "inf" }
            if let s = selection {
                object["selected"] = ["depth": s.depth, "W_std": s.weightStd, "b_std": s.biasStd, "noise_variance": s.noiseVariance]
            }
            try printJSON(object)
            return
        }
        print("\(model == .nngp ? "NNGP posterior (Bayesian infinitely wide network)" : "NTK gradient-descent ensemble (infinitely wide network)") on \(p.name) (\(p.path))")
        print("  \(p.summaryLine)")
        print("architecture: \(archText) [\(parameterization)]")
        if let s = selection { print("selected by marginal likelihood: \(s)") }
        if model == .ntk { print("training time: \(time.map { fmt($0) } ?? "∞")") }
        print("log marginal likelihood (NNGP, noise variance \(fmt(noise * yScale * yScale))): \(fmt(lml, 8))")
        print("held-out RMSE: \(fmt(testRMSE)) \(p.targetName) on \(p.testX.rows) points")
        if let path = output.plot { print("plot: \(path)") }
        if let path = output.out { print("predictions: \(path)") }
    }

    func firstActivation(_ layers: [Layer]) -> Activation? {
        for l in layers {
            if case let .activation(a) = l { return a }
            if case let .serial(ls) = l, let a = firstActivation(ls) { return a }
        }
        return nil
    }
}

/// `--arch`: a compact string, or the path of a JSON layer list (neural-tangents' schema).
func parseArchitecture(_ spec: String, parameterization: Parameterization) throws -> [Layer] {
    if spec.hasSuffix(".json") {
        guard let data = FileManager.default.contents(atPath: spec) else { throw CLIError("cannot read architecture file \(spec)") }
        return try ArchitectureJSON.layers(from: data)
    }
    return try ArchitectureSpec.parse(spec, parameterization: parameterization)
}
