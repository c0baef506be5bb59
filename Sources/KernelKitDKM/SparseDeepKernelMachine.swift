import Foundation
import KernelKitLinalg

/// The sparse (inducing-point) deep kernel machine of Yang et al. (ICML 2023, §5): per layer only the
/// M × M Gram block G_ℓ of M inducing points is learned; the data points' features follow from the GP
/// conditional given the inducing points' (``DeepKernelMachine/predict(_:crossInputGram:inputDiagonal:)``
/// describes the step), and only their cross Gram with the inducing points and their Gram diagonal are
/// ever formed. The output layer is a sparse variational GP (Hensman, Matthews & Ghahramani 2015) with
/// q(u_λ) = N(m_λ, S) on the inducing outputs of each channel λ (one covariance S shared by all channels).
/// The objective (an evidence lower bound) is
///
///     L = Σ_b E_q[log p(y_b | f_b)] − Σ_ℓ ν_ℓ KL(N(0, G_ℓ) ‖ N(0, K(G_{ℓ−1})_ii)) − Σ_λ KL(N(m_λ, S) ‖ N(0, K(G_L)_ii)),
///
/// with the data term exact for a Gaussian likelihood (−½log 2πσ² − ((y − μ)² + v)/(2σ²) per point and
/// channel) and a Monte Carlo average over f_b = μ_b + √v_b ε for softmax classification. With a
/// minibatch B the data term is scaled by n/|B| (unbiased). With all data points as inducing points and
/// q(u) at its optimum this is exactly the full DKM objective.
///
/// Inducing inputs are fixed (a subset of the training inputs, ``randomInducingIndices(count:inducing:seed:)``).
/// Cost per evaluation: O(L·(|B|·M² + M³)) — linear in the number of data points.
public struct SparseDeepKernelMachine: Sendable {
    /// What the output layer predicts.
    public enum Task: Sendable, Equatable {
        /// Gaussian likelihood; targets n × Λ (one column per channel).
        case regression(Matrix)
        /// Softmax likelihood over `classes` latent functions; labels in 0..<classes.
        case classification(labels: [Int], classes: Int)

        var outputs: Int {
            switch self {
            case let .regression(y): return y.columns
            case let .classification(_, classes): return classes
            }
        }
    }

    /// The learnable state: inducing Grams G₁…G_L, q(u) = N(m, S), σ².
    public struct Parameters: Sendable {
        /// G_ℓ on the inducing points, ℓ = 1…L (M × M, positive definite).
        public var grams: [Matrix]
        /// m (M × Λ), one column per output channel.
        public var outputMean: Matrix
        /// S (M × M, positive definite), shared by the channels.
        public var outputCovariance: Matrix
        /// σ² (regression; unused for classification).
        public var noiseVariance: Double

        /// Collects the parameters.
        public init(grams: [Matrix], outputMean: Matrix, outputCovariance: Matrix, noiseVariance: Double) {
            self.grams = grams
            self.outputMean = outputMean
            self.outputCovariance = outputCovariance
            self.noiseVariance = noiseVariance
        }
    }

    /// The objective (or, for a minibatch or Monte Carlo, its unbiased estimate) with its parts.
    public struct Evaluation: Sendable {
        /// L (see the type's documentation).
        public let objective: Double
        /// The (scaled) expected log likelihood.
        public let expectedLogLikelihood: Double
        /// KL(N(0,G_ℓ) ‖ N(0,K(G_{ℓ−1})_ii)) per layer.
        public let kl: [Double]
        /// Σ_λ KL(q(u_λ) ‖ p(u_λ)).
        public let outputKL: Double
        /// Gradients (symmetric Ḡ_ℓ, m̄, S̄, ∂L/∂σ²) when requested.
        public let gradient: Parameters?
    }

    /// Training inputs (n × N₀, a bias feature already appended if requested).
    public let inputs: Matrix
    /// Inducing inputs (M × N₀, same feature convention).
    public let inducingInputs: Matrix
    /// Targets.
    public let task: Task
    /// The kernel map.
    public let kernel: GramKernelMap
    /// ν_ℓ, ℓ = 1…L.
    public let nu: [Double]
    /// σ² at the start (regression).
    public let noiseVariance: Double
    /// Whether a constant feature 1 is appended to every input before G₀ = ΦΦᵀ/N₀.
    public let biasFeature: Bool

