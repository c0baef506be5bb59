import Foundation
import KernelKitLinalg
import KernelKitNTK

/// Which Student-t process hyperparameters an optimiser may move (the others stay at their start).
public struct StudentTFreeParameters: OptionSet, Sendable {
    /// The bit set (α = 1, β = 2, ε = 4, θ = 8).
    public let rawValue: Int
    /// A set from its bits.
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// The prior shape α. Maximising the evidence over α drives it to its upper bound (see
    /// `StudentTEvidence`), so it is not free by default.
    public static let alpha = StudentTFreeParameters(rawValue: 1)
    /// The prior scale β.
    public static let beta = StudentTFreeParameters(rawValue: 2)
    /// The jitter ε.
    public static let jitter = StudentTFreeParameters(rawValue: 4)
    /// All kernel hyperparameters θ.
    public static let kernel = StudentTFreeParameters(rawValue: 8)
    /// β, ε and θ: the well-posed type-II maximum-likelihood problem for a fixed α.
    public static let standard: StudentTFreeParameters = [.beta, .jitter, .kernel]
    /// ε and θ: for a kernel family that carries its own scale (the NNGP: σ_w² multiplies every
    /// layer, and with σ_b = 0 the ReLU NNGP scales exactly as σ_w^{2(depth+1)}). There β is redundant —
    /// (K, ε, β) → (cK, cε, β/c) leaves p(y) unchanged — so it stays at the prior's value.
    public static let noiseAndKernel: StudentTFreeParameters = [.jitter, .kernel]
    /// Everything, α included.
    public static let all: StudentTFreeParameters = [.alpha, .beta, .jitter, .kernel]
}

/// Box bounds (natural units, all > 0) for `StudentTEvidence.maximize`; the optimiser works on their logs.
public struct StudentTBounds: Sendable {
    /// Range of the prior shape α.
    public var alpha: ClosedRange<Double>
    /// Range of the prior scale β.
    public var beta: ClosedRange<Double>
    /// Range of the jitter ε.
    public var jitter: ClosedRange<Double>
    /// One range per kernel hyperparameter.
    public var kernel: [ClosedRange<Double>]

    /// Defaults: α ∈ [0.05, 1e4], β ∈ [1e-8, 1e8], ε ∈ [1e-8, 1e4]; the kernel's ranges must be given.
    public init(alpha: ClosedRange<Double> = 0.05...1e4, beta: ClosedRange<Double> = 1e-8...1e8,
                jitter: ClosedRange<Double> = 1e-8...1e4, kernel: [ClosedRange<Double>] = []) {
        self.alpha = alpha
        self.beta = beta
        self.jitter = jitter
        self.kernel = kernel
    }
}

/// The outcome of maximising the Student-t process evidence.
public struct StudentTHyperparameterFit: Sendable {
    /// The maximiser found.
    public let hyperparameters: StudentTHyperparameters
    /// L at the maximiser.
    public let logMarginalLikelihood: Double
    /// Whether L-BFGS-B met its projected-gradient or relative-decrease test.
    public let converged: Bool
    /// Accepted L-BFGS steps.
    public let iterations: Int
    /// The optimiser's stopping message.
    public let message: String
    /// Names ("alpha", "beta", "jitter", "kernel[k]") of free parameters that ended on a bound
    /// (within 1e-6 in log space): a maximiser on a bound is a limit, not an interior optimum.
    public let atBound: [String]
}

