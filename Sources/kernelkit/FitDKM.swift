import ArgumentParser
import Foundation
import KernelKit

extension GramKernelMap: ExpressibleByArgument {}

/// `kernelkit fit dkm`: a deep kernel machine (Yang et al., ICML 2023) — full rank, or sparse with
/// `--inducing M` — on a data file, with held-out metrics and a repeated-split comparison mode.
struct FitDKMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dkm",
        abstract: "Fit a deep kernel machine (representation learning in the infinite-width limit).",
        discussion: """
            The DKM (Yang, Robeyns, Milsom, Anson, Schoots & Aitchison, ICML 2023) learns one Gram matrix \
            per layer by maximising  log P(Y | G_L) − Σ_ℓ ν · KL(N(0, G_ℓ) ‖ N(0, K(G_ℓ₋₁))),  G₀ = ΦΦᵀ/N₀, \
            K the --kernel map (relu: the arc-cosine map, diagonal-preserving, no weight or bias variances; \
            se: exp(−squared feature distance/2)). ν → ∞ gives the NNGP with the same kernel map. \
            Without --inducing the full-rank machine is optimised by L-BFGS (O(P³) per step); with \
            --inducing M only the M × M inducing Grams are learned (O(P·M²) per step), the output is a \
            sparse variational GP, and --optimizer adam trains on minibatches.

            Data: features are standardised with the training mean and standard deviation, and so is a \
            regression target (metrics are reported in the target's units); --raw uses both as given. \
            --classification treats the target as class labels 0, 1, … (softmax likelihood, Monte Carlo, \
            always sparse; all points are inducing points unless --inducing is given). \
            The reported objective is L at the optimum (in standardised units unless --raw).

            The conventions of KernelKit's 6-point DKM reference (dkm_small: constant bias feature appended \
            to the inputs, G₀ = ΦΦᵀ/N₀, arc-cosine map, fixed σ² = 0.1, unstandardised data) are selected by:
              kernelkit fit dkm --data small.csv --target y --layers 2 --nu 1 --bias-feature --noise 0.1 --fixed-noise --raw --json

            --splits K runs the comparison of the DKM against the NNGP (same kernel map, ν = ∞, σ² by \
            marginal likelihood, depth chosen on validation; exact for regression even with --inducing) and, for regression, an RBF GP \
            (constant·rbf + white, hyperparameters by marginal likelihood) on K random 90/10 splits; \
            ν and depth of the DKM are chosen on a validation tenth of each training set, never on the test set.
            """)

    enum Optimizer: String, ExpressibleByArgument, CaseIterable { case lbfgs, adam }

    @Option(help: "Training data: a CSV/.npy file or a bundled dataset name (see `kernelkit datasets`).")
    var data: String = "diabetes"

    @Option(help: "Target column: a name or an index (default: the bundled dataset's target, else the last column).")
    var target: String?

    @Option(help: "Held-out test file with the same columns; adds test_rmse/test_nll or test_accuracy/test_nll.")
    var test: String?

    @Option(help: "Number L ≥ 1 of learned Gram matrices (hidden layers).")
    var layers: Int = 2

    @Option(help: "Kernel map between layers: relu (arc-cosine) or se.")
    var kernel: GramKernelMap = .relu

    @Option(help: "KL weight ν > 0 of every layer (ν → ∞ is the NNGP).")
    var nu: Double = 100

    @Option(help: "Observation noise variance σ² (the start value unless --fixed-noise; regression only).")
    var noise: Double = 0.1

    @Flag(help: "Keep σ² fixed at --noise instead of learning it with the Grams.")
    var fixedNoise = false

    @Flag(help: "Append a constant feature 1 to every input before G₀ = ΦΦᵀ/N₀.")
    var biasFeature = false

    @Flag(help: "Use features and target as given (no standardisation).")
    var raw = false

    @Flag(help: "Classification: the target holds class labels 0, 1, …, K−1.")
    var classification = false

    @Option(help: "Number M of inducing points (a seeded random subset of the training points): the sparse DKM.")
    var inducing: Int?

    @Option(help: "Optimiser: lbfgs (full batch) or adam (minibatches; sparse DKM only).")
    var optimizer: Optimizer = .lbfgs

    @Option(help: "Maximum L-BFGS iterations or Adam steps (default 2000 full-rank, 300 sparse L-BFGS, 2000 Adam).")
    var iterations: Int?

    @Option(help: "Adam learning rate.")
    var learningRate: Double = 0.01

    @Option(help: "Adam minibatch size.")
    var batchSize: Int = 64

    @Option(help: "Monte Carlo samples per point for the softmax likelihood.")
    var samples: Int = 8

    @Option(help: "Comparison mode: number K ≥ 2 of random 90/10 splits (DKM vs NNGP, and RBF GP for regression).")
    var splits: Int?

    @Option(help: "Comparison mode: the ν values tried on the validation split (comma-separated).")
    var nuGrid: String = "10,100,1000"

    @Option(help: "Comparison mode: the depths L tried on the validation split (comma-separated).")
    var layersGrid: String = "1,2"

    @Flag(help: "Print one JSON object on stdout instead of the human summary.")
    var json = false

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard layers >= 1 else { throw ValidationError("--layers must be at least 1, got \(layers)") }
        guard nu > 0 && nu.isFinite else { throw ValidationError("--nu must be a positive finite number, got \(nu)") }
        guard noise > 0 && noise.isFinite else { throw ValidationError("--noise must be a positive finite number, got \(noise)") }
        if let inducing, inducing < 1 { throw ValidationError("--inducing must be at least 1, got \(inducing)") }
        if let iterations, iterations < 0 { throw ValidationError("--iterations must be ≥ 0, got \(iterations)") }
        guard learningRate > 0 && learningRate.isFinite else { throw ValidationError("--learning-rate must be positive, got \(learningRate)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        guard samples >= 1 else { throw ValidationError("--samples must be at least 1, got \(samples)") }
        if optimizer == .adam && inducing == nil && !classification {
            throw ValidationError("--optimizer adam trains the sparse DKM: give --inducing M")
        }
        if let splits {
            guard splits >= 2 else { throw ValidationError("--splits must be at least 2, got \(splits)") }
            guard test == nil else { throw ValidationError("--splits makes its own test sets; drop --test") }
            guard !raw else { throw ValidationError("--splits standardises each split; drop --raw") }
            _ = try parsedGrids()
        }
    }

    func parsedGrids() throws -> (nu: [Double], layers: [Int]) {
        let nus = nuGrid.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        let ls = layersGrid.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !nus.isEmpty, nus.allSatisfy({ $0 != nil && $0! > 0 && $0!.isFinite }) else {
            throw ValidationError("--nu-grid must list positive numbers, got '\(nuGrid)'")
        }
        guard !ls.isEmpty, ls.allSatisfy({ $0 != nil && $0! >= 1 }) else {
            throw ValidationError("--layers-grid must list integers ≥ 1, got '\(layersGrid)'")
        }
        return (nus.map { $0! }, ls.map { $0! })
    }

    func run() throws {
        runtime.apply()
        let (path, bundledTarget) = try BundledData.resolve(data)
        let targetColumn: DataColumn = target.map(dataColumn) ?? bundledTarget.map { .name($0) } ?? .index(-1)
        let options = DataReadOptions(target: targetColumn)
        let train = try loadForCLI(path, options)
        guard let y = train.target else { throw CLIError("no target column in \(path)") }
        guard train.count >= 2 else { throw CLIError("\(path) has \(train.count) rows; a DKM needs at least 2") }
        var testSet: Dataset? = nil
        if let test {
            let t = try loadForCLI(try BundledData.resolve(test).path, options)
            guard t.dimension == train.dimension else { throw CLIError("test file has \(t.dimension) features, training file \(train.dimension)") }
            guard t.target != nil else { throw CLIError("no target column in the test file \(test)") }
            testSet = t
        }
        var classes = 0
        if classification {
            classes = try Self.classCount(y.elements, testSet?.target?.elements ?? [])
        }
        if let splits {
            try runComparison(x: train.features, y: y.elements, classes: classes, splits: splits, path: path)
            return
        }
        let problem = try DKMProblem(trainX: train.features, trainY: y.elements, testX: testSet?.features, testY: testSet?.target?.elements,
                                     classes: classes, standardize: !raw)
        let settings = settings(layers: layers, nu: nu)
        let model = try settings.fit(problem, nngp: false)
        let metrics = try testSet.map { _ in try model.testMetrics(problem) }
        report(model: model, problem: problem, metrics: metrics, path: path, targetName: train.targetName ?? "target")
    }

    /// The number of classes of integer labels 0…K−1 (K ≥ 2).
    static func classCount(_ train: [Double], _ test: [Double]) throws -> Int {
        let all = train + test
        guard all.allSatisfy({ $0 >= 0 && $0 == $0.rounded() && $0 < 1e6 }) else {
            throw CLIError("--classification needs labels 0, 1, …, K−1 in the target column")
        }
        let k = Int(all.max()!) + 1
        guard k >= 2 else { throw CLIError("--classification needs at least 2 classes") }
        return k
    }

    func settings(layers: Int, nu: Double) -> DKMSettings {
        DKMSettings(layers: layers, kernel: kernel, nu: nu, noise: noise, learnsNoise: !fixedNoise, biasFeature: biasFeature,
                    inducing: inducing, optimizer: optimizer, iterations: iterations, learningRate: learningRate,
                    batchSize: batchSize, samples: samples, seed: runtime.seed)
    }

    func report(model: FittedDKM, problem: DKMProblem, metrics: DKMMetrics?, path: String, targetName: String) {
        let kind = problem.classes > 0 ? "classification" : "regression"
        if json {
            var object: [String: Any] = [
                "model": model.isSparse ? "sparse-dkm" : "dkm", "data": path, "target": targetName, "task": kind,
                "layers": layers, "kernel": kernel.rawValue, "nu": nu, "bias_feature": biasFeature, "standardized": !raw,
                "n_train": problem.trainX.rows, "objective": jsonNumber(model.objective), "iterations": model.iterations,
                "converged": model.converged,
            ]
            if problem.classes == 0 { object["noise_variance"] = jsonNumber(model.noiseVariance) }
            if model.isSparse { object["inducing"] = model.inducingCount }
            if let metrics {
                object["n_test"] = metrics.count
                object["test_nll"] = jsonNumber(metrics.nll)
                if problem.classes > 0 { object["test_accuracy"] = jsonNumber(metrics.accuracy!) } else { object["test_rmse"] = jsonNumber(metrics.rmse!) }
            }
            try? printJSON(object)
            return
        }
        print("Deep kernel machine (\(model.isSparse ? "sparse, \(model.inducingCount) inducing points" : "full rank")) on \(path), \(kind)")
        print("  \(problem.trainX.rows) training points, \(problem.trainX.columns) features\(raw ? "" : " (standardised)"), L = \(layers), kernel \(kernel.rawValue), ν = \(fmt(nu))\(biasFeature ? ", bias feature" : "")")
        print("objective L = \(fmt(model.objective, 12))\(raw ? "" : " (standardised units)"); \(model.iterations) iterations, \(model.converged ? "converged" : "stopped at the iteration limit")")
        if problem.classes == 0 { print("noise variance σ² = \(fmt(model.noiseVariance))\(fixedNoise ? " (fixed)" : "")\(raw ? "" : " (standardised units)")") }
        if let metrics {
            if let rmse = metrics.rmse { print("test RMSE \(fmt(rmse)), mean test NLL \(fmt(metrics.nll)) (\(metrics.count) points)") }
            if let acc = metrics.accuracy { print("test accuracy \(fmt(acc)), mean test NLL \(fmt(metrics.nll)) (\(metrics.count) points)") }
        }
    }

    /// K random 90/10 splits: per split, ν and L of the DKM (and L of the NNGP) are chosen by the mean
    /// NLL on a validation tenth of the training set, the chosen models are refitted on the whole
    /// training set and scored on the test set.
    func runComparison(x: Matrix, y: [Double], classes: Int, splits: Int, path: String) throws {
        let (nuValues, depthValues) = try parsedGrids()
        var results: [String: [DKMMetrics]] = [:]
        var chosen: [[String: Any]] = []
        var rng = SeededGenerator(seed: runtime.seed)
        let n = x.rows
        let nTest = Swift.max(1, Int((Double(n) * 0.1).rounded()))
        guard n - nTest >= 10 else { throw CLIError("--splits needs at least 11 rows, got \(n)") }
        for s in 0..<splits {
            let order = rng.permutation(n)
            let trainIdx = Array(order[nTest...]), testIdx = Array(order[..<nTest])
            let nVal = Swift.max(1, Int((Double(trainIdx.count) * 0.1).rounded()))
            let fitIdx = Array(trainIdx[nVal...]), valIdx = Array(trainIdx[..<nVal])
            func problem(_ a: [Int], _ b: [Int]) throws -> DKMProblem {
                try DKMProblem(trainX: x.rows(a), trainY: a.map { y[$0] }, testX: x.rows(b), testY: b.map { y[$0] }, classes: classes, standardize: true)
            }
            let validation = try problem(fitIdx, valIdx), final = try problem(trainIdx, testIdx)
            var best: (nll: Double, nu: Double, layers: Int)? = nil
            var bestNNGP: (nll: Double, layers: Int)? = nil
            for l in depthValues {
                for v in nuValues {
                    printStatus("split \(s + 1)/\(splits): DKM L = \(l), ν = \(fmt(v)) on validation…")
                    guard let m = try? settings(layers: l, nu: v).fit(validation, nngp: false),
                          let nll = try? m.testMetrics(validation).nll, nll.isFinite else { continue }
                    if best == nil || nll < best!.nll { best = (nll, v, l) }
                }
                if let m = try? settings(layers: l, nu: 1).fit(validation, nngp: true),
                   let nll = try? m.testMetrics(validation).nll, nll.isFinite, bestNNGP == nil || nll < bestNNGP!.nll {
                    bestNNGP = (nll, l)
                }
            }
            guard let best, let bestNNGP else { throw CLIError("split \(s + 1): no setting gave a finite validation NLL") }
            printStatus("split \(s + 1)/\(splits): refitting DKM (L = \(best.layers), ν = \(fmt(best.nu))) and NNGP (L = \(bestNNGP.layers))…")
            results["dkm", default: []].append(try settings(layers: best.layers, nu: best.nu).fit(final, nngp: false).testMetrics(final))
            results["nngp", default: []].append(try settings(layers: bestNNGP.layers, nu: 1).fit(final, nngp: true).testMetrics(final))
            var record: [String: Any] = ["split": s, "dkm_layers": best.layers, "dkm_nu": best.nu, "nngp_layers": bestNNGP.layers]
            if classes == 0 {
                results["rbf_gp", default: []].append(try rbfGaussianProcess(final))
            }
            for (name, list) in results { record["\(name)_test_nll"] = jsonNumber(list.last!.nll) }
            chosen.append(record)
        }
        let names = classes == 0 ? ["dkm", "nngp", "rbf_gp"] : ["dkm", "nngp"]
        func summary(_ values: [Double]) -> (mean: Double, se: Double) {
            let m = values.reduce(0, +) / Double(values.count)
            let v = values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)
            return (m, (v / Double(values.count)).squareRoot())
        }
        var table: [String: Any] = [:]
        for name in names {
            let list = results[name]!
            var entry: [String: Any] = [:]
            let nll = summary(list.map(\.nll))
            entry["test_nll_mean"] = jsonNumber(nll.mean)
            entry["test_nll_se"] = jsonNumber(nll.se)
            if classes == 0 {
                let r = summary(list.map { $0.rmse! })
                entry["test_rmse_mean"] = jsonNumber(r.mean)
                entry["test_rmse_se"] = jsonNumber(r.se)
            } else {
                let a = summary(list.map { $0.accuracy! })
                entry["test_accuracy_mean"] = jsonNumber(a.mean)
                entry["test_accuracy_se"] = jsonNumber(a.se)
            }
            table[name] = entry
        }
        if json {
            try printJSON(["data": path, "splits": splits, "kernel": kernel.rawValue, "bias_feature": biasFeature,
                           "inducing": inducing.map { $0 as Any } ?? NSNull(), "nu_grid": nuValues, "layers_grid": depthValues,
                           "results": table, "per_split": chosen])
            return
        }
        print("DKM vs NNGP\(classes == 0 ? " vs RBF GP" : "") on \(path): \(splits) random 90/10 splits (seed \(runtime.seed)), mean ± standard error")
        print("  kernel \(kernel.rawValue)\(biasFeature ? " + bias feature" : ""), \(inducing.map { "\($0) inducing points" } ?? "full rank"); ν ∈ \(nuGrid), L ∈ \(layersGrid) chosen on validation")
        for name in names {
            let e = table[name] as! [String: Any]
            let nll = "NLL \(fmt(e["test_nll_mean"] as? Double ?? .nan, 5)) ± \(fmt(e["test_nll_se"] as? Double ?? .nan, 2))"
            let other = classes == 0
                ? "RMSE \(fmt(e["test_rmse_mean"] as? Double ?? .nan, 5)) ± \(fmt(e["test_rmse_se"] as? Double ?? .nan, 2))"
                : "accuracy \(fmt(e["test_accuracy_mean"] as? Double ?? .nan, 4)) ± \(fmt(e["test_accuracy_se"] as? Double ?? .nan, 2))"
            print("  \(name.padding(toLength: 7, withPad: " ", startingAt: 0)) \(other)   \(nll)")
        }
    }

    /// constant·rbf + white on the standardised features, hyperparameters by marginal likelihood
    /// (2 seeded restarts), normalised target — scikit-learn's conventions.
    func rbfGaussianProcess(_ p: DKMProblem) throws -> DKMMetrics {
        let kernel = try KernelExpression.parse("constant(value=1) * rbf(length=3) + white(noise=0.1)")
        var gp = try GaussianProcessRegressor(kernel: kernel, inputs: p.trainX, targets: Vector(p.trainY), normalizeTarget: true)
        try gp.optimize(restarts: 2, seed: runtime.seed)
        let (mean, variance) = try gp.predict(p.testX!, includeNoise: true)
        let truth = p.testYOriginal!
        return DKMMetrics(regressionMean: mean.elements.map { $0 * p.targetScale + p.targetMean },
                          variance: variance.elements.map { $0 * p.targetScale * p.targetScale }, truth: truth)
    }
}

