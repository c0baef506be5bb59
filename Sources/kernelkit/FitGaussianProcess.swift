import Foundation
import KernelKit

/// The classic Mauna Loa kernel (Rasmussen & Williams 2006, §5.4.3; scikit-learn's CO2 example):
/// long-term trend, seasonal cycle with a decaying amplitude, medium-term irregularities, and
/// short-range correlated noise plus white noise. Amplitudes are in units of the standardised target.
let co2Kernel = "constant(value=1)*rbf(length=50) + constant(value=0.01)*rbf(length=100)*periodic(length=1, period=1 fixed)"
    + " + constant(value=0.001)*rq(length=1, alpha=1) + constant(value=1e-4)*rbf(length=0.1) + white(noise=1e-4)"

/// A saved CLI model: the GP record plus the feature scaling the CLI applied.
struct SavedModel: Codable {
    var format = "kernelkit.cli-model/1"
    var featureNames: [String]
    var targetName: String
    var featureMean: [Double]
    var featureScale: [Double]
    var gaussianProcess: GaussianProcessModel
}

extension FitRegressionCommand {
    func fitGaussianProcess(_ p: RegressionProblem) throws {
        let expression = kernel ?? (p.isDefaultCO2 ? co2Kernel : "constant(value=1)*rbf(length=1) + white(noise=0.1)")
        let initialKernel = try KernelExpression.parse(expression)
        printStatus("kernelkit: fitting a GP to \(p.trainX.rows) points (\(initialKernel.parameterCount) hyperparameters, \(restarts) restarts)…")
        var gp = try GaussianProcessRegressor(kernel: initialKernel, inputs: p.trainX, targets: p.trainY,
                                              alpha: 1e-10, normalizeTarget: normalize)
        let report = try gp.optimize(restarts: restarts, seed: runtime.seed)
        let (mean, variance) = try gp.predict(p.testX, includeNoise: true)
        let testRMSE = rmse(mean, p.testY)
        let mlpd = meanLogPredictiveDensity(mean, variance, p.testY)
        guard gp.logMarginalLikelihood.isFinite, testRMSE.isFinite else {
            throw CLIError("the fit produced a non-finite result (log marginal likelihood \(gp.logMarginalLikelihood)); try another kernel or --restarts")
        }

        if let path = saveModel {
            let saved = SavedModel(featureNames: p.featureNames, targetName: p.targetName, featureMean: p.featureMean,
                                   featureScale: p.featureScale, gaussianProcess: gp.model)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do { try encoder.encode(saved).write(to: URL(fileURLWithPath: path)) } catch {
                throw CLIError("cannot write model file \(path): \(error.localizedDescription)")
            }
        }
        if let path = output.out {
            let m = Matrix(rows: p.testY.count, columns: p.testX.columns + 3) { i, j in
                j < p.testX.columns ? p.original(p.testX)[i, j] : [p.testY[i], mean[i], variance[i].squareRoot()][j - p.testX.columns]
            }
            try writeMatrix(m, columnNames: p.featureNames + [p.targetName, "mean", "std"], to: path)
        }
        if let path = output.plot { try plotGaussianProcess(gp, p, path: path) }

        let hyper = gp.kernel.hyperparameters
        if output.json {
            var hp: [String: Any] = [:]
            for h in hyper { hp[h.name] = jsonNumber(h.value) }
            try printJSON([
                "model": "gp", "data": p.path, "target": p.targetName,
                "n_train": p.trainX.rows, "n_test": p.testX.rows,
                "kernel": gp.kernel.description, "initial_kernel": expression,
                "hyperparameters": hp,
                "log_marginal_likelihood": jsonNumber(gp.logMarginalLikelihood),
                "initial_log_marginal_likelihood": jsonNumber(report.initialLogMarginalLikelihood),
                "restarts": restarts, "seed": runtime.seed,
                "normalized_target": normalize,
                "test_rmse": jsonNumber(testRMSE),
                "test_mean_log_predictive_density": jsonNumber(mlpd),
            ])
            return
        }
        print("Gaussian process regression on \(p.name) (\(p.path))")
        print("  \(p.summaryLine)")
        print("kernel (fitted):\n  \(gp.kernel.description)")
        print("hyperparameters:")
        let width = hyper.map(\.name.count).max() ?? 0
        for h in hyper {
            print("  \(h.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(fmt(h.value))\(h.isFixed ? "  (fixed)" : "")")
        }
        print("log marginal likelihood: \(fmt(gp.logMarginalLikelihood, 8)) (initial \(fmt(report.initialLogMarginalLikelihood, 8)); \(restarts) restart\(restarts == 1 ? "" : "s"), seed \(runtime.seed))"
              + (normalize ? " [standardised target]" : ""))
        print("held-out RMSE: \(fmt(testRMSE)) \(p.targetName) on \(p.testX.rows) points; mean log predictive density \(fmt(mlpd))")
        if let path = output.plot { print("plot: \(path)") }
        if let path = saveModel { print("model: \(path)") }
        if let path = output.out { print("predictions: \(path)") }
    }

    /// 1-D inputs: data, mean and ±2σ band over the whole range and a little beyond, split marker.
    /// More dimensions: predicted against observed on the test set with ±2σ error bars.
    func plotGaussianProcess(_ gp: GaussianProcessRegressor, _ p: RegressionProblem, path: String) throws {
        if p.trainX.columns == 1 {
            let xs = p.original(p.trainX).column(0).elements, xt = p.original(p.testX).column(0).elements
            let lo = (xs + xt).min()!, hi = (xs + xt).max()!
            let grid = (0..<600).map { lo + (hi - lo) * 1.1 * Double($0) / 599 }
            let gridScaled = Matrix(rows: grid.count, columns: 1) { i, _ in (grid[i] - p.featureMean[0]) / p.featureScale[0] }
            let (m, v) = try gp.predict(gridScaled, includeNoise: false)
            let sd = v.elements.map { Swift.max($0, 0).squareRoot() }
            var fig = Figure(title: "GP fit to \(p.name): mean and ±2σ", xLabel: p.featureNames.first ?? "x", yLabel: p.targetName)
            fig.band(x: grid, lower: zip(m.elements, sd).map { $0 - 2 * $1 }, upper: zip(m.elements, sd).map { $0 + 2 * $1 }, label: "±2σ")
            fig.line(x: grid, y: m.elements, label: "posterior mean")
            fig.scatter(x: xs, y: p.trainY.elements, label: "training data", size: 1.5)
            fig.scatter(x: xt, y: p.testY.elements, label: "held out", size: 1.5)
            if let split = xt.min(), split > xs.max() ?? -.infinity { fig.verticalLine(at: split, label: "held out →") }
            try fig.write(to: path)
        } else {
            let (m, v) = try gp.predict(p.testX, includeNoise: true)
            var fig = Figure(title: "GP on \(p.name): held-out predictions", xLabel: "observed \(p.targetName)", yLabel: "predicted \(p.targetName)")
            let lo = Swift.min(p.testY.elements.min()!, m.elements.min()!), hi = Swift.max(p.testY.elements.max()!, m.elements.max()!)
            fig.line(x: [lo, hi], y: [lo, hi], label: "y = x", dashed: true)
            fig.scatter(x: p.testY.elements, y: m.elements, label: "mean (±2σ: \(fmt(2 * (v.sum / Double(v.count)).squareRoot(), 3)) on average)")
            try fig.write(to: path)
        }
    }
}