extension StudentTEvidence {
    /// Maximises L (see the type's documentation) over the `free` hyperparameters by L-BFGS-B in log
    /// space, with the analytic gradient for α, β, ε and the trace formula for θ, where ∂K/∂log θ comes
    /// from `kernelDerivatives` or, when it is nil, from `centralDifferenceDerivatives` (h = 1e-4).
    /// Points where K + εI is not positive definite count as +∞ so the line search backtracks.
    ///
    /// Cost per iteration (usually one evaluation): one kernel evaluation, n³/3 + n³ flops, plus the
    /// derivative kernels (2 kernel evaluations per θ with central differences).
    /// - Parameters:
    ///   - targets: Y, n × C (columns share σ²).
    ///   - start: starting hyperparameters; fixed ones stay here. Must lie inside `bounds` (it is projected).
    ///   - kernel: K(θ), n × n.
    /// - Throws: `ScaleMixtureError.domain` for a start that is not positive or bounds of the wrong count,
    ///   `.notPositiveDefinite` when K + εI fails at the start, errors thrown by `kernel`.
    public static func maximize(targets: Matrix, start: StudentTHyperparameters,
                                free: StudentTFreeParameters = .standard, bounds: StudentTBounds = StudentTBounds(),
                                maxIterations: Int = 100,
                                kernel: ([Double]) throws -> Matrix,
                                kernelDerivatives: (([Double]) throws -> [Matrix])? = nil) throws -> StudentTHyperparameterFit {
        let p = start.kernel.count
        guard bounds.kernel.count == p || (!free.contains(.kernel) && bounds.kernel.isEmpty) else {
            throw ScaleMixtureError.domain("\(bounds.kernel.count) kernel bounds for \(p) kernel hyperparameters")
        }
        let x0 = start.logValues
        guard x0.allSatisfy(\.isFinite) else { throw ScaleMixtureError.domain("starting hyperparameters must be finite and > 0: \(start)") }
        func range(_ r: ClosedRange<Double>, _ isFree: Bool, _ v: Double) -> (Double, Double) {
            isFree ? (log(r.lowerBound), log(r.upperBound)) : (v, v)
        }
        var ranges = [range(bounds.alpha, free.contains(.alpha), x0[0]), range(bounds.beta, free.contains(.beta), x0[1]),
                      range(bounds.jitter, free.contains(.jitter), x0[2])]
        for k in 0..<p { ranges.append(free.contains(.kernel) ? range(bounds.kernel[k], true, 0) : (x0[3 + k], x0[3 + k])) }
        guard ranges.allSatisfy({ $0.0.isFinite && $0.1.isFinite && $0.0 <= $0.1 }) else {
            throw ScaleMixtureError.domain("hyperparameter bounds must be finite, > 0 and ordered")
        }
        let wantKernelGradient = free.contains(.kernel) && p > 0
        func objective(_ x: [Double]) throws -> (value: Double, gradient: [Double]) {
            let h = StudentTHyperparameters(logValues: x)
            do {
                let k = try kernel(h.kernel)
                let dk = wantKernelGradient
                    ? try (kernelDerivatives?(h.kernel) ?? centralDifferenceDerivatives(at: h.kernel, kernel))
                    : []
                let r = try logMarginalLikelihood(trainKernel: k, kernelDerivatives: dk, targets: targets,
                                                  alpha: h.alpha, beta: h.beta, jitter: h.jitter)
                let g = r.gradient + [Double](repeating: 0, count: 3 + p - r.gradient.count)
                return (-r.value, g.map { -$0 })
            } catch let e as ScaleMixtureError {
                if case .notPositiveDefinite = e { return (.infinity, [Double](repeating: 0, count: 3 + p)) }
                throw e
            }
        }
        // Fail clearly at the start rather than with the optimiser's generic non-finite message.
        let startPoint = (0..<x0.count).map { Swift.min(Swift.max(x0[$0], ranges[$0].0), ranges[$0].1) }
        let first = try objective(startPoint)
        guard first.value.isFinite else {
            throw ScaleMixtureError.notPositiveDefinite("K + εI is not positive definite at the starting hyperparameters (\(StudentTHyperparameters(logValues: startPoint))); start from a larger jitter ε")
        }
        let result = try LBFGS(maxIterations: maxIterations, gradientTolerance: 1e-5).minimize(
            from: startPoint, lower: ranges.map(\.0), upper: ranges.map(\.1), objective)
        let names = ["alpha", "beta", "jitter"] + (0..<p).map { "kernel[\($0)]" }
        let atBound = names.indices.filter { i in
            ranges[i].0 < ranges[i].1 && (result.x[i] - ranges[i].0 < 1e-6 || ranges[i].1 - result.x[i] < 1e-6)
        }.map { names[$0] }
        return StudentTHyperparameterFit(hyperparameters: StudentTHyperparameters(logValues: result.x),
                                         logMarginalLikelihood: -result.value, converged: result.converged,
                                         iterations: result.iterations, message: result.message, atBound: atBound)
    }
}

