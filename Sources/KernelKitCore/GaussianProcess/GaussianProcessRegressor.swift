#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
import KernelKitLinalg

/// Exact Gaussian-process regression (Rasmussen & Williams 2006, Algorithm 2.1), with the
/// conventions of scikit-learn's `GaussianProcessRegressor`.
///
/// Model: y = f(X) + ε, f ~ GP(0, k), where observation noise enters through a ``WhiteKernel``
/// term of the kernel and/or the diagonal `alpha` added to the Gram matrix. With
/// `normalizeTarget` the targets are standardised, ỹ = (y − ȳ)/s (s = standard deviation with divisor n as NumPy's `std`,
/// 1 if it is 0), the GP is fitted to ỹ and predictions are mapped back.
///
/// Fitting (the initialiser) factors K + αI = LLᵀ (Cholesky with `jitter` escalation) and solves
/// for the weights w = (K + αI)⁻¹ỹ (scikit-learn's `alpha_`): n³/3 + O(n²d) flops, n² memory.
/// The log marginal likelihood of the (normalised) targets is
///
///     log p(ỹ | X, θ) = −½ ỹᵀw − Σᵢ log Lᵢᵢ − (n/2) log 2π,
///
/// and its gradient with respect to the log-hyperparameters is
/// ∂/∂θₖ = ½ tr((wwᵀ − (K + αI)⁻¹) ∂K/∂θₖ), computed as `Kernel.gramGradientContraction` with
/// W = ½(wwᵀ − (K + αI)⁻¹) (one extra n³ inverse).
///
/// Fitted values are immutable except through ``optimize(restarts:seed:optimizer:)``, which
/// maximises the log marginal likelihood and refits.
///
/// Usage:
///
///     let kernel = try KernelExpression.parse("constant(value=1) * rbf(length=2) + white(noise=0.1)")
///     var gp = try GaussianProcessRegressor(kernel: kernel, inputs: x, targets: y, normalizeTarget: true)
///     try gp.optimize(restarts: 3, seed: 0)          // maximise log p(y | X, θ)
///     let (mean, variance) = try gp.predict(xTest)    // latent f; includeNoise: true for new observations
///     let json = try JSONEncoder().encode(gp.model)   // reload with GaussianProcessRegressor(model:)
///
/// Memory: the n×n Cholesky factor is kept; each log-marginal-likelihood gradient evaluation
/// temporarily needs K, L, (K + αI)⁻¹ and about one n×n matrix per non-constant kernel factor.
public struct GaussianProcessRegressor: Sendable {
    /// The kernel with its current hyperparameters.
    public private(set) var kernel: any Kernel
    /// Value added to the diagonal of the training Gram matrix (scikit-learn's `alpha`; default
    /// 1e-10, a jitter). It counts as observation noise in `predict(_:includeNoise: true)`.
    public let alpha: Double
    /// Whether targets are standardised before fitting (scikit-learn's `normalize_y`).
    public let normalizesTarget: Bool
    /// Jitter escalation used when K + αI is numerically singular.
    public let jitterPolicy: JitterPolicy
    /// Training inputs X, one point per row (n×d).
    public let trainingInputs: Matrix
    /// Training targets y in original units.
    public let trainingTargets: Vector
    /// ȳ subtracted from the targets (0 without normalisation).
    public let targetMean: Double
    /// s dividing the centred targets (1 without normalisation).
    public let targetScale: Double

    /// Cholesky factor of K + αI (+ its recorded jitter) at the current hyperparameters.
    public private(set) var cholesky: Cholesky
    /// w = (K + αI)⁻¹ỹ, the representer weights of the posterior mean (scikit-learn's `alpha_`).
    public private(set) var weights: Vector
    /// log p(ỹ | X, θ) at the current hyperparameters (normalised targets when `normalizesTarget`).
    public private(set) var logMarginalLikelihood: Double