/// Training (and optional test) data, standardised with the training statistics.
struct DKMProblem {
    var trainX: Matrix
    /// Standardised targets (regression) or labels (classification).
    var trainY: [Double]
    var testX: Matrix?
    /// Test targets in the original units, or labels.
    var testYOriginal: [Double]?
    var classes: Int
    var targetMean = 0.0, targetScale = 1.0

    init(trainX: Matrix, trainY: [Double], testX: Matrix?, testY: [Double]?, classes: Int, standardize: Bool) throws {
        var x = trainX, tx = testX
        if standardize {
            for j in 0..<x.columns {
                let col = (0..<x.rows).map { x[$0, j] }
                let mean = col.reduce(0, +) / Double(col.count)
                let sd = (col.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(col.count)).squareRoot()
                let scale = sd > 0 ? sd : 1
                for i in 0..<x.rows { x[i, j] = (x[i, j] - mean) / scale }
                if tx != nil { for i in 0..<tx!.rows { tx![i, j] = (tx![i, j] - mean) / scale } }
            }
        }
        self.trainX = x
        self.testX = tx
        self.classes = classes
        testYOriginal = testY
        var mean = 0.0, scale = 1.0
        if classes == 0 && standardize {
            mean = trainY.reduce(0, +) / Double(trainY.count)
            let sd = (trainY.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(trainY.count)).squareRoot()
            scale = sd > 0 ? sd : 1
        }
        targetMean = mean
        targetScale = scale
        self.trainY = classes == 0 ? trainY.map { ($0 - mean) / scale } : trainY
    }
}

