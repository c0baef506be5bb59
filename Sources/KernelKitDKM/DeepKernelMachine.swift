import Foundation
import KernelKitLinalg

/// A kernel map on Gram matrices, K(G), with its vector–Jacobian product — the layer-to-layer prior
/// of a deep kernel machine.
public enum GramKernelMap: String, Sendable, CaseIterable {
    /// Diagonal-preserving arc-cosine map of order 1 (Cho & Saul 2009), i.e. twice the ReLU NNGP map:
    /// K(G)ᵢⱼ = (1/π)√(GᵢᵢGⱼⱼ)(sin θᵢⱼ + (π − θᵢⱼ)cos θᵢⱼ), cos θᵢⱼ = Gᵢⱼ/√(GᵢᵢGⱼⱼ), K(G)ᵢᵢ = Gᵢᵢ.
    case relu
    /// Squared exponential on the features a Gram matrix implies: K(G)ᵢⱼ = exp(−(Gᵢᵢ + Gⱼⱼ − 2Gᵢⱼ)/2).
    case se

    /// K(G). O(P²).
    public func callAsFunction(_ g: Matrix) -> Matrix {
        let p = g.rows
        var k = Matrix(rows: p, columns: p)
        for j in 0..<p {
            for i in 0..<p {
                switch self {
                case .relu:
                    if i == j { k[i, i] = g[i, i]; continue }
                    let (s, theta) = Self.angle(g, i, j)
                    k[i, j] = (s * Foundation.sin(theta) + (Double.pi - theta) * g[i, j]) / Double.pi
                case .se:
                    k[i, j] = Foundation.exp(-(g[i, i] + g[j, j] - 2 * g[i, j]) / 2)
                }
            }
        }
        return k
    }

    /// Ḡ = Σᵢⱼ Āᵢⱼ ∂K(G)ᵢⱼ/∂G for a symmetric Ā (the chain rule through K). For the arc-cosine map,
    /// ∂Kᵢⱼ/∂Gᵢⱼ = (π − θᵢⱼ)/π and ∂Kᵢⱼ/∂Gᵢᵢ = √(GᵢᵢGⱼⱼ) sin θᵢⱼ/(2πGᵢᵢ) (i ≠ j), ∂Kᵢᵢ/∂Gᵢᵢ = 1;
    /// for the SE map ∂Kᵢⱼ/∂Gᵢⱼ = Kᵢⱼ and ∂Kᵢⱼ/∂Gᵢᵢ = −Kᵢⱼ/2. O(P²).
    public func pullback(_ abar: Matrix, at g: Matrix) -> Matrix {
        let p = g.rows
        var gbar = Matrix(rows: p, columns: p)
        for j in 0..<p {
            for i in 0..<p where i != j {
                switch self {
                case .relu:
                    let (s, theta) = Self.angle(g, i, j)
                    gbar[i, j] += abar[i, j] * (Double.pi - theta) / Double.pi
                    let side = abar[i, j] * s * Foundation.sin(theta) / (2 * Double.pi)
                    gbar[i, i] += side / g[i, i]
                    gbar[j, j] += side / g[j, j]
                case .se:
                    let kij = Foundation.exp(-(g[i, i] + g[j, j] - 2 * g[i, j]) / 2)
                    gbar[i, j] += abar[i, j] * kij
                    gbar[i, i] -= abar[i, j] * kij / 2
                    gbar[j, j] -= abar[i, j] * kij / 2
                }
            }
            if self == .relu { gbar[j, j] += abar[j, j] }
        }
        return gbar
    }

    /// (√(GᵢᵢGⱼⱼ), θᵢⱼ) with θ from atan2 of (√(GᵢᵢGⱼⱼ − Gᵢⱼ²), Gᵢⱼ) — exact at cos θ = ±1.
    @inline(__always)
    static func angle(_ g: Matrix, _ i: Int, _ j: Int) -> (Double, Double) {
        let prod = g[i, i] * g[j, j]
        let sinPart = Swift.max(prod - g[i, j] * g[i, j], 0).squareRoot()
        return (prod.squareRoot(), atan2(sinPart, g[i, j]))
    }
}

/// Failures of the deep kernel machine that inputs can cause.
public enum DKMError: Error, Equatable, CustomStringConvertible {
    case invalidParameter(String)
    case shapeMismatch(String)
    case nonFinite(String)
    case notPositiveDefinite(String)

    public var description: String {
        switch self {
        case let .invalidParameter(m): return "invalid parameter: \(m)"
        case let .shapeMismatch(m): return "shape mismatch: \(m)"
        case let .nonFinite(m): return "\(m) contains NaN or infinite values"
        case let .notPositiveDefinite(m): return m
        }
    }
}