/// Type-II maximum likelihood for the Student-t process over the NNGP of
/// `[dense(σ_w, σ_b), φ] × depth, dense(σ_w, σ_b)` (the family of `NNGPModelSelection`, 'ntk'
/// parameterization): θ = (σ_w, σ_b) by L-BFGS-B with central-difference kernel derivatives inside the
/// exact trace gradient, α/β/ε analytically, and the depth by enumeration.
public enum StudentTNNGPSelection {
    /// One fitted depth.
    public struct Candidate: Sendable, CustomStringConvertible {
        /// Number of hidden [dense, φ] blocks.
        public let depth: Int
        /// The fit (kernel = [σ_w, σ_b]).
        public let fit: StudentTHyperparameterFit
        /// σ_w shared by every dense layer.
        public var weightStd: Double { fit.hyperparameters.kernel[0] }
        /// σ_b shared by every dense layer.
        public var biasStd: Double { fit.hyperparameters.kernel[1] }
        /// The fitted architecture.
        public func layers(activation: Activation) -> [Layer] {
            NNGPModelSelection.architecture(activation, depth, weightStd, biasStd)
        }
        /// One line: depth, σ_w, σ_b, the other hyperparameters and the evidence.
        public var description: String {
            "depth \(depth), W_std \(weightStd), b_std \(biasStd), \(fit.hyperparameters): log marginal likelihood \(fit.logMarginalLikelihood)"
        }
    }

    /// The NNGP training kernel of the family at (σ_w, σ_b) and depth. O(n²(d + depth)).
    public static func kernel(inputs x: Matrix, activation: Activation, depth: Int, weightStd: Double, biasStd: Double,
                              threads: Int = 1) throws -> Matrix {
        let net = try InfiniteWidthNetwork(NNGPModelSelection.architecture(activation, depth, weightStd, biasStd))
        guard let k = try net.kernels(x, get: .nngp, threads: threads).nngp else {
            throw ScaleMixtureError.numerical("the network produced no NNGP kernel")
        }
        return k
    }

    /// Maximises the evidence for every depth in `depths` from `start` (its `kernel` must be
    /// [σ_w, σ_b]); bounds σ_w ∈ [1e-2, 1e2], σ_b ∈ [1e-4, 1e2] unless given. By default ε, σ_w and σ_b
    /// are free and α, β stay at the prior's values (`StudentTFreeParameters.noiseAndKernel`: β would
    /// only trade off against the kernel's scale along a flat ridge). Returns the candidates,
    /// best first. A depth whose optimisation fails is skipped; an error is thrown only if all fail.
    /// - Throws: `ScaleMixtureError.shapeMismatch` (inputs vs targets), `.domain`, or the last depth's error.
    public static func maximize(inputs x: Matrix, targets y: Matrix, activation: Activation,
                                depths: ClosedRange<Int> = 1...3, start: StudentTHyperparameters,
                                free: StudentTFreeParameters = .noiseAndKernel, bounds: StudentTBounds? = nil,
                                maxIterations: Int = 60, threads: Int = 1) throws -> [Candidate] {
        guard x.rows == y.rows else { throw ScaleMixtureError.shapeMismatch("\(x.rows) inputs but \(y.rows) targets") }
        guard start.kernel.count == 2 else { throw ScaleMixtureError.domain("the NNGP start needs kernel = [W_std, b_std]") }
        guard depths.lowerBound >= 0 else { throw ScaleMixtureError.domain("depth must be ≥ 0") }
        var b = bounds ?? StudentTBounds()
        if b.kernel.isEmpty { b.kernel = [1e-2...1e2, 1e-4...1e2] }
        var candidates: [Candidate] = []
        var lastError: Error? = nil
        for depth in depths {
            do {
                let fit = try StudentTEvidence.maximize(targets: y, start: start, free: free, bounds: b, maxIterations: maxIterations) { t in
                    try kernel(inputs: x, activation: activation, depth: depth, weightStd: t[0], biasStd: t[1], threads: threads)
                }
                candidates.append(Candidate(depth: depth, fit: fit))
            } catch {
                lastError = error
            }
        }
        guard !candidates.isEmpty else {
            throw lastError ?? ScaleMixtureError.numerical("the evidence could not be maximised at any depth")
        }
        return candidates.sorted { $0.fit.logMarginalLikelihood > $1.fit.logMarginalLikelihood }
    }
}
