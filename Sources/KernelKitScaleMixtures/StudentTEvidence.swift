import Foundation
import KernelKitLinalg

/// Hyperparameters of a Student-t process y | σ² ~ N(0, σ²(K_θ + εI)), σ² ~ IG(α, β), with a kernel
/// K_θ that has hyperparameters θ (all positive, in natural units; optimisers work with their logs).
public struct StudentTHyperparameters: Sendable, Equatable, CustomStringConvertible {
    /// Prior shape α > 0 (ν = 2α).
    public var alpha: Double
    /// Prior scale β > 0.
    public var beta: Double
    /// Diagonal jitter ε > 0 (noise variance per unit σ²).
    public var jitter: Double
    /// Kernel hyperparameters θ > 0 (meaning fixed by the kernel family; for the NNGP (σ_w, σ_b)).
    public var kernel: [Double]

    /// Hyperparameters from their values (checked where used).
    public init(alpha: Double, beta: Double, jitter: Double, kernel: [Double] = []) {
        self.alpha = alpha
        self.beta = beta
        self.jitter = jitter
        self.kernel = kernel
    }

    /// The optimiser's coordinates: (log α, log β, log ε, log θ₁, …).
    public var logValues: [Double] { ([alpha, beta, jitter] + kernel).map { Foundation.log($0) } }

    /// Inverse of `logValues`.
    public init(logValues p: [Double]) {
        precondition(p.count >= 3, "need at least log α, log β, log ε")
        self.init(alpha: exp(p[0]), beta: exp(p[1]), jitter: exp(p[2]), kernel: p[3...].map { exp($0) })
    }

    /// One line: "α = …, β = …, ε = …, θ = […]".
    public var description: String {
        "α = \(alpha), β = \(beta), ε = \(jitter)" + (kernel.isEmpty ? "" : ", θ = \(kernel)")
    }
}