/// Held-out metrics: RMSE and mean Gaussian NLL (regression, target units) or accuracy and mean
/// −log p(label) (classification).
struct DKMMetrics {
    var count: Int
    var nll: Double
    var rmse: Double?
    var accuracy: Double?

    init(regressionMean mean: [Double], variance: [Double], truth: [Double]) {
        count = truth.count
        var se = 0.0, nll = 0.0
        for i in truth.indices {
            let r = truth[i] - mean[i], v = Swift.max(variance[i], 1e-300)
            se += r * r
            nll += 0.5 * Foundation.log(2 * Double.pi * v) + r * r / (2 * v)
        }
        rmse = (se / Double(count)).squareRoot()
        self.nll = nll / Double(count)
    }

    init(probabilities p: Matrix, labels: [Double]) {
        count = labels.count
        var correct = 0, nll = 0.0
        for i in labels.indices {
            let label = Int(labels[i])
            let predicted = (0..<p.columns).max { p[i, $0] < p[i, $1] }!
            if predicted == label { correct += 1 }
            nll -= Foundation.log(Swift.max(label < p.columns ? p[i, label] : 0, 1e-300))
        }
        accuracy = Double(correct) / Double(count)
        self.nll = nll / Double(count)
    }
}

/// The settings of one DKM fit.
struct DKMSettings {
    var layers: Int
    var kernel: GramKernelMap
    var nu: Double
    var noise: Double
    var learnsNoise: Bool
    var biasFeature: Bool
    var inducing: Int?
    var optimizer: FitDKMCommand.Optimizer
    var iterations: Int?
    var learningRate: Double
    var batchSize: Int
    var samples: Int
    var seed: UInt64