    /// Fit a GP to inputs `x` (n×d, rows are points) and targets `y` (n values).
    /// - Throws: ``GaussianProcessError`` for empty or non-finite data, mismatched sizes, a kernel
    ///   requiring another input dimension, a negative `alpha`, or a Gram matrix that stays
    ///   indefinite after jitter.
    public init(kernel: any Kernel, inputs x: Matrix, targets y: Vector, alpha: Double = 1e-10,
                normalizeTarget: Bool = false, jitter: JitterPolicy = .default) throws {
        guard x.rows > 0 else { throw GaussianProcessError.emptyTrainingSet }
        guard x.rows == y.count else {
            throw GaussianProcessError.shapeMismatch("\(x.rows) input rows but \(y.count) targets")
        }
        guard x.isFinite else { throw GaussianProcessError.nonFinite("training inputs") }
        guard y.isFinite else { throw GaussianProcessError.nonFinite("training targets") }
        guard alpha >= 0 && alpha.isFinite else {
            throw GaussianProcessError.invalidParameter("alpha must be finite and ≥ 0, got \(alpha)")
        }
        try Self.checkDimension(kernel, x)
        self.kernel = kernel
        self.alpha = alpha
        self.normalizesTarget = normalizeTarget
        self.jitterPolicy = jitter
        self.trainingInputs = x
        self.trainingTargets = y
        if normalizeTarget {
            let n = Double(y.count)
            let mean = y.sum / n
            let variance = y.elements.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
            self.targetMean = mean
            self.targetScale = variance > 0 ? variance.squareRoot() : 1
        } else {
            self.targetMean = 0
            self.targetScale = 1
        }
        let f = try Self.factor(kernel, x, Self.normalized(y, targetMean, targetScale), alpha: alpha, jitter: jitter)
        self.cholesky = f.cholesky
        self.weights = f.weights
        self.logMarginalLikelihood = f.logMarginalLikelihood
    }

    /// Targets used for fitting: ỹ = (y − ȳ)/s.
    public var normalizedTargets: Vector { Self.normalized(trainingTargets, targetMean, targetScale) }

    // MARK: Log marginal likelihood

    /// log p(ỹ | X, θ) for the full log-hyperparameter vector θ (fixed entries included, in
    /// `kernel.hyperparameters` order). O(n³).
    /// - Throws: ``GaussianProcessError/notPositiveDefinite(kernel:jitter:)`` when K(θ) + αI cannot
    ///   be factored.
    public func logMarginalLikelihood(logParameters theta: [Double]) throws -> Double {
        var k = kernel
        k.logParameters = theta
        return try Self.factor(k, trainingInputs, normalizedTargets, alpha: alpha, jitter: jitterPolicy)
            .logMarginalLikelihood
    }

    /// log p(ỹ | X, θ) and its gradient ∂/∂θₖ = ½ tr((wwᵀ − (K + αI)⁻¹) ∂K/∂θₖ) with respect to every
    /// log-hyperparameter (fixed ones included). O(n³) plus the kernel's gradient contraction.
    public func logMarginalLikelihoodAndGradient(logParameters theta: [Double]) throws
        -> (value: Double, gradient: [Double]) {
        var k = kernel
        k.logParameters = theta
        return try Self.valueAndGradient(k, trainingInputs, normalizedTargets, alpha: alpha, jitter: jitterPolicy)
    }

    // MARK: Prediction

    /// Posterior mean and variance at the rows of `xs` (m×d), in original target units:
    /// μ* = k(X*, X) w, σ²* = k(x*, x*) − ‖L⁻¹k(X, x*)‖². With `includeNoise` the variance is that
    /// of a new observation (adds the kernel's white noise and `alpha`), otherwise that of the latent
    /// f. Negative variances from round-off are clamped to 0 (as scikit-learn does).
    /// Cost: O(nmd) for k(X, X*) + n²m for the triangular solve.
    /// - Throws: ``GaussianProcessError`` for non-finite test inputs or a wrong number of columns.
    public func predict(_ xs: Matrix, includeNoise: Bool = false) throws -> (mean: Vector, variance: Vector) {
        let (mean, v) = try meanAndWhitenedCrossCovariance(xs)
        let m = xs.rows
        var variance = priorVariance(xs, includeNoise: includeNoise)
        for j in 0..<m {
            var s = 0.0
            for i in 0..<v.rows { s += v[i, j] * v[i, j] }
            variance[j] = max(0, variance[j] - s) * targetScale * targetScale
        }
        return (mean, variance)
    }

    /// Posterior mean and full m×m covariance k(X*, X*) − k(X*, X)(K + αI)⁻¹k(X, X*) at the rows of
    /// `xs`, in original units; `includeNoise` adds observation noise to the diagonal. The result is
    /// exactly symmetric but, from round-off, may have tiny negative eigenvalues. O(n²m + nm²).
    public func predictCovariance(_ xs: Matrix, includeNoise: Bool = false) throws -> (mean: Vector, covariance: Matrix) {
        let (mean, v) = try meanAndWhitenedCrossCovariance(xs)
        var cov = kernel(xs, xs)
        BLAS.syrk(.lower, .transpose, alpha: -1, v, beta: 1, &cov)
        cov.symmetrizeFromLower()
        if includeNoise {
            let noise = zip(kernel.diagonal(xs), kernel.noiseFreeDiagonal(xs)).map { $0 - $1 + alpha }
            cov.addToDiagonal(noise)
        }
        return (mean, (targetScale * targetScale) * cov)
    }

