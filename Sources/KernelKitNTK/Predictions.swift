import Foundation
import KernelKitLinalg

/// The kernels an infinite-width prediction needs, between training set D and test set x.
public struct KernelBlocks: Sendable {
    /// NNGP K and NTK Θ on D × D.
    public var trainTrain: NeuralKernels
    /// NNGP and NTK on x × D (rows: test points).
    public var testTrain: NeuralKernels
    /// NNGP and NTK on x × x (needed for covariances only).
    public var testTest: NeuralKernels?

    /// Blocks computed elsewhere (e.g. by another network or a cache).
    public init(trainTrain: NeuralKernels, testTrain: NeuralKernels, testTest: NeuralKernels? = nil) {
        self.trainTrain = trainTrain
        self.testTrain = testTrain
        self.testTest = testTest
    }

    /// Computes all blocks for a network (Θ and K in one pass each).
    public init(network: InfiniteWidthNetwork, train: Matrix, test: Matrix, covariance: Bool = true) throws {
        trainTrain = try network.kernels(train)
        testTrain = try network.kernels(test, train)
        testTest = covariance ? try network.kernels(test) : nil
    }
}

/// Diagonal regularisation of the train–train kernel before it is decomposed: K + λ·s·I with
/// s = trace(K)/n (`relative`, neural-tangents' default) or s = 1 (`absolute`).
public struct DiagonalRegularization: Sendable {
    /// λ: the regularisation strength.
    public var value: Double
    /// Whether λ is absolute (true) or relative to the mean diagonal trace(K)/n (false).
    public var absolute: Bool
    /// Regularisation λ ≥ 0, relative by default (neural-tangents' `diag_reg`, `diag_reg_absolute_scale`).
    public init(_ value: Double = 0, absolute: Bool = false) {
        precondition(value >= 0, "diagonal regularisation must be ≥ 0")
        self.value = value
        self.absolute = absolute
    }
    func apply(_ k: Matrix) -> Matrix {
        guard value > 0 else { return k }
        var r = k
        r.addToDiagonal(value * (absolute ? 1 : k.trace / Double(k.rows)))
        return r
    }
}

/// Mean and covariance of the outputs of an infinite ensemble of networks.
public struct EnsemblePrediction: Sendable {
    /// Training time t (`.infinity` for the converged network).
    public let time: Double
    /// n_test × n_outputs predictive mean.
    public let mean: Matrix
    /// n_test × n_test covariance (shared by all outputs), if requested.
    public let covariance: Matrix?
}

/// Infinitely wide networks trained by gradient flow on the MSE loss (1/2N)‖f − y‖², N = n·k the
/// number of targets, with learning rate η — Lee et al. 2019, "Wide neural networks of any depth
/// evolve as linear models under gradient descent", eqs. 9–16; neural-tangents'
/// `predict.gradient_descent_mse_ensemble`.
///
/// With the dynamics kernel Θ (the NTK for `.ntk`, the NNGP for `.nngp` = training only the last
/// layer) and Θ_DD = V Λ Vᵀ, define M(t) = Θ_xD V diag((1 − e^{−ηtλ/N})/λ) Vᵀ. Then
///
///     mean(t) = M(t) y,
///     cov(t)  = K_xx + M(t) K_DD M(t)ᵀ − M(t) K_Dx − K_xD M(t)ᵀ,
///
/// averaged over the Gaussian initialisation f₀ ~ GP(0, K). Diagonal regularisation applies to the
/// dynamics kernel Θ_DD only (the K_DD of the covariance is the prior's), as in neural-tangents. At t = ∞, M = Θ_xD Θ_DD⁻¹ (kernel
/// regression); at t = 0 the mean is 0 and the covariance is the prior K_xx.
/// One O(n³) eigendecomposition serves any number of times; each time costs O(n²(n_test + k)).
public struct GradientDescentEnsemble: Sendable {
    /// The dynamics kernel: `.ntk` (all layers trained) or `.nngp` (last layer only).
    public let kernel: KernelSelection
    /// η of the gradient flow.
    public let learningRate: Double
    let eigen: SymmetricEigen
    let kTrainTrain: Matrix
    let y: Matrix
    /// Vᵀ y, reused for every time.
    let projectedTargets: Matrix