    /// Fits the DKM (or, with `nngp`, the ν = ∞ machine: Grams fixed at the NNGP, only σ² / q(u) fitted;
    /// for regression this is the exact NNGP GP whatever `inducing` says).
    func fit(_ p: DKMProblem, nngp: Bool) throws -> FittedDKM {
        let nus = [Double](repeating: nu, count: layers)
        let n = p.trainX.rows
        // Regression NNGP baselines are always exact (no inducing-point approximation): a stronger baseline.
        if p.classes == 0 && (inducing == nil || nngp) {
            let machine = try DeepKernelMachine(inputGram: DeepKernelMachine.inputGram(p.trainX, biasFeature: biasFeature),
                                                targets: Matrix(rows: n, columns: 1, columnMajor: p.trainY), kernel: kernel,
                                                nu: nus, noiseVariance: noise)
            let fit = try machine.fit(learnsNoise: learnsNoise, trainsGrams: !nngp, maxIterations: iterations ?? 2000,
                                      gradientTolerance: 1e-8)
            return .full(machine, fit, biasFeature)
        }
        let m = inducing ?? n
        guard m <= n else { throw DKMError.invalidParameter("--inducing \(m) exceeds the \(n) training points") }
        let indices = try SparseDeepKernelMachine.randomInducingIndices(count: n, inducing: m, seed: seed)
        let task: SparseDeepKernelMachine.Task = p.classes > 0
            ? .classification(labels: p.trainY.map { Int($0) }, classes: p.classes)
            : .regression(Matrix(rows: n, columns: 1, columnMajor: p.trainY))
        let machine = try SparseDeepKernelMachine(inputs: p.trainX, task: task, inducingIndices: indices, kernel: kernel, nu: nus,
                                                  noiseVariance: noise, biasFeature: biasFeature)
        let method: SparseDKMOptimizer = optimizer == .adam
            ? .adam(learningRate: learningRate, steps: iterations ?? 2000, batchSize: batchSize)
            : .lbfgs(maxIterations: iterations ?? 300)
        let fit = try machine.fit(optimizer: method, learnsNoise: learnsNoise, trainsGrams: !nngp, samples: samples, seed: seed)
        return .sparse(machine, fit)
    }
}