    /// (μ* in original units, V = L⁻¹k(X, X*)).
    private func meanAndWhitenedCrossCovariance(_ xs: Matrix) throws -> (Vector, Matrix) {
        guard xs.columns == trainingInputs.columns else {
            throw GaussianProcessError.shapeMismatch(
                "test inputs have \(xs.columns) columns, training inputs \(trainingInputs.columns)")
        }
        guard xs.isFinite else { throw GaussianProcessError.nonFinite("test inputs") }
        let ks = kernel(trainingInputs, xs)
        var mean = BLAS.matvec(ks, weights, .transpose)
        for j in mean.indices { mean[j] = mean[j] * targetScale + targetMean }
        return (mean, cholesky.solveLower(ks))
    }

    /// Prior variance of f (or of an observation) at each test point, in normalised units.
    private func priorVariance(_ xs: Matrix, includeNoise: Bool) -> Vector {
        includeNoise ? Vector(kernel.diagonal(xs).map { $0 + alpha }) : kernel.noiseFreeDiagonal(xs)
    }

    // MARK: Internals shared with optimisation and loading

    struct Factorization {
        let cholesky: Cholesky
        let weights: Vector
        let logMarginalLikelihood: Double
    }

    static func normalized(_ y: Vector, _ mean: Double, _ scale: Double) -> Vector {
        Vector(y.elements.map { ($0 - mean) / scale })
    }

    static func checkDimension(_ kernel: any Kernel, _ x: Matrix) throws {
        if let d = kernel.inputDimension, d != x.columns {
            throw GaussianProcessError.dimensionMismatch(kernelDimension: d, dataDimension: x.columns,
                                                         kernel: kernel.description)
        }
    }

    /// Factor K + αI and evaluate the log marginal likelihood of `y`.
    static func factor(_ kernel: any Kernel, _ x: Matrix, _ y: Vector, alpha: Double,
                       jitter: JitterPolicy) throws -> Factorization {
        try factor(gram: kernel.gram(x), kernel, y, alpha: alpha, jitter: jitter)
    }

    /// Factor K + αI for a Gram matrix K of `kernel` and evaluate the log marginal likelihood of `y`.
    static func factor(gram k: Matrix, _ kernel: any Kernel, _ y: Vector, alpha: Double,
                       jitter: JitterPolicy) throws -> Factorization {
        var k = k
        k.addToDiagonal(alpha)
        let chol: Cholesky
        do {
            chol = try Cholesky(k, jitter: jitter)
        } catch let LinalgError.notPositiveDefinite(_, added) {
            throw GaussianProcessError.notPositiveDefinite(kernel: kernel.description, jitter: added)
        } catch {
            throw GaussianProcessError.nonFinite("kernel matrix of \(kernel.description)")
        }
        let w = chol.solve(y)
        let n = Double(y.count)
        let lml = -0.5 * BLAS.dot(y, w) - 0.5 * chol.logDeterminant - 0.5 * n * log(2 * Double.pi)
        guard lml.isFinite else {
            throw GaussianProcessError.nonFinite("log marginal likelihood of \(kernel.description)")
        }
        return Factorization(cholesky: chol, weights: w, logMarginalLikelihood: lml)
    }

    static func valueAndGradient(_ kernel: any Kernel, _ x: Matrix, _ y: Vector, alpha: Double,
                                 jitter: JitterPolicy) throws -> (value: Double, gradient: [Double]) {
        let (gram, contraction) = kernel.gramWithGradientContraction(x)
        let f = try factor(gram: gram, kernel, y, alpha: alpha, jitter: jitter)
        // W = ½(wwᵀ − (K + αI)⁻¹), built in place of the inverse.
        var weightMatrix = f.cholesky.inverse()
        let n = y.count
        let w = f.weights
        for j in 0..<n {
            let wj = w[j]
            for i in 0..<n {
                weightMatrix.storage[i + j * n] = 0.5 * (w[i] * wj - weightMatrix.storage[i + j * n])
            }
        }
        return (f.logMarginalLikelihood, contraction(weightMatrix))
    }

    /// Replace the kernel's hyperparameters and refit (used by optimisation).
    mutating func refit(logParameters theta: [Double]) throws {
        var k = kernel
        k.logParameters = theta
        let f = try Self.factor(k, trainingInputs, normalizedTargets, alpha: alpha, jitter: jitterPolicy)
        kernel = k
        cholesky = f.cholesky
        weights = f.weights
        logMarginalLikelihood = f.logMarginalLikelihood
    }
}
