import Foundation
import KernelKitLinalg

/// The full-rank deep kernel machine of Yang, Robeyns, Milsom, Anson, Schoots & Aitchison, "A theory of
/// representation learning gives a deep generalisation of kernel methods" (ICML 2023): Gram matrices
/// G₁ … G_L that maximise
///
///     L(G₁…G_L) = Σ_λ log N(y_λ; 0, K(G_L) + σ²I) − Σ_ℓ ν_ℓ · KL(N(0, G_ℓ) ‖ N(0, K(G_{ℓ−1}))),
///     KL(N(0,G) ‖ N(0,K)) = ½(tr(K⁻¹G) − P − log det G + log det K),
///
/// with G₀ = ΦΦᵀ/N₀ from the inputs. As ν → ∞ the optimum is the NNGP, G_ℓ = K(G_{ℓ−1}), and
/// G_ℓ(ν) − G_ℓ^NNGP = O(1/ν).
/// Each G_ℓ = L_ℓL_ℓᵀ with L_ℓ lower-triangular and log-diagonal (positive definite by construction);
/// the objective's gradient is analytic (chain rule through the Cholesky-based KL terms and the kernel
/// map's pullback) and the optimiser is L-BFGS from the NNGP Grams.
/// Cost per evaluation: O(L·P³) (Cholesky factors and inverses of P × P matrices); memory O(L·P²).
/// For large P use ``SparseDeepKernelMachine``.
public struct DeepKernelMachine: Sendable {
    /// G₀ (P × P).
    public let inputGram: Matrix
    /// Targets, one column per output channel λ.
    public let targets: Matrix
    /// The kernel map K(·) between layers and to the output.
    public let kernel: GramKernelMap
    /// ν_ℓ for ℓ = 1…L.
    public let nu: [Double]
    /// Observation noise σ² (the fixed value, or the start when the noise is learned).
    public let noiseVariance: Double

    /// Number L of learned Gram matrices.
    public var layers: Int { nu.count }
    /// Number P of data points.
    public var count: Int { inputGram.rows }

    /// A DKM with `nu.count` learned layers.
    /// - Throws: `DKMError` for ν ≤ 0, σ² ≤ 0, no layers, shape mismatches or non-finite inputs.
    public init(inputGram g0: Matrix, targets y: Matrix, kernel: GramKernelMap = .relu, nu: [Double],
                noiseVariance: Double) throws(DKMError) {
        try Self.validate(nu: nu, noiseVariance: noiseVariance)
        guard g0.isSquare, y.rows == g0.rows else { throw DKMError.shapeMismatch("G₀ is \(g0.rows)×\(g0.columns), targets have \(y.rows) rows") }
        guard g0.isFinite else { throw DKMError.nonFinite("input Gram matrix") }
        guard y.isFinite else { throw DKMError.nonFinite("targets") }
        inputGram = g0
        targets = y
        self.kernel = kernel
        self.nu = nu
        self.noiseVariance = noiseVariance
    }