/// The Student-t process marginal likelihood and its analytic gradient, for C target columns that
/// share one last-layer variance σ² (the paper's network has one readout variance for all outputs;
/// C = 1 is ordinary regression, C > 1 one-hot classification by regression).
///
/// With A = K + εI, W = A⁻¹Y, N = nC, Q = Σ_c y_cᵀA⁻¹y_c and m = (β + Q/2)/(α + N/2):
///
///   L = log Γ(α + N/2) − log Γ(α) − (N/2) log 2π − (C/2) log det A − (α + N/2) log(β + Q/2) + α log β
///
///   ∂L/∂log α = α [ψ(α + N/2) − ψ(α) + log β − log(β + Q/2)]
///   ∂L/∂log β = α − β(α + N/2)/(β + Q/2) = α − β/m
///   ∂L/∂θ     = ½ tr(G ∂A/∂θ),  G = W Wᵀ/m − C·A⁻¹   (so ∂L/∂log ε = ½ ε tr G)
///
/// (the trace identity is Rasmussen & Williams 2006 eq. 5.9 with the Gaussian's 1/σ² replaced by the
/// posterior-averaged 1/m). For C = 1 L equals `StudentTProcess.logMarginalLikelihood`.
///
/// Two facts worth knowing before maximising over α and β (both tested):
/// - for fixed α, θ, ε the maximising β is β̂ = αQ/N in closed form;
/// - with β profiled out, L(α, β̂(α)) = −(N/2) log(2πQ/N) − (C/2) log det A + f(α) with
///   f(α) = log Γ(α + N/2) − log Γ(α) − (α + N/2) log(α + N/2) + α log α, which increases with α towards
///   −N/2 (f′(α) = [ψ(α + N/2) − log(α + N/2)] − [ψ(α) − log α] > 0 since ψ(x) − log x increases): the evidence of one target vector under any scale mixture is at most the likelihood at the best
///   single σ² (p(y) = ∫ p(y | σ²) dH ≤ sup p(y | σ²)), so maximising over α drives α to its upper bound
///   (the GP limit), and the kernel hyperparameters that maximise L with β free are those of the GP with a
///   free amplitude, whatever α. The paper's α, β are therefore better chosen on validation data.
///
/// Cost: one Cholesky of A (n³/3), its inverse (n³), O(n²) per kernel hyperparameter.
public enum StudentTEvidence {
    /// L and ∂L/∂(log α, log β, log ε, log θ₁, …) at the given hyperparameters.
    /// - Parameters:
    ///   - trainKernel: K_θ, n × n symmetric.
    ///   - kernelDerivatives: ∂K/∂log θ_k, one n × n symmetric matrix per kernel hyperparameter
    ///     (may be empty: then only the first three gradient entries are returned).
    ///   - targets: Y, n × C.
    /// - Throws: `ScaleMixtureError.domain` (α, β, ε not finite and > 0; non-finite data),
    ///   `.shapeMismatch`, `.notPositiveDefinite` when K + εI cannot be factored.
    public static func logMarginalLikelihood(trainKernel k: Matrix, kernelDerivatives: [Matrix] = [],
                                             targets y: Matrix, alpha: Double, beta: Double,
                                             jitter: Double) throws -> (value: Double, gradient: [Double]) {
        let n = y.rows, c = y.columns
        guard k.rows == n, k.columns == n, n > 0, c > 0 else {
            throw ScaleMixtureError.shapeMismatch("kernel is \(k.rows)×\(k.columns) for \(n) targets (\(c) columns)")
        }
        for (i, d) in kernelDerivatives.enumerated() where d.rows != n || d.columns != n {
            throw ScaleMixtureError.shapeMismatch("kernel derivative \(i) is \(d.rows)×\(d.columns), kernel \(n)×\(n)")
        }
        _ = try ScalePrior.inverseGamma(shape: alpha, scale: beta).validated()
        guard jitter > 0, jitter.isFinite else { throw ScaleMixtureError.domain("jitter ε must be finite and > 0, got \(jitter)") }
        guard k.isFinite, y.isFinite else { throw ScaleMixtureError.domain("kernel or targets contain NaN or infinite values") }
        var a = k
        a.addToDiagonal(jitter)
        let chol: Cholesky
        do { chol = try Cholesky(a, jitter: .none) } catch {
            throw ScaleMixtureError.notPositiveDefinite("K + εI is not positive definite with ε = \(jitter); increase the jitter ε")
        }
        let w = chol.solve(y)
        var q = 0.0
        for i in y.storage.indices { q += y.storage[i] * w.storage[i] }
        let bigN = Double(n * c), cd = Double(c)
        let shapePost = alpha + bigN / 2, scalePost = beta + q / 2
        let value = try logGammaRatio(alpha, plus: bigN / 2) - 0.5 * bigN * log(2 * Double.pi)
            - 0.5 * cd * chol.logDeterminant - shapePost * log(scalePost) + alpha * log(beta)
        let m = scalePost / shapePost
        let dLogAlpha = alpha * (try SpecialFunctions.digamma(shapePost) - SpecialFunctions.digamma(alpha)
                                 + log(beta) - log(scalePost))
        let dLogBeta = alpha - beta / m
        // G = W Wᵀ/m − C A⁻¹ (symmetric); only tr G and ⟨G, ∂K⟩ are needed.
        var g = chol.inverse()
        BLAS.gemm(.none, .transpose, alpha: 1 / m, w, w, beta: -cd, &g)
        let dLogJitter = 0.5 * jitter * g.trace
        let dKernel = kernelDerivatives.map { d in
            var s = 0.0
            for i in d.storage.indices { s += g.storage[i] * d.storage[i] }
            return 0.5 * s
        }
        return (value, [dLogAlpha, dLogBeta, dLogJitter] + dKernel)
    }

    /// β̂ = αQ/N, the prior scale that maximises L for fixed α, θ, ε (∂L/∂β = α/β − (α + N/2)/(β + Q/2) = 0).
    /// O(1) given Q.
    public static func optimalScale(alpha: Double, quadraticForm q: Double, targetCount: Int) -> Double {
        alpha * q / Double(targetCount)
    }

    /// ∂K/∂log θ_k by central differences with step h in log θ: (K(θe^{h}) − K(θe^{−h}))/(2h), error
    /// O(h²)·‖∂³K/∂(log θ)³‖ plus rounding ε_mach‖K‖/h (h = 1e-4: ≈ 1e-9 and 1e-12 relative for smooth
    /// kernels). This is the approach used for kernel families without a closed-form derivative (the
    /// NNGP of an arbitrary activation, whose dual is itself a quadrature): 2 kernel evaluations
    /// (O(n²·depth) each) per hyperparameter, cheaper than the O(n³) factorisation that the exact trace
    /// formula then reuses. Caveat: the kernel must be defined at θe^{±h}.
    public static func centralDifferenceDerivatives(at theta: [Double], step h: Double = 1e-4,
                                                    _ kernel: ([Double]) throws -> Matrix) throws -> [Matrix] {
        try theta.indices.map { i in
            var plus = theta, minus = theta
            plus[i] *= exp(h)
            minus[i] *= exp(-h)
            let kp = try kernel(plus), km = try kernel(minus)
            return (1 / (2 * h)) * (kp - km)
        }
    }
}