    let inducingGram0: Matrix
    let cross0: Matrix
    let diagonal0: [Double]

    /// Number L of hidden layers.
    public var layers: Int { nu.count }
    /// Number n of training points.
    public var count: Int { inputs.rows }
    /// Number M of inducing points.
    public var inducingCount: Int { inducingInputs.rows }

    /// A sparse DKM on inputs `x` (n × N₀) with inducing inputs the rows `inducingIndices` of x.
    /// - Throws: `DKMError` for ν ≤ 0, L < 1, σ² ≤ 0, no or more inducing points than data, repeated
    ///   indices, bad labels, shape mismatches or non-finite data.
    public init(inputs x: Matrix, task: Task, inducingIndices: [Int], kernel: GramKernelMap = .relu, nu: [Double],
                noiseVariance: Double = 0.1, biasFeature: Bool = false) throws(DKMError) {
        try DeepKernelMachine.validate(nu: nu, noiseVariance: noiseVariance)
        guard x.isFinite else { throw DKMError.nonFinite("inputs") }
        guard x.rows > 0 else { throw DKMError.shapeMismatch("no data points") }
        switch task {
        case let .regression(y):
            guard y.rows == x.rows, y.columns > 0 else { throw DKMError.shapeMismatch("inputs have \(x.rows) rows, targets \(y.rows)") }
            guard y.isFinite else { throw DKMError.nonFinite("targets") }
        case let .classification(labels, classes):
            guard labels.count == x.rows else { throw DKMError.shapeMismatch("inputs have \(x.rows) rows, labels \(labels.count)") }
            guard classes >= 2, labels.allSatisfy({ (0..<classes).contains($0) }) else {
                throw DKMError.invalidParameter("labels must lie in 0..<\(classes) with at least 2 classes")
            }
        }
        guard !inducingIndices.isEmpty, inducingIndices.count <= x.rows else {
            throw DKMError.invalidParameter("the number of inducing points must be between 1 and the number of data points (\(x.rows)), got \(inducingIndices.count)")
        }
        guard inducingIndices.allSatisfy({ (0..<x.rows).contains($0) }), Set(inducingIndices).count == inducingIndices.count else {
            throw DKMError.invalidParameter("inducing indices must be distinct rows of the data")
        }
        inputs = DeepKernelMachine.features(x, biasFeature: biasFeature)
        inducingInputs = inputs.rows(inducingIndices)
        self.task = task
        self.kernel = kernel
        self.nu = nu
        self.noiseVariance = noiseVariance
        self.biasFeature = biasFeature
        inducingGram0 = DeepKernelMachine.inputGram(inducingInputs)
        (cross0, diagonal0) = DeepKernelMachine.inputCrossGram(inputs, inducingInputs)
    }

    /// M distinct indices in 0..<n drawn uniformly (seeded).
    /// - Throws: `DKMError.invalidParameter` unless 1 ≤ M ≤ n.
    public static func randomInducingIndices(count n: Int, inducing m: Int, seed: UInt64) throws(DKMError) -> [Int] {
        guard m >= 1 && m <= n else {
            throw DKMError.invalidParameter("the number of inducing points must be between 1 and the number of data points (\(n)), got \(m)")
        }
        var rng = SeededGenerator(seed: seed)
        return Array(rng.permutation(n).prefix(m)).sorted()
    }

    /// The NNGP start: G_ℓ = K(G_{ℓ−1}) on the inducing points; for regression q(u) at its optimum
    /// (``optimalOutput(_:)``), for classification m = 0 and S = K(G_L)_ii.
    /// - Throws: `DKMError.notPositiveDefinite` if an NNGP Gram is singular (e.g. repeated inducing inputs).
    public func nngpParameters() throws(DKMError) -> Parameters {
        var grams: [Matrix] = []
        var g = inducingGram0
        for _ in 0..<layers { g = kernel(g); grams.append(g) }
        let out = kernel(g)
        var p = Parameters(grams: grams, outputMean: Matrix(rows: inducingCount, columns: task.outputs),
                           outputCovariance: out, noiseVariance: noiseVariance)
        if case .regression = task { p = try optimalOutput(p) }
        return p
    }