    /// Prepares predictions with the dynamics of `kernel` (.nngp or .ntk).
    /// - Throws: `LinalgError` if the eigendecomposition fails; `NTKError.shapeMismatch` for y.
    public init(kernels trainTrain: NeuralKernels, targets y: Matrix, kernel: KernelSelection = .ntk,
                learningRate: Double = 1, regularization: DiagonalRegularization = .init()) throws {
        precondition(kernel != .both, "choose .nngp or .ntk dynamics")
        guard let k = trainTrain.nngp, let dyn = kernel == .ntk ? trainTrain.ntk : trainTrain.nngp else {
            throw NTKError.shapeMismatch("the train–train kernels must include the NNGP and the \(kernel.rawValue)")
        }
        guard y.rows == k.rows else { throw NTKError.shapeMismatch("\(y.rows) targets for \(k.rows) training points") }
        guard y.isFinite else { throw NTKError.nonFinite("training targets") }
        guard learningRate > 0 && learningRate.isFinite else { throw NTKError.invalidLayer("learning rate must be positive") }
        self.kernel = kernel
        self.learningRate = learningRate
        self.eigen = try SymmetricEigen(regularization.apply(dyn))
        self.kTrainTrain = k
        self.y = y
        self.projectedTargets = BLAS.matmul(eigen.eigenvectors, y, .transpose)
    }

    /// The largest learning rate for which discrete gradient descent on this loss is stable:
    /// η < 2N/λ_max(Θ_DD) (neural-tangents' `predict.max_learning_rate`, no momentum).
    public var maxLearningRate: Double {
        2 * Double(y.rows * y.columns) / eigen.eigenvalues.elements.max()!
    }

    /// (1 − e^{−ηtλ/N})/λ for every eigenvalue, with its λ → 0 limit ηt/N.
    func spectralFactor(_ t: Double) -> [Double] {
        let scale = learningRate / Double(y.rows * y.columns)
        return eigen.eigenvalues.elements.map { lambda in
            if t.isInfinite { return lambda > 0 ? 1 / lambda : 0 }
            if lambda == 0 { return scale * t }
            return -Foundation.expm1(-scale * t * lambda) / lambda
        }
    }

    /// Predictions at each time in `times` (t ≥ 0, `.infinity` allowed).
    /// `testTest` (the x × x kernels) is needed only for covariances.
    public func predict(testTrain: NeuralKernels, testTest: NeuralKernels? = nil,
                        times: [Double], covariance: Bool = false) throws -> [EnsemblePrediction] {
        guard let kxD = testTrain.nngp, let dynXD = kernel == .ntk ? testTrain.ntk : testTrain.nngp else {
            throw NTKError.shapeMismatch("the test–train kernels must include the NNGP and the \(kernel.rawValue)")
        }
        guard dynXD.columns == y.rows else { throw NTKError.shapeMismatch("test–train kernel has \(dynXD.columns) columns for \(y.rows) training points") }
        let kxx = covariance ? testTest?.nngp : nil
        if covariance && kxx == nil { throw NTKError.shapeMismatch("covariances need the test–test NNGP") }
        // Θ_xD V, shared by all times.
        let dynV = BLAS.matmul(dynXD, eigen.eigenvectors)
        return try times.map { t in
            guard t >= 0 else { throw NTKError.invalidLayer("training time must be ≥ 0, got \(t)") }
            let g = spectralFactor(t)
            // mean = Θ_xD V diag(g) Vᵀ y
            var scaled = projectedTargets
            for j in 0..<scaled.columns { for i in 0..<scaled.rows { scaled[i, j] *= g[i] } }
            let mean = BLAS.matmul(dynV, scaled)
            guard covariance, let kxx else { return EnsemblePrediction(time: t, mean: mean, covariance: nil) }
            // M = Θ_xD V diag(g) Vᵀ
            var dynVg = dynV
            for j in 0..<dynVg.columns { for i in 0..<dynVg.rows { dynVg[i, j] *= g[j] } }
            let m = BLAS.matmul(dynVg, eigen.eigenvectors, .none, .transpose)
            let mk = BLAS.matmul(m, kTrainTrain)
            var cov = kxx
            BLAS.gemm(.none, .transpose, alpha: 1, mk, m, beta: 1, &cov)      // + M K_DD Mᵀ
            BLAS.gemm(.none, .transpose, alpha: -1, m, kxD, beta: 1, &cov)    // − M K_Dx
            BLAS.gemm(.none, .transpose, alpha: -1, kxD, m, beta: 1, &cov)    // − K_xD Mᵀ
            return EnsemblePrediction(time: t, mean: mean, covariance: cov)
        }
    }
}

