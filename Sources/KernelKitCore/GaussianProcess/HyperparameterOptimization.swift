import KernelKitLinalg

/// Outcome of ``GaussianProcessRegressor/optimize(restarts:seed:optimizer:)``.
public struct HyperparameterOptimizationReport: Sendable {
    /// One optimiser run.
    public struct Run: Sendable {
        /// Free log-hyperparameters the run started from.
        public var start: [Double]
        /// Free log-hyperparameters it ended at (equal to `start` when it failed).
        public var end: [Double]
        /// Log marginal likelihood at `end` (−∞ when the run failed).
        public var logMarginalLikelihood: Double
        /// The optimiser's own convergence verdict.
        public var converged: Bool
        /// L-BFGS iterations used.
        public var iterations: Int
        /// Objective evaluations used (each one Cholesky factorisation).
        public var evaluations: Int
        /// The optimiser's stopping message, or why the run failed.
        public var message: String
    }

    /// Log marginal likelihood before optimisation.
    public var initialLogMarginalLikelihood: Double
    /// Log marginal likelihood of the chosen hyperparameters.
    public var logMarginalLikelihood: Double
    /// Every run: first from the kernel's own hyperparameters, then the random restarts.
    public var runs: [Run]
    /// Index into `runs` of the run whose end point was kept.
    public var bestRun: Int
    /// Names of the optimised (free) hyperparameters, the coordinates of `start` and `end`.
    public var parameterNames: [String]
}

extension GaussianProcessRegressor {
    /// scikit-learn's optimiser settings (SciPy `fmin_l_bfgs_b` defaults): projected-gradient
    /// tolerance 1e-5 and relative reduction tolerance factr·ε = 1e7 · 2.2e-16 ≈ 2.2e-9.
    public static let defaultOptimizer = LBFGS(memory: 10, maxIterations: 1000, gradientTolerance: 1e-5,
                                               relativeValueTolerance: 1e7 * Double.ulpOfOne)

    /// Maximise the log marginal likelihood over the free log-hyperparameters within their bounds,
    /// then refit at the best point (scikit-learn's `fit` with `n_restarts_optimizer`).
    ///
    /// The first run starts at the kernel's current hyperparameters (clamped into the bounds); each
    /// of the `restarts` further runs starts at a point drawn log-uniformly inside the bounds from a
    /// generator seeded with `seed` (same seed, same result). Each run is a bounded L-BFGS
    /// minimisation of −log p(ỹ | X, θ) with the analytic gradient (default settings:
    /// ``defaultOptimizer``). Points where K + αI is not
    /// positive definite count as +∞, so the line search backtracks from them; a run whose start is
    /// such a point is recorded as failed. The best end point over all runs is kept, and if it is no
    /// better than the starting hyperparameters those are kept.
    ///
    /// Cost per objective evaluation: one Gram matrix, one Cholesky (n³/3), one inverse (n³) and the
    /// kernel's gradient contraction.
    /// - Throws: ``GaussianProcessError/invalidParameter(_:)`` for negative `restarts`;
    ///   ``GaussianProcessError/optimizationFailed(_:)`` when every run failed.
    @discardableResult
    public mutating func optimize(restarts: Int = 0, seed: UInt64 = 0,
                                  optimizer: LBFGS = Self.defaultOptimizer) throws -> HyperparameterOptimizationReport {
        guard restarts >= 0 else {
            throw GaussianProcessError.invalidParameter("restarts must be ≥ 0, got \(restarts)")
        }
        let free = kernel.freeParameterIndices
        let names = free.map { kernel.parameterNames[$0] }
        let initialLML = logMarginalLikelihood
        guard !free.isEmpty else {
            return HyperparameterOptimizationReport(initialLogMarginalLikelihood: initialLML, logMarginalLikelihood: initialLML,
                                                    runs: [], bestRun: -1, parameterNames: [])
        }
        let fullStart = kernel.logParameters
        let logBounds = free.map { kernel.bounds[$0] }
        let lower = logBounds.map(\.lowerBound), upper = logBounds.map(\.upperBound)
        let (x, y, alpha, jitter, base) = (trainingInputs, normalizedTargets, alpha, jitterPolicy, kernel)

        func objective(_ theta: [Double]) throws -> (value: Double, gradient: [Double]) {
            var k = base
            var full = fullStart
            for (slot, index) in free.enumerated() { full[index] = theta[slot] }
            k.logParameters = full
            do {
                let (value, gradient) = try Self.valueAndGradient(k, x, y, alpha: alpha, jitter: jitter)
                return (-value, free.map { -gradient[$0] })
            } catch is GaussianProcessError {
                return (.infinity, [Double](repeating: 0, count: free.count))
            }
        }

        var rng = SeededGenerator(seed: seed)
        var starts = [free.map { fullStart[$0] }]
        for _ in 0..<restarts {
            starts.append((0..<free.count).map { rng.uniform(from: lower[$0], to: upper[$0]) })
        }
        var runs: [HyperparameterOptimizationReport.Run] = []
        for start in starts {
            do {
                let r = try optimizer.minimize(from: start, lower: lower, upper: upper, objective)
                runs.append(.init(start: start, end: r.x, logMarginalLikelihood: -r.value, converged: r.converged,
                                  iterations: r.iterations, evaluations: r.evaluations, message: r.message))
            } catch {
                runs.append(.init(start: start, end: start, logMarginalLikelihood: -.infinity, converged: false,
                                  iterations: 0, evaluations: 0, message: "\(error)"))
            }
        }
        let best = runs.indices.max { runs[$0].logMarginalLikelihood < runs[$1].logMarginalLikelihood }!
        guard runs[best].logMarginalLikelihood.isFinite else {
            throw GaussianProcessError.optimizationFailed(
                "the kernel matrix was not positive definite at every start; first run: \(runs[0].message)")
        }
        if runs[best].logMarginalLikelihood > initialLML {
            var full = fullStart
            for (slot, index) in free.enumerated() { full[index] = runs[best].end[slot] }
            try refit(logParameters: full)
        }
        return HyperparameterOptimizationReport(initialLogMarginalLikelihood: initialLML,
                                                logMarginalLikelihood: logMarginalLikelihood,
                                                runs: runs, bestRun: best, parameterNames: names)
    }
}