    /// Regression only: q(u) set to its optimum for the given Grams and σ² (Titsias 2009):
    /// Φ = K_ii + σ⁻²K_inK_ni, S = K_iiΦ⁻¹K_ii, m = σ⁻²K_iiΦ⁻¹K_inY — at which the objective equals the
    /// collapsed bound log N(Y; 0, Q_nn + σ²I) − tr(K_nn − Q_nn)/(2σ²) − Σν KL. O(L·(n·M² + M³)).
    public func optimalOutput(_ p: Parameters) throws(DKMError) -> Parameters {
        guard case let .regression(y) = task else { return p }
        let (kOut, kCross) = try outputKernels(p, rows: nil)
        let s2 = p.noiseVariance
        var phi = (1 / s2) * BLAS.matmul(kCross, kCross, .transpose)
        phi = symmetrized(phi + kOut)
        let phiFactor = try dkmFactor(phi, "K_ii + σ⁻²K_inK_ni")
        var q = p
        q.outputCovariance = symmetrized(BLAS.matmul(kOut, phiFactor.solve(kOut)))
        q.outputMean = (1 / s2) * BLAS.matmul(kOut, phiFactor.solve(BLAS.matmul(kCross, y, .transpose)))
        return q
    }

    /// K(G_L)_ii and K(G_L)_{b i} for the rows `rows` (nil: all training points).
    func outputKernels(_ p: Parameters, rows: [Int]?) throws(DKMError) -> (Matrix, Matrix) {
        var cross = rows.map { cross0.rows($0) } ?? cross0
        var diag = rows.map { r in r.map { diagonal0[$0] } } ?? diagonal0
        let inducing = [inducingGram0] + p.grams
        for l in 1...layers {
            let kFactor = try dkmFactor(kernel(inducing[l - 1]), "K(G_\(l - 1)) on the inducing points")
            let step = ConditionalLayer(kernel: kernel, kFactor: kFactor, previousCross: cross, previousDiagonal: diag,
                                        previousInducingGram: inducing[l - 1], gram: inducing[l])
            (cross, diag) = (step.cross, step.diagonal)
        }
        return (kernel(inducing[layers]), kernel.cross(cross, rowDiagonal: diag, columnDiagonal: inducing[layers].diagonal.elements))
    }