/// Exact Bayesian inference with infinite-width kernels (neural-tangents' `predict.gp_inference`):
/// - `.nngp`: the GP posterior with prior K: mean K_xD (K_DD + R)⁻¹ y, cov K_xx − K_xD (K_DD + R)⁻¹ K_Dx;
/// - `.ntk`: the infinite-time gradient-descent ensemble (Lee et al. 2019 eq. 16, t = ∞);
/// - `.ntkgp`: the GP posterior with the NTK as prior covariance (He, Lakshminarayanan & Teh 2020).
/// R is the diagonal regularisation. Cost O(n³) once, O(n²·n_test) per prediction.
public enum InfiniteWidthInference {
    /// Which posterior: the NNGP GP, the infinite-time NTK ensemble, or the GP with NTK prior.
    public enum Posterior: String, Sendable, CaseIterable { case nngp, ntk, ntkgp }

    /// Posterior mean (n_test × outputs) and, if requested, covariance for `kind`. O(n³ + n²·n_test).
    public static func posterior(_ kind: Posterior, blocks: KernelBlocks, targets y: Matrix,
                                 regularization: DiagonalRegularization = .init(),
                                 covariance: Bool = true) throws -> EnsemblePrediction {
        switch kind {
        case .ntk:
            let e = try GradientDescentEnsemble(kernels: blocks.trainTrain, targets: y, kernel: .ntk,
                                                regularization: regularization)
            return try e.predict(testTrain: blocks.testTrain, testTest: blocks.testTest, times: [.infinity],
                                 covariance: covariance)[0]
        case .nngp, .ntkgp:
            let pick: (NeuralKernels) -> Matrix? = { kind == .nngp ? $0.nngp : $0.ntk }
            guard let kDD = pick(blocks.trainTrain), let kxD = pick(blocks.testTrain) else {
                throw NTKError.shapeMismatch("the kernel blocks lack the \(kind == .nngp ? "NNGP" : "NTK")")
            }
            guard y.rows == kDD.rows else { throw NTKError.shapeMismatch("\(y.rows) targets for \(kDD.rows) training points") }
            let chol = try Cholesky(regularization.apply(kDD), jitter: .none)
            let mean = BLAS.matmul(kxD, chol.solve(y))
            guard covariance else { return EnsemblePrediction(time: .infinity, mean: mean, covariance: nil) }
            guard let kxx = blocks.testTest.flatMap(pick) else { throw NTKError.shapeMismatch("covariances need the test–test kernel") }
            let w = chol.solveLower(kxD.transposed)       // L⁻¹ K_Dx
            var cov = kxx
            BLAS.gemm(.transpose, .none, alpha: -1, w, w, beta: 1, &cov)
            return EnsemblePrediction(time: .infinity, mean: mean, covariance: cov)
        }
    }
}
