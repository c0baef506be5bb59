import ArgumentParser
import Foundation
import KernelKit

/// `kernelkit fit`: the fitting jobs. With no subcommand name (or a regression model name such as
/// `nngp`), the regression job below runs; every method module with its own model kind has its own
/// subcommand in its own file.
struct FitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit a model: regression (default: GP on Mauna Loa CO2), PDE, KDE, DKM, vMF, PFN.",
        discussion: """
            `kernelkit fit` alone, or `kernelkit fit gp|nngp|ntk|tprocess ...`, runs the regression \
            job (see `kernelkit fit regression --help`). The other subcommands fit the method \
            modules' models.
            """,
        subcommands: [FitRegressionCommand.self, FitPDECommand.self, FitKDECommand.self, FitDKMCommand.self,
                      FitVMFCommand.self, FitPFNCommand.self],
        defaultSubcommand: FitRegressionCommand.self)
}

/// `kernelkit fit [regression] [gp|nngp|ntk|tprocess]`: regression with an exact GP (a composite-kernel
/// expression), with the infinite-width NNGP / NTK predictor of a network architecture, or with a
/// scale mixture of the NNGP (Student-t and heavier-tailed processes).
struct FitRegressionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regression",
        abstract: "Fit a regression model and report held-out accuracy (the default `fit` job).",
        discussion: """
            With no arguments: a Gaussian process on the bundled Mauna Loa CO2 series (monthly means \
            1958-2001) with a composite kernel for the long-term trend, the seasonal cycle, medium-term \
            irregularities and noise; hyperparameters by maximising the log marginal likelihood; the \
            last 15% of the series held out to measure extrapolation.

            MODEL is `gp` (default), `nngp` (Bayesian infinitely wide network) or `ntk` (infinitely \
            wide network trained by gradient descent, at --time t) or `tprocess` (scale mixture of \
            the NNGP: a prior on the last-layer variance, y | s2 ~ N(0, s2 (K + eps I)); Lee et al. \
            ICLR 2022; the target is used unscaled).

            SCALE PRIORS (--prior, model tprocess): invgamma:ALPHA,BETA (Student-t process, closed \
            form), burr12:C,D[,SCALE], halfcauchy:S (on the standard deviation), gamma:K,THETA, \
            lognormal:MU,S (of log s2). --method closed-form (inverse gamma only), quadrature \
            (adaptive, over log s2) or importance (self-normalised importance sampling, --samples, \
            --seed). With the inverse-gamma prior: --fit-hyper maximises the evidence over eps, W_std, \
            b_std and depth (alpha with --fit-alpha; beta only trades off against the kernel's scale); --classify treats the target as class \
            labels (one-hot regression; accuracy and NLL of the test labels).

            KERNEL EXPRESSIONS (--kernel, model gp): names rbf (se), matern12, matern32, matern52, \
            periodic, rq, linear, white, constant, sm (spectral mixture); `+` and `*` with the usual \
            precedence, parentheses, numbers as constant factors; initial values by keyword: \
            rbf(length=50), periodic(length=1, period=1), rq(length=1, alpha=1), white(noise=0.1), \
            constant(value=4), linear(sigma0=1), sm(q=3); `fixed` after a value keeps it fixed, \
            `in [lo, hi]` sets its bounds. Example: \
            --kernel "rbf(length=50) + periodic(length=1, period=1 fixed)*rbf(length=100) + white(noise=0.1)"

            ARCHITECTURES (--arch, models nngp/ntk): e.g. dense(1.5,0.05),relu,dense(1.5,0.05); see \
            `kernelkit help kernel`.

            DATA: --data takes a CSV or .npy file, or a bundled dataset name (see `kernelkit \
            datasets`). --target names the target column (name or index; default: the last column, or \
            the dataset's target). Other numeric columns are features.
            """)

    enum Model: String, ExpressibleByArgument, CaseIterable { case gp, nngp, ntk, tprocess }
    enum Split: String, ExpressibleByArgument, CaseIterable { case last, random }

    @Argument(help: "gp, nngp, ntk or tprocess.")
    var model: Model = .gp

    @Option(help: "Data file (.csv/.npy) or bundled dataset name.")
    var data: String = "co2"

    @Option(help: "Target column: name or index (negative counts from the end).")
    var target: String?

    @Option(help: "Separate test file with the same columns (instead of holding out a fraction).")
    var test: String?

    @Option(name: .customLong("test-fraction"), help: "Fraction of rows held out for testing (default 0.15 for co2, else 0.2).")
    var testFraction: Double?

    @Option(help: "How rows are held out: last (time series; default for co2) or random (default otherwise).")
    var split: Split?

    @Option(help: "Kernel expression (model gp). Default for co2: the classic trend+seasonal+irregular+noise kernel; otherwise constant*rbf + white.")
    var kernel: String?

    @Flag(name: .customLong("drop-missing"), help: "Skip rows with missing values (empty, NA, NaN) instead of stopping with an error (always on for co2-weekly, which has 59 missing weeks).")
    var dropMissing = false

    @Option(help: "Extra optimiser runs from random starts within the bounds (model gp).")
    var restarts: Int = 2

    @Flag(inversion: .prefixedNo, help: "Standardise features to zero mean, unit variance (default: on, except for co2 whose kernel is in years).")
    var standardize: Bool?

    @Flag(inversion: .prefixedNo, help: "Standardise the target (mean 0, variance 1) before fitting.")
    var normalize = true

    @Option(name: .customLong("save-model"), help: "Save the fitted GP to a JSON model file for `kernelkit predict`.")
    var saveModel: String?

    @Option(help: "Network architecture (models nngp/ntk).")
    var arch: String = "dense(1.5,0.05),relu,dense(1.5,0.05),relu,dense(1.5,0.05)"

    @Option(help: "Dense parameterization: ntk or standard (models nngp/ntk).")
    var parameterization: String = "ntk"

    @Option(help: "Training time of the gradient-descent ensemble (model ntk; default: infinity).")
    var time: Double?

    @Option(name: .customLong("diag-reg"), help: "Relative diagonal regularisation of the train kernel, i.e. the noise (models nngp/ntk).")
    var diagReg: Double = 1e-3

    @Flag(name: .customLong("fit-hyper"), help: "Maximise the NNGP marginal likelihood over W_std, b_std, noise and depth (models nngp/ntk); for tprocess the Student-t evidence over eps, W_std, b_std and depth 1-3 at the --prior's alpha and beta.")
    var fitHyper = false

    @Flag(name: .customLong("fit-alpha"), help: "With --fit-hyper (model tprocess): free alpha too (it runs to its upper bound: the evidence grows with alpha towards the GP).")
    var fitAlpha = false

    @Flag(help: "Classify (model tprocess): the target column holds integer class labels; exact regression on one-hot labels, class probabilities by Monte Carlo over the predictive t (--samples, --seed).")
    var classify = false

    @Option(help: "Prior on the last-layer variance (model tprocess; default invgamma:2,2): invgamma:ALPHA,BETA | burr12:C,D[,SCALE] | halfcauchy:S | gamma:K,THETA | lognormal:MU,S.")
    var prior: String?

    @Option(help: "Absolute diagonal jitter eps in K + eps I, the noise per unit of last-layer variance (model tprocess; default 0.01).")
    var jitter: Double?

    @Option(help: "closed-form (inverse-gamma prior; its default), quadrature (default otherwise) or importance (model tprocess).")
    var method: ScaleMixtureFit.Method?

    @Option(help: "Importance samples for --method importance (default 10000), or Monte Carlo draws per test point for --classify (default 2000) (model tprocess).")
    var samples: Int?

    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let f = testFraction, !(f > 0 && f < 1) { throw ValidationError("--test-fraction must be between 0 and 1, got \(f)") }
        if restarts < 0 { throw ValidationError("--restarts must be ≥ 0") }
        if !(diagReg >= 0 && diagReg.isFinite) { throw ValidationError("--diag-reg must be ≥ 0") }
        if let t = time, !(t >= 0) { throw ValidationError("--time must be ≥ 0") }
        if Parameterization(rawValue: parameterization) == nil { throw ValidationError("--parameterization must be ntk or standard") }
        if model == .gp && (time != nil || fitHyper) { throw ValidationError("--time and --fit-hyper apply to nngp/ntk only") }
        if model != .gp && kernel != nil { throw ValidationError("--kernel applies to model gp; use --arch for nngp/ntk") }
        if model == .tprocess {
            if time != nil { throw ValidationError("--time does not apply to model tprocess") }
            try validateTProcessOptions()
        } else if prior != nil || jitter != nil || method != nil || samples != nil || fitAlpha || classify {
            throw ValidationError("--prior, --jitter, --method, --samples, --fit-alpha and --classify apply to model tprocess only")
        }
    }

    func run() throws {
        runtime.apply()
        let problem = try RegressionProblem.load(self)
        switch model {
        case .gp: try fitGaussianProcess(problem)
        case .nngp, .ntk: try fitInfiniteWidth(problem)
        case .tprocess: try fitTProcess(problem)
        }
    }
}