    /// L (or its minibatch estimate on `batch`; nil = all points) and optionally its gradient. For
    /// classification the data term is a Monte Carlo average over `samples` draws from `generator`.
    /// O(L·(|B|·M² + M³)).
    /// - Throws: `DKMError.notPositiveDefinite` if a Gram, prior or S is not positive definite, or a
    ///   predictive variance is not positive.
    public func evaluate(_ p: Parameters, batch: [Int]? = nil, samples: Int = 8, generator: inout SeededGenerator,
                         gradient wantGradient: Bool = false) throws(DKMError) -> Evaluation {
        precondition(p.grams.count == layers && samples >= 1)
        let rows = batch ?? Array(0..<count)
        let scale = Double(count) / Double(rows.count)
        let inducing = [inducingGram0] + p.grams
        var steps: [ConditionalLayer] = []
        var kls: [GaussianKL] = []
        var cross = cross0.rows(rows), diag = rows.map { diagonal0[$0] }
        for l in 1...(layers + 1) {
            let kFactor = try dkmFactor(kernel(inducing[l - 1]), "K(G_\(l - 1)) on the inducing points")
            let step: ConditionalLayer
            if l <= layers {
                let g = inducing[l]
                kls.append(GaussianKL(g: g, gFactor: try dkmFactor(g, "the inducing Gram G_\(l)"), kFactor: kFactor, gradient: wantGradient))
                step = ConditionalLayer(kernel: kernel, kFactor: kFactor, previousCross: cross, previousDiagonal: diag,
                                        previousInducingGram: inducing[l - 1], gram: g)
            } else {
                step = ConditionalLayer(kernel: kernel, kFactor: kFactor, previousCross: cross, previousDiagonal: diag,
                                        previousInducingGram: inducing[l - 1], projected: p.outputMean, covariance: p.outputCovariance)
            }
            steps.append(step)
            (cross, diag) = (step.cross, step.diagonal)
        }
        let mean = cross, variance = diag
        guard variance.allSatisfy({ $0 > 0 }) else { throw DKMError.notPositiveDefinite("a predictive variance is not positive") }
        // Data term and its adjoints μ̄, v̄.
        let b = rows.count, outputs = task.outputs
        var meanBar = Matrix(rows: b, columns: outputs), varianceBar = [Double](repeating: 0, count: b)
        var noiseBar = 0.0
        var dataTerm = 0.0
        switch task {
        case let .regression(y):
            let s2 = p.noiseVariance
            for i in 0..<b {
                for c in 0..<outputs {
                    let r = y[rows[i], c] - mean[i, c]
                    dataTerm += -0.5 * Foundation.log(2 * Double.pi * s2) - (r * r + variance[i]) / (2 * s2)
                    meanBar[i, c] = scale * r / s2
                    noiseBar += scale * (-0.5 / s2 + (r * r + variance[i]) / (2 * s2 * s2))
                }
                varianceBar[i] = -scale * Double(outputs) / (2 * s2)
            }
        case let .classification(labels, classes):
            var f = [Double](repeating: 0, count: classes), eps = f
            for i in 0..<b {
                let sd = variance[i].squareRoot()
                for _ in 0..<samples {
                    for c in 0..<classes { eps[c] = generator.standardNormal(); f[c] = mean[i, c] + sd * eps[c] }
                    let top = f.max()!
                    let sumExp = f.reduce(0) { $0 + Foundation.exp($1 - top) }
                    let logZ = top + Foundation.log(sumExp)
                    dataTerm += f[labels[rows[i]]] - logZ
                    for c in 0..<classes {
                        let fbar = scale / Double(samples) * ((c == labels[rows[i]] ? 1 : 0) - Foundation.exp(f[c] - logZ))
                        meanBar[i, c] += fbar
                        varianceBar[i] += fbar * eps[c] / (2 * sd)
                    }
                }
            }
            dataTerm /= Double(samples)
        }
        dataTerm *= scale
        // Output KL: Σ_λ KL(N(m_λ, S) ‖ N(0, K)).
        let outStep = steps[layers]
        let sFactor = try dkmFactor(p.outputCovariance, "the output covariance S")
        let outKL = GaussianKL(g: p.outputCovariance, gFactor: sFactor, kFactor: outStep.kFactor, gradient: wantGradient)
        let kInvM = outStep.kFactor.solve(p.outputMean)
        var mahalanobis = 0.0
        for k in kInvM.storage.indices { mahalanobis += kInvM.storage[k] * p.outputMean.storage[k] }
        let outputKL = Double(outputs) * outKL.value + 0.5 * mahalanobis
        let kl = kls.map(\.value)
        let objective = dataTerm - zip(nu, kl).reduce(0) { $0 + $1.0 * $1.1 } - outputKL
        guard wantGradient else {
            return Evaluation(objective: objective, expectedLogLikelihood: dataTerm, kl: kl, outputKL: outputKL, gradient: nil)
        }
        // Reverse pass.
        let lambda = Double(outputs)
        // −KL_out: ∂/∂K = −(Λ·∂KL/∂K − ½K⁻¹mmᵀK⁻¹), ∂/∂S = −Λ·∂KL/∂S, ∂/∂m = −K⁻¹m.
        let kBarOut = -1 * (lambda * outKL.gradientK! - 0.5 * BLAS.matmul(kInvM, kInvM, .none, .transpose))
        var back = outStep.backward(crossBar: meanBar, diagonalBar: varianceBar, kBar: kBarOut)
        let meanGradient = back.projected! - kInvM
        let covarianceGradient = symmetrized(back.covariance - lambda * outKL.gradientG!)
        var gramGradients = [Matrix](repeating: Matrix(rows: 0, columns: 0), count: layers)
        for l in stride(from: layers, through: 1, by: -1) {
            // Adjoints of layer l's outputs: its cross block, batch diagonal and inducing Gram G_l.
            let step = steps[l - 1]
            let gBar = back.previousInducingGram - nu[l - 1] * kls[l - 1].gradientG!
            let kBar = -nu[l - 1] * kls[l - 1].gradientK!
            let next = step.backward(crossBar: back.previousCross, diagonalBar: back.previousDiagonal, kBar: kBar)
            gramGradients[l - 1] = symmetrized(gBar + next.covariance + next.projected!)
            back = next
        }
        let grad = Parameters(grams: gramGradients, outputMean: meanGradient, outputCovariance: covarianceGradient, noiseVariance: noiseBar)
        return Evaluation(objective: objective, expectedLogLikelihood: dataTerm, kl: kl, outputKL: outputKL, gradient: grad)
    }
}
