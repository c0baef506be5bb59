import Foundation
import KernelKitLinalg

/// Bayesian model selection for infinitely wide networks: the NNGP log marginal likelihood of
/// regression targets and its maximisation over the weight and bias standard deviations, the
/// observation noise and the depth — something neural-tangents leaves to the user (its issue #174).
///
/// The model is y ~ N(0, K_L(σ_w, σ_b) + σ_n² I) with K_L the NNGP of
/// `[dense(σ_w, σ_b), φ] × L, dense(σ_w, σ_b)` (Lee et al. 2018, §2.3 and §3.2 where the same
/// marginal likelihood is used to pick σ_w², σ_b²).
public enum NNGPModelSelection {
    /// One fitted architecture.
    public struct Candidate: Sendable, CustomStringConvertible {
        /// Number of hidden [Dense, φ] blocks.
        public let depth: Int
        /// σ_w shared by every Dense layer.
        public let weightStd: Double
        /// σ_b shared by every Dense layer.
        public let biasStd: Double
        /// Observation noise σ_n² (in the units of the targets given).
        public let noiseVariance: Double
        /// log N(y | 0, K + σ_n²I) at these values.
        public let logMarginalLikelihood: Double

        /// The fitted architecture as layers.
        public func layers(activation: Activation) -> [Layer] { NNGPModelSelection.architecture(activation, depth, weightStd, biasStd) }

        public var description: String {
            "depth \(depth), W_std \(weightStd), b_std \(biasStd), noise variance \(noiseVariance): log marginal likelihood \(logMarginalLikelihood)"
        }
    }

    /// `[dense(σ_w, σ_b), φ] × depth, dense(σ_w, σ_b)`.
    public static func architecture(_ phi: Activation, _ depth: Int, _ w: Double, _ b: Double) -> [Layer] {
        var layers: [Layer] = []
        for _ in 0..<depth { layers += [.dense(w, b), .activation(phi)] }
        return layers + [.dense(w, b, width: 1)]
    }

    /// log N(y | 0, K + σ_n² I) = −½ yᵀ(K + σ_n²I)⁻¹y − ½ log det(K + σ_n²I) − (n/2) log 2π, summed over
    /// the columns of a multi-output `y`. O(n³) (one Cholesky).
    /// - Throws: `LinalgError.notPositiveDefinite` if K + σ_n²I is not positive definite.
    public static func logMarginalLikelihood(kernel k: Matrix, targets y: Matrix, noiseVariance: Double) throws -> Double {
        precondition(k.isSquare && y.rows == k.rows, "kernel and targets disagree in size")
        var a = k
        a.addToDiagonal(noiseVariance)
        let chol = try Cholesky(a, jitter: .none)
        let alpha = chol.solve(y)
        var fit = 0.0
        for i in y.storage.indices { fit += y.storage[i] * alpha.storage[i] }
        let n = Double(k.rows), outputs = Double(y.columns)
        return -0.5 * fit - 0.5 * outputs * chol.logDeterminant - 0.5 * n * outputs * Foundation.log(2 * Double.pi)
    }

    /// Maximises the NNGP log marginal likelihood over log σ_w, log σ_b and log σ_n² by bounded
    /// L-BFGS (central-difference gradients: 6 kernel evaluations per step, each O(n²d + n³)) for
    /// every depth in `depths`, from `start`. Returns all candidates, best first.
    /// - Throws: `NTKError` for bad inputs; optimisation failures at one depth are skipped, and an
    ///   error is thrown only if every depth fails.
    public static func maximize(inputs x: Matrix, targets y: Matrix, activation: Activation,
                                depths: ClosedRange<Int> = 1...4,
                                start: (weightStd: Double, biasStd: Double, noiseVariance: Double) = (1.5, 0.1, 0.1),
                                maxIterations: Int = 60) throws -> [Candidate] {
        guard x.rows == y.rows else { throw NTKError.shapeMismatch("\(x.rows) inputs but \(y.rows) targets") }
        guard y.isFinite else { throw NTKError.nonFinite("targets") }
        guard depths.lowerBound >= 0 else { throw NTKError.invalidLayer("depth must be ≥ 0") }
        guard start.weightStd > 0, start.biasStd > 0, start.noiseVariance > 0 else {
            throw NTKError.invalidLayer("starting W_std, b_std and noise variance must be positive")
        }
        var candidates: [Candidate] = []
        var lastError: Error? = nil
        for depth in depths {
            // Negative LML in log space; a non-PD point is +∞ so the line search backtracks.
            func objective(_ p: [Double]) -> Double {
                let (w, b, s2) = (Foundation.exp(p[0]), Foundation.exp(p[1]), Foundation.exp(p[2]))
                guard let net = try? InfiniteWidthNetwork(architecture(activation, depth, w, b)),
                      let k = try? net.kernels(x, get: .nngp).nngp,
                      let lml = try? logMarginalLikelihood(kernel: k, targets: y, noiseVariance: s2) else { return .infinity }
                return -lml
            }
            let h = 1e-5
            do {
                let result = try LBFGS(maxIterations: maxIterations, gradientTolerance: 1e-5).minimize(
                    from: [Foundation.log(start.weightStd), Foundation.log(start.biasStd), Foundation.log(start.noiseVariance)],
                    lower: [Foundation.log(1e-2), Foundation.log(1e-4), Foundation.log(1e-8)],
                    upper: [Foundation.log(1e2), Foundation.log(1e2), Foundation.log(1e4)]
                ) { p in
                    let f = objective(p)
                    guard f.isFinite else { return (f, [0, 0, 0]) }
                    let g = (0..<3).map { i -> Double in
                        var plus = p, minus = p
                        plus[i] += h
                        minus[i] -= h
                        return (objective(plus) - objective(minus)) / (2 * h)
                    }
                    return (f, g)
                }
                guard result.value.isFinite else { continue }
                candidates.append(Candidate(depth: depth, weightStd: Foundation.exp(result.x[0]), biasStd: Foundation.exp(result.x[1]),
                                            noiseVariance: Foundation.exp(result.x[2]), logMarginalLikelihood: -result.value))
            } catch {
                lastError = error
            }
        }
        guard !candidates.isEmpty else {
            throw lastError ?? NTKError.degenerate("the NNGP marginal likelihood could not be evaluated at any depth (kernel not positive definite)")
        }
        return candidates.sorted { $0.logMarginalLikelihood > $1.logMarginalLikelihood }
    }
}