/// Training and test data after loading, splitting and scaling.
struct RegressionProblem {
    var name: String
    var path: String
    var featureNames: [String]
    var targetName: String
    var trainX: Matrix
    var trainY: Vector
    var testX: Matrix
    var testY: Vector
    var featureMean: [Double]
    var featureScale: [Double]
    var isDefaultCO2: Bool
    var droppedRows: Int

    static func load(_ c: FitRegressionCommand) throws -> RegressionProblem {
        let (path, bundledTarget) = try BundledData.resolve(c.data)
        let targetColumn: DataColumn = c.target.map(dataColumn) ?? bundledTarget.map { .name($0) } ?? .index(-1)
        let drop = c.dropMissing || c.data == "co2-weekly"
        let options = DataReadOptions(target: targetColumn, missingValues: drop ? .dropRows : .error)
        let all = try loadForCLI(path, options)
        guard all.target != nil else { throw CLIError("no target column in \(path)") }
        guard all.count >= 3 else { throw CLIError("\(path) has \(all.count) usable rows; need at least 3") }
        let isCO2 = c.data == "co2" || c.data == "co2-weekly"
        var train = all, testSet: Dataset
        if let testPath = c.test {
            testSet = try loadForCLI(try BundledData.resolve(testPath).path, options)
            guard testSet.dimension == all.dimension else {
                throw CLIError("test file has \(testSet.dimension) features, training file \(all.dimension)")
            }
        } else {
            let fraction = c.testFraction ?? (isCO2 ? 0.15 : 0.2)
            let split = c.split ?? (isCO2 ? .last : .random)
            let nTest = Swift.max(1, Int((Double(all.count) * fraction).rounded()))
            guard nTest < all.count else { throw CLIError("--test-fraction leaves no training data") }
            var order = Array(0..<all.count)
            if split == .random {
                var rng = SeededGenerator(seed: c.runtime.seed)
                rng.shuffle(&order)
            }
            train = all.rows(Array(order[0..<(all.count - nTest)]))
            testSet = all.rows(Array(order[(all.count - nTest)...]))
        }
        let d = train.dimension
        var mean = [Double](repeating: 0, count: d), scale = [Double](repeating: 1, count: d)
        if c.standardize ?? !isCO2 {
            for j in 0..<d {
                let col = train.features.column(j).elements
                let m = col.reduce(0, +) / Double(col.count)
                let v = col.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(col.count)
                mean[j] = m
                scale[j] = v > 0 ? v.squareRoot() : 1
            }
        }
        func scaled(_ x: Matrix) -> Matrix { Matrix(rows: x.rows, columns: d) { i, j in (x[i, j] - mean[j]) / scale[j] } }
        return RegressionProblem(
            name: c.data, path: path, featureNames: all.featureNames, targetName: all.targetName ?? "target",
            trainX: scaled(train.features), trainY: train.target!, testX: scaled(testSet.features), testY: testSet.target!,
            featureMean: mean, featureScale: scale, isDefaultCO2: isCO2, droppedRows: all.droppedLines.count)
    }

    /// Features in original units (for plots).
    func original(_ x: Matrix) -> Matrix {
        Matrix(rows: x.rows, columns: x.columns) { i, j in x[i, j] * featureScale[j] + featureMean[j] }
    }

    var summaryLine: String {
        "\(trainX.rows) training / \(testX.rows) test rows, \(trainX.columns) feature\(trainX.columns == 1 ? "" : "s"), target '\(targetName)'"
            + (droppedRows > 0 ? " (\(droppedRows) rows with missing values dropped)" : "")
    }
}

/// Root-mean-square error of predictions.
func rmse(_ prediction: Vector, _ truth: Vector) -> Double {
    (zip(prediction.elements, truth.elements).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(truth.count)).squareRoot()
}

/// Mean log predictive density of Gaussian predictions N(mean, variance).
func meanLogPredictiveDensity(_ mean: Vector, _ variance: Vector, _ truth: Vector) -> Double {
    var s = 0.0
    for i in truth.indices {
        let v = Swift.max(variance[i], 1e-300)
        s += -0.5 * (log(2 * Double.pi * v) + (truth[i] - mean[i]) * (truth[i] - mean[i]) / v)
    }
    return s / Double(truth.count)
}