/// A fitted full or sparse DKM with what the CLI reports.
enum FittedDKM {
    case full(DeepKernelMachine, DeepKernelMachine.Fit, Bool)
    case sparse(SparseDeepKernelMachine, SparseDeepKernelMachine.Fit)

    var isSparse: Bool { if case .sparse = self { return true } else { return false } }
    var objective: Double {
        switch self {
        case let .full(_, fit, _): return fit.evaluation.objective
        case let .sparse(_, fit): return fit.evaluation.objective
        }
    }
    var iterations: Int {
        switch self {
        case let .full(_, fit, _): return fit.iterations
        case let .sparse(_, fit): return fit.iterations
        }
    }
    var converged: Bool {
        switch self {
        case let .full(_, fit, _): return fit.converged
        case let .sparse(_, fit): return fit.converged
        }
    }
    var noiseVariance: Double {
        switch self {
        case let .full(_, fit, _): return fit.noiseVariance
        case let .sparse(_, fit): return fit.parameters.noiseVariance
        }
    }
    var inducingCount: Int {
        if case let .sparse(machine, _) = self { return machine.inducingCount }
        return 0
    }

    /// Metrics on the problem's test set, in the target's original units.
    func testMetrics(_ p: DKMProblem) throws -> DKMMetrics {
        guard let testX = p.testX, let truth = p.testYOriginal else { throw CLIError("no test set") }
        switch self {
        case let .full(machine, fit, bias):
            let (cross, diagonal) = DeepKernelMachine.inputCrossGram(testX, p.trainX, biasFeature: bias)
            let (mean, variance) = try machine.predict(fit, crossInputGram: cross, inputDiagonal: diagonal)
            return DKMMetrics(regressionMean: (0..<testX.rows).map { mean[$0, 0] * p.targetScale + p.targetMean },
                              variance: variance.map { (Swift.max($0, 0) + fit.noiseVariance) * p.targetScale * p.targetScale }, truth: truth)
        case let .sparse(machine, fit):
            let prediction = try machine.predict(fit.parameters, inputs: testX, samples: 256, seed: 1)
            if let probabilities = prediction.probabilities { return DKMMetrics(probabilities: probabilities, labels: truth) }
            let s2 = fit.parameters.noiseVariance
            return DKMMetrics(regressionMean: (0..<testX.rows).map { prediction.mean[$0, 0] * p.targetScale + p.targetMean },
                              variance: prediction.variance.map { ($0 + s2) * p.targetScale * p.targetScale }, truth: truth)
        }
    }
}
