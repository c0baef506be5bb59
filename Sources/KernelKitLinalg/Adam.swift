/// The Adam first-order optimiser (Kingma & Ba, "Adam: A method for stochastic optimization", ICLR 2015,
/// Algorithm 1), for objectives where a line search is unsuitable (stochastic or mini-batch
/// gradients, very many parameters) or to reproduce a training run that used Adam.
///
/// With gₜ = ∇f(xₜ₋₁), step t = 1, 2, …:
///   mₜ = β₁ mₜ₋₁ + (1 − β₁) gₜ,   vₜ = β₂ vₜ₋₁ + (1 − β₂) gₜ²   (elementwise),
///   m̂ₜ = mₜ / (1 − β₁ᵗ),          v̂ₜ = vₜ / (1 − β₂ᵗ),
///   xₜ = xₜ₋₁ − η m̂ₜ / (√v̂ₜ + ε).
/// The bias-corrected form and the placement of ε match PyTorch's `torch.optim.Adam` (no weight decay,
/// no AMSGrad), so a run reproduces PyTorch's iterates up to rounding.
///
/// Stopping: converged when ‖∇f(x)‖∞ ≤ `gradientTolerance` at an evaluated point. With the default
/// tolerance 0 this happens only at an exact stationary point, so Adam normally runs its full budget of
/// `maxIterations` steps and reports `converged == false` with the final iterate: a fixed budget is the
/// usual way Adam is run, and the flag says honestly that no criterion was met. If f or ∇f becomes
/// non-finite at some iterate (divergence, learning rate too large), the run stops there and returns
/// the last finite iterate with `converged == false` and the reason in `message`.
///
/// Cost: one objective evaluation and O(n) arithmetic per step; memory O(n).
public struct Adam: Sendable {
    /// Step size η.
    public var learningRate: Double
    /// Decay β₁ ∈ [0, 1) of the first-moment average.
    public var beta1: Double
    /// Decay β₂ ∈ [0, 1) of the second-moment average.
    public var beta2: Double
    /// ε added to √v̂ (guards the division; PyTorch's `eps`).
    public var epsilon: Double
    /// Number of update steps.
    public var maxIterations: Int
    /// Stop when ‖∇f‖∞ ≤ this (0: only at an exact stationary point).
    public var gradientTolerance: Double

    /// Configure the optimiser (PyTorch's defaults). Preconditions: η > 0, 0 ≤ β₁, β₂ < 1, ε ≥ 0,
    /// maxIterations ≥ 0, gradientTolerance ≥ 0 — constants chosen in code; validate user input first.
    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, maxIterations: Int = 1000, gradientTolerance: Double = 0) {
        precondition(learningRate > 0 && learningRate.isFinite, "Adam learningRate must be positive and finite")
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam betas must lie in [0, 1)")
        precondition(epsilon >= 0 && maxIterations >= 0 && gradientTolerance >= 0,
                     "Adam epsilon, maxIterations and gradientTolerance must be non-negative")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.maxIterations = maxIterations
        self.gradientTolerance = gradientTolerance
    }

    /// Run Adam from x0 on f, which returns the value and the gradient (length n) at its argument.
    ///
    /// - Throws: whatever `f` throws (propagated unchanged); `LinalgError.nonFinite` when x0, or f or ∇f
    ///   at x0, is not finite. Running out of iterations or diverging later is reported in the result.
    public func minimize(from x0: [Double],
                         _ f: ([Double]) throws -> (value: Double, gradient: [Double])) throws -> OptimizationResult {
        let n = x0.count
        guard x0.allSatisfy({ $0.isFinite }) else {
            throw LinalgError.nonFinite(what: "the starting point x0")
        }
        return try withoutActuallyEscaping(f) { f in
            var objective = CountedObjective(objective: f, dimension: n)
            var x = x0
            var (value, gradient) = try objective(x)
            guard isFiniteEvaluation(value, gradient) else {
                throw LinalgError.nonFinite(what: "the objective's value or gradient at the starting point x0")
            }
            var m = [Double](repeating: 0, count: n)
            var v = [Double](repeating: 0, count: n)
            var beta1Power = 1.0, beta2Power = 1.0
            var iterations = 0
            func result(_ converged: Bool, _ message: String) -> OptimizationResult {
                OptimizationResult(x: x, value: value, gradient: gradient, iterations: iterations,
                                   evaluations: objective.evaluations, converged: converged, message: message)
            }
            while true {
                let gMax = gradient.reduce(0) { Swift.max($0, abs($1)) }
                if gMax <= gradientTolerance {
                    return result(true, "gradient ∞-norm \(gMax) ≤ gradientTolerance \(gradientTolerance)")
                }
                if iterations >= maxIterations {
                    return result(false, "completed maxIterations (\(maxIterations)) steps; gradient ∞-norm \(gMax) > gradientTolerance \(gradientTolerance)")
                }
                beta1Power *= beta1
                beta2Power *= beta2
                // PyTorch's operation order: step = η/(1 − β₁ᵗ), denom = √v/√(1 − β₂ᵗ) + ε.
                let step = learningRate / (1 - beta1Power)
                let rootCorrection2 = (1 - beta2Power).squareRoot()
                var trial = x
                for i in 0..<n {
                    let g = gradient[i]
                    m[i] = beta1 * m[i] + (1 - beta1) * g
                    v[i] = beta2 * v[i] + (1 - beta2) * g * g
                    trial[i] -= step * (m[i] / (v[i].squareRoot() / rootCorrection2 + epsilon))
                }
                let (trialValue, trialGradient) = try objective(trial)
                guard trial.allSatisfy({ $0.isFinite }), isFiniteEvaluation(trialValue, trialGradient) else {
                    return result(false, "the objective became non-finite at step \(iterations + 1) (learning rate \(learningRate) may be too large); returning the last finite iterate")
                }
                x = trial
                value = trialValue
                gradient = trialGradient
                iterations += 1
            }
        }
    }
}