    static func validate(nu: [Double], noiseVariance: Double) throws(DKMError) {
        guard !nu.isEmpty else { throw DKMError.invalidParameter("a DKM needs at least one layer (L ≥ 1)") }
        guard nu.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw DKMError.invalidParameter("ν must be positive and finite, got \(nu)") }
        guard noiseVariance > 0 && noiseVariance.isFinite else { throw DKMError.invalidParameter("noise variance must be positive and finite, got \(noiseVariance)") }
    }

    /// G₀ = ΦΦᵀ/N₀ for inputs Φ (rows are points), optionally with a constant bias feature appended
    /// (the convention of the reference implementation). O(P²N₀).
    public static func inputGram(_ x: Matrix, biasFeature: Bool = false) -> Matrix {
        let phi = features(x, biasFeature: biasFeature)
        var g = BLAS.gram(phi)
        for k in g.storage.indices { g.storage[k] /= Double(phi.columns) }
        return g
    }

    /// The cross Gram G₀(X, Z) = Φ_XΦ_Zᵀ/N₀ (rows of X against rows of Z) and the diagonal of G₀(X, X).
    /// O(|X|·|Z|·N₀).
    public static func inputCrossGram(_ x: Matrix, _ z: Matrix, biasFeature: Bool = false) -> (cross: Matrix, diagonal: [Double]) {
        precondition(x.columns == z.columns)
        let px = features(x, biasFeature: biasFeature), pz = features(z, biasFeature: biasFeature)
        let n0 = Double(px.columns)
        let cross = (1 / n0) * BLAS.matmul(px, pz, .none, .transpose)
        let diagonal = (0..<px.rows).map { i in (0..<px.columns).reduce(0) { $0 + px[i, $1] * px[i, $1] } / n0 }
        return (cross, diagonal)
    }

    static func features(_ x: Matrix, biasFeature: Bool) -> Matrix {
        biasFeature ? Matrix(rows: x.rows, columns: x.columns + 1) { i, j in j < x.columns ? x[i, j] : 1 } : x
    }

    /// The NNGP Grams G_ℓ = K(G_{ℓ−1}) (the ν → ∞ optimum and the optimiser's start).
    public var nngpGrams: [Matrix] {
        var grams: [Matrix] = []
        var g = inputGram
        for _ in 0..<layers { g = kernel(g); grams.append(g) }
        return grams
    }

    /// The objective and its components at given Grams.
    public struct Evaluation: Sendable {
        /// L(G₁…G_L).
        public let objective: Double
        /// Σ_λ log N(y_λ; 0, K(G_L) + σ²I).
        public let logLikelihood: Double
        /// KL(N(0,G_ℓ) ‖ N(0,K(G_{ℓ−1}))) per layer.
        public let kl: [Double]
        /// ∂L/∂G_ℓ (symmetric), when requested.
        public let gradient: [Matrix]?
        /// ∂L/∂σ², when the gradient is requested.
        public let noiseGradient: Double?
    }

    /// L(G₁…G_L) and optionally ∂L/∂G_ℓ and ∂L/∂σ², at noise `noiseVariance` (default: the machine's).
    /// O(L·P³).
    /// - Throws: `DKMError.notPositiveDefinite` if some G_ℓ, K(G_ℓ) or K(G_L) + σ²I is not positive definite.
    public func evaluate(_ grams: [Matrix], noiseVariance sigma2: Double? = nil, gradient wantGradient: Bool = false) throws(DKMError) -> Evaluation {
        precondition(grams.count == layers && grams.allSatisfy { $0.rows == count && $0.columns == count })
        let p = Double(count)
        var kl: [Double] = []
        var gbar = grams.map { _ in Matrix(rows: count, columns: count) }
        var previous = inputGram
        for (l, g) in grams.enumerated() {
            let kChol = try dkmFactor(kernel(previous), "K(G_\(l)) (layer \(l + 1) prior)")
            let gChol = try dkmFactor(g, "G_\(l + 1)")
            let term = GaussianKL(g: g, gFactor: gChol, kFactor: kChol, gradient: wantGradient)
            kl.append(term.value)
            if wantGradient {
                gbar[l] = gbar[l] - nu[l] * term.gradientG!
                // ∂(−ν KL)/∂K pulled back to G_{ℓ−1} (a parameter only for ℓ ≥ 1).
                if l > 0 { gbar[l - 1] = gbar[l - 1] + kernel.pullback(-nu[l] * term.gradientK!, at: previous) }
            }
            previous = g
        }
        let noise = sigma2 ?? noiseVariance
        var sigma = kernel(previous)
        sigma.addToDiagonal(noise)
        let sChol = try dkmFactor(sigma, "K(G_L) + σ²I")
        let alpha = sChol.solve(targets)
        let outputs = Double(targets.columns)
        var fit = 0.0
        for i in targets.storage.indices { fit += targets.storage[i] * alpha.storage[i] }
        let logLik = -0.5 * fit - 0.5 * outputs * sChol.logDeterminant - 0.5 * p * outputs * Foundation.log(2 * Double.pi)
        var noiseGradient: Double? = nil
        if wantGradient {
            // ∂logN/∂Σ = ½(ααᵀ − λ·Σ⁻¹) summed over channels; ∂L/∂σ² = tr(∂logN/∂Σ).
            let sbar = 0.5 * (BLAS.matmul(alpha, alpha, .none, .transpose) - outputs * sChol.inverse())
            gbar[layers - 1] = gbar[layers - 1] + kernel.pullback(sbar, at: previous)
            noiseGradient = sbar.trace
        }
        let objective = logLik - zip(nu, kl).reduce(0) { $0 + $1.0 * $1.1 }
        return Evaluation(objective: objective, logLikelihood: logLik, kl: kl,
                          gradient: wantGradient ? gbar.map(symmetrized) : nil, noiseGradient: noiseGradient)
    }

    /// The optimised machine.
    public struct Fit: Sendable {
        /// The optimised G₁ … G_L.
        public let grams: [Matrix]
        /// σ² at the optimum (the fixed value unless the noise was learned).
        public let noiseVariance: Double
        /// The objective and its parts at the optimum.
        public let evaluation: Evaluation
        /// L-BFGS iterations taken.
        public let iterations: Int
        /// Whether L-BFGS met its gradient tolerance.
        public let converged: Bool
    }

    /// Maximises L over Cholesky-parameterised Grams (and log σ² when `learnsNoise`) from the NNGP
    /// initialisation with L-BFGS. With `trainsGrams == false` the Grams stay at the NNGP (the ν = ∞
    /// machine: an NNGP regression whose noise alone is fitted by marginal likelihood). Trial points where a matrix loses positive definiteness count as +∞,
    /// so the line search backtracks from them; the result is always finite.
    /// Cost: O(L·P³) per iteration.
    /// - Throws: `DKMError.notPositiveDefinite` if the NNGP start is not positive definite (e.g. repeated
    ///   inputs without a bias feature); `DKMError.optimizationFailed` if no finite optimum was found.
    public func fit(learnsNoise: Bool = false, trainsGrams: Bool = true, maxIterations: Int = 2000,
                    gradientTolerance: Double = 1e-9) throws(DKMError) -> Fit {
        let n = count, per = n * (n + 1) / 2
        let star = nngpGrams
        var start: [Double] = []
        if trainsGrams {
            for (l, g) in star.enumerated() { packLower(try dkmFactor(g, "the NNGP Gram G_\(l + 1) = K(G_\(l)) (repeated or collinear inputs?)").lower, into: &start) }
        }
        if learnsNoise { start.append(Foundation.log(noiseVariance)) }
        let gramParameters = trainsGrams ? layers * per : 0
        func unpack(_ theta: [Double]) -> (grams: [Matrix], factors: [Matrix], noise: Double) {
            var offset = 0
            let noise = learnsNoise ? Foundation.exp(theta[gramParameters]) : noiseVariance
            guard trainsGrams else { return (star, [], noise) }
            let factors = (0..<layers).map { _ in unpackLower(theta, n, offset: &offset) }
            return (factors.map { BLAS.matmul($0, $0, .none, .transpose) }, factors, noise)
        }
        if start.isEmpty {
            let evaluation = try evaluate(star)
            return Fit(grams: star, noiseVariance: noiseVariance, evaluation: evaluation, iterations: 0, converged: true)
        }
        let optimizer = LBFGS(memory: 20, maxIterations: maxIterations, gradientTolerance: gradientTolerance, relativeValueTolerance: 0)
        let result: OptimizationResult
        do {
            result = try optimizer.minimize(from: start) { theta in
                let (grams, factors, noise) = unpack(theta)
                guard let e = try? evaluate(grams, noiseVariance: noise, gradient: true), e.objective.isFinite else {
                    return (.infinity, [Double](repeating: 0, count: theta.count))
                }
                var grad: [Double] = []
                if trainsGrams {
                    for (l, gbar) in e.gradient!.enumerated() { appendFactorGradient(gbar, factor: factors[l], sign: -1, to: &grad) }
                }
                if learnsNoise { grad.append(-e.noiseGradient! * noise) }
                return (-e.objective, grad)
            }
        } catch {
            throw DKMError.optimizationFailed("the objective is not finite at the NNGP start (\(error))")
        }
        let (grams, _, noise) = unpack(result.x)
        let evaluation = try evaluate(grams, noiseVariance: noise)
        guard evaluation.objective.isFinite else { throw DKMError.optimizationFailed("the optimum's objective is not finite") }
        return Fit(grams: grams, noiseVariance: noise, evaluation: evaluation, iterations: result.iterations, converged: result.converged)
    }

    /// Predictions at new points from a fitted machine: in each hidden layer the new points' features are
    /// drawn from the GP conditional given the training points', so their cross Gram and Gram diagonal are
    ///   G_ℓ(X*, X) = A G_ℓ,   diag G_ℓ(X*, X*) = diag(A G_ℓ Aᵀ) + diag(K** − A K_{X X*}),
    ///   A = K_{*X} K_{XX}⁻¹ with K = K(G_{ℓ−1});
    /// the output is the GP posterior of K(G_L): mean K_{*X}(K_{XX} + σ²I)⁻¹Y and latent variance
    /// k** − diag(K_{*X}(K_{XX} + σ²I)⁻¹K_{X*}) (add σ² for a new observation).
    /// `crossInputGram` is G₀(X*, X) (T × P), `inputDiagonal` diag G₀(X*, X*) (see ``inputCrossGram(_:_:biasFeature:)``).
    /// Cost O(L·(P³ + T·P²)).
    /// - Throws: `DKMError.notPositiveDefinite` if a prior Gram is not positive definite.
    public func predict(_ fit: Fit, crossInputGram: Matrix, inputDiagonal: [Double]) throws(DKMError) -> (mean: Matrix, variance: [Double]) {
        precondition(crossInputGram.columns == count && inputDiagonal.count == crossInputGram.rows)
        let inducing = [inputGram] + fit.grams
        var cross = crossInputGram, diag = inputDiagonal
        for l in 1...layers {
            let kFactor = try dkmFactor(kernel(inducing[l - 1]), "K(G_\(l - 1))")
            let step = ConditionalLayer(kernel: kernel, kFactor: kFactor, previousCross: cross, previousDiagonal: diag,
                                        previousInducingGram: inducing[l - 1], gram: inducing[l])
            cross = step.cross
            diag = step.diagonal
        }
        var sigma = kernel(inducing[layers])
        sigma.addToDiagonal(fit.noiseVariance)
        let sFactor = try dkmFactor(sigma, "K(G_L) + σ²I")
        let kCross = kernel.cross(cross, rowDiagonal: diag, columnDiagonal: inducing[layers].diagonal.elements)
        let mean = BLAS.matmul(kCross, sFactor.solve(targets))
        let w = sFactor.solveLower(kCross.transposed)
        let variance = (0..<diag.count).map { t in
            kernel.diagonalEntry(diag[t]) - (0..<count).reduce(0) { $0 + w[$1, t] * w[$1, t] }
        }
        return (mean, variance)
    }
}