/// The full-rank deep kernel machine of Yang, Robeyns, Milsom, Anson, Schoots & Aitchison (ICML 2023):
/// Gram matrices G₁ … G_L that maximise
///
///     L(G₁…G_L) = Σ_λ log N(y_λ; 0, K(G_L) + σ²I) − Σ_ℓ ν_ℓ · KL(N(0, G_ℓ) ‖ N(0, K(G_{ℓ−1}))),
///     KL(N(0,G) ‖ N(0,K)) = ½(tr(K⁻¹G) − P − log det G + log det K),
///
/// with G₀ = ΦΦᵀ/N₀ from the inputs. As ν → ∞ the optimum is the NNGP, G_ℓ = K(G_{ℓ−1}).
/// Each G_ℓ = L_ℓL_ℓᵀ with L_ℓ lower-triangular and log-diagonal (positive definite by construction);
/// the objective's gradient is analytic (chain rule through Cholesky-based KL terms and the kernel
/// map's pullback) and the optimiser is L-BFGS from the NNGP Grams.
/// Cost per evaluation: O(L·P³) (one Cholesky and inverse per Gram).
public struct DeepKernelMachine: Sendable {
    /// G₀ (P × P).
    public let inputGram: Matrix
    /// Targets, one column per output channel λ.
    public let targets: Matrix
    public let kernel: GramKernelMap
    /// ν_ℓ for ℓ = 1…L.
    public let nu: [Double]
    /// Observation noise σ².
    public let noiseVariance: Double

    public var layers: Int { nu.count }
    public var count: Int { inputGram.rows }

    /// A DKM with `nu.count` learned layers.
    /// - Throws: `DKMError` for ν ≤ 0, σ² ≤ 0, no layers, shape mismatches or non-finite inputs.
    public init(inputGram g0: Matrix, targets y: Matrix, kernel: GramKernelMap = .relu, nu: [Double],
                noiseVariance: Double) throws {
        guard !nu.isEmpty else { throw DKMError.invalidParameter("a DKM needs at least one layer (L ≥ 1)") }
        guard nu.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw DKMError.invalidParameter("ν must be positive and finite, got \(nu)") }
        guard noiseVariance > 0 && noiseVariance.isFinite else { throw DKMError.invalidParameter("noise variance must be positive, got \(noiseVariance)") }
        guard g0.isSquare, y.rows == g0.rows else { throw DKMError.shapeMismatch("G₀ is \(g0.rows)×\(g0.columns), targets have \(y.rows) rows") }
        guard g0.isFinite else { throw DKMError.nonFinite("input Gram matrix") }
        guard y.isFinite else { throw DKMError.nonFinite("targets") }
        inputGram = g0
        targets = y
        self.kernel = kernel
        self.nu = nu
        self.noiseVariance = noiseVariance
    }

    /// G₀ = ΦΦᵀ/N₀ for inputs Φ (rows are points), optionally with a constant bias feature appended
    /// (the convention of the reference implementation). O(P²N₀).
    public static func inputGram(_ x: Matrix, biasFeature: Bool = false) -> Matrix {
        let phi = biasFeature ? Matrix(rows: x.rows, columns: x.columns + 1) { i, j in j < x.columns ? x[i, j] : 1 } : x
        var g = BLAS.gram(phi)
        for k in g.storage.indices { g.storage[k] /= Double(phi.columns) }
        return g
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
        public let objective: Double
        public let logLikelihood: Double
        /// KL(N(0,G_ℓ) ‖ N(0,K(G_{ℓ−1}))) per layer.
        public let kl: [Double]
        /// ∂L/∂G_ℓ (symmetric), when requested.
        public let gradient: [Matrix]?
    }

    /// L(G₁…G_L) and optionally ∂L/∂G_ℓ. O(L·P³).
    /// - Throws: `DKMError.notPositiveDefinite` if some G_ℓ, K(G_ℓ) or K(G_L) + σ²I is not positive definite.
    public func evaluate(_ grams: [Matrix], gradient wantGradient: Bool = false) throws -> Evaluation {
        precondition(grams.count == layers && grams.allSatisfy { $0.rows == count && $0.columns == count })
        let p = Double(count)
        var kl: [Double] = []
        var gbar = grams.map { _ in Matrix(rows: count, columns: count) }
        var previous = inputGram
        for (l, g) in grams.enumerated() {
            let k = kernel(previous)
            let kChol = try factor(k, "K(G_\(l)) (layer \(l + 1) prior)")
            let gChol = try factor(g, "G_\(l + 1)")
            let kInvG = kChol.solve(g)
            kl.append(0.5 * (kInvG.trace - p - gChol.logDeterminant + kChol.logDeterminant))
            if wantGradient {
                let kInv = kChol.inverse(), gInv = gChol.inverse()
                // ∂(−ν KL)/∂G_ℓ = −(ν/2)(K⁻¹ − G⁻¹)
                gbar[l] = gbar[l] - (nu[l] / 2) * (kInv - gInv)
                // ∂(−ν KL)/∂K = −(ν/2)(K⁻¹ − K⁻¹GK⁻¹), pulled back to G_{ℓ−1} (a parameter only for ℓ ≥ 1)
                if l > 0 {
                    let kbar = (-nu[l] / 2) * (kInv - BLAS.matmul(kInvG, kInv))
                    gbar[l - 1] = gbar[l - 1] + kernel.pullback(symmetrized(kbar), at: previous)
                }
            }
            previous = g
        }
        // Likelihood: Σ_λ log N(y_λ; 0, Σ), Σ = K(G_L) + σ²I.
        var sigma = kernel(previous)
        sigma.addToDiagonal(noiseVariance)
        let sChol = try factor(sigma, "K(G_L) + σ²I")
        let alpha = sChol.solve(targets)
        let outputs = Double(targets.columns)
        var fit = 0.0
        for i in targets.storage.indices { fit += targets.storage[i] * alpha.storage[i] }
        let logLik = -0.5 * fit - 0.5 * outputs * sChol.logDeterminant - 0.5 * p * outputs * Foundation.log(2 * Double.pi)
        if wantGradient {
            // ∂logN/∂Σ = ½(ααᵀ − λ·Σ⁻¹) summed over channels.
            var sbar = BLAS.matmul(alpha, alpha, .none, .transpose)
            sbar = 0.5 * (sbar - outputs * sChol.inverse())
            gbar[layers - 1] = gbar[layers - 1] + kernel.pullback(symmetrized(sbar), at: previous)
        }
        let objective = logLik - zip(nu, kl).reduce(0) { $0 + $1.0 * $1.1 }
        return Evaluation(objective: objective, logLikelihood: logLik, kl: kl, gradient: wantGradient ? gbar.map(symmetrized) : nil)
    }

    private func factor(_ m: Matrix, _ what: String) throws -> Cholesky {
        do { return try Cholesky(m, jitter: .none) } catch {
            throw DKMError.notPositiveDefinite("\(what) is not positive definite")
        }
    }

    /// The optimised machine.
    public struct Fit: Sendable {
        public let grams: [Matrix]
        public let evaluation: Evaluation
        public let iterations: Int
        public let converged: Bool
    }

    /// Maximises L over Cholesky-parameterised Grams from the NNGP initialisation with L-BFGS.
    /// - Throws: `DKMError` if the NNGP start is not positive definite.
    public func fit(maxIterations: Int = 2000, gradientTolerance: Double = 1e-9) throws -> Fit {
        let n = count, per = n * (n + 1) / 2
        func pack(_ grams: [Matrix]) throws -> [Double] {
            var theta: [Double] = []
            for g in grams {
                let l = try factor(g, "an initial Gram").lower
                for j in 0..<n { for i in j..<n { theta.append(i == j ? Foundation.log(l[i, i]) : l[i, j]) } }
            }
            return theta
        }
        func unpack(_ theta: [Double]) -> (grams: [Matrix], factors: [Matrix]) {
            var grams: [Matrix] = [], factors: [Matrix] = []
            for l in 0..<layers {
                var lower = Matrix(rows: n, columns: n)
                var k = l * per
                for j in 0..<n { for i in j..<n { lower[i, j] = i == j ? Foundation.exp(theta[k]) : theta[k]; k += 1 } }
                factors.append(lower)
                grams.append(BLAS.matmul(lower, lower, .none, .transpose))
            }
            return (grams, factors)
        }
        let start = try pack(nngpGrams)
        let optimizer = LBFGS(memory: 20, maxIterations: maxIterations, gradientTolerance: gradientTolerance, relativeValueTolerance: 0)
        let result = try optimizer.minimize(from: start) { theta in
            let (grams, factors) = unpack(theta)
            guard let e = try? evaluate(grams, gradient: true) else { return (.infinity, [Double](repeating: 0, count: theta.count)) }
            var grad: [Double] = []
            for (l, gbar) in e.gradient!.enumerated() {
                // dL/dL_ℓ = 2 Ḡ L_ℓ; the diagonal is log-parameterised.
                let dl = 2 * BLAS.matmul(gbar, factors[l])
                for j in 0..<n { for i in j..<n { grad.append(-(i == j ? dl[i, i] * factors[l][i, i] : dl[i, j])) } }
            }
            return (-e.objective, grad)
        }
        let grams = unpack(result.x).grams
        return Fit(grams: grams, evaluation: try evaluate(grams), iterations: result.iterations, converged: result.converged)
    }
}

/// (A + Aᵀ)/2.
func symmetrized(_ a: Matrix) -> Matrix { 0.5 * (a + a.transposed) }
