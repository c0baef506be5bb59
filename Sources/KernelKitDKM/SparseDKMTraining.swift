import Foundation
import KernelKitLinalg

/// How ``SparseDeepKernelMachine/fit(optimizer:learnsNoise:samples:seed:)`` optimises.
public enum SparseDKMOptimizer: Sendable, Equatable {
    /// Full-batch L-BFGS (deterministic; for classification the Monte Carlo draws are held fixed across
    /// evaluations — common random numbers — so the objective is a smooth function of the parameters).
    case lbfgs(maxIterations: Int)
    /// Minibatch Adam (Kingma & Ba 2015): each step uses `batchSize` points taken in order from a seeded
    /// reshuffle per epoch and fresh Monte Carlo draws.
    case adam(learningRate: Double, steps: Int, batchSize: Int)
}

extension SparseDeepKernelMachine {
    /// A fitted sparse DKM.
    public struct Fit: Sendable {
        /// The optimised parameters.
        public let parameters: Parameters
        /// The full-data objective at them (classification: Monte Carlo estimate with a fixed seed).
        public let evaluation: Evaluation
        /// Optimiser iterations (steps).
        public let iterations: Int
        /// Whether L-BFGS met its tolerance (always false for Adam's fixed budget).
        public let converged: Bool
    }

    /// Maximises L from the NNGP start over the Cholesky factors (log diagonal) of G₁…G_L and S, over m,
    /// and over log σ² when `learnsNoise` (regression). With `trainsGrams == false` the Grams stay at the
    /// NNGP (the ν = ∞ machine: a sparse variational GP with the NNGP kernel). For regression trained with Adam, q(u) is finally
    /// set to its optimum given the learned Grams and σ² (``optimalOutput(_:)``), which can only raise L.
    /// Trial points where a matrix loses positive definiteness are rejected (L-BFGS backtracks; Adam
    /// stops at the last finite iterate), so the result is always finite.
    /// Cost per step: O(L·(|B|·M² + M³)).
    /// - Throws: `DKMError` for invalid optimiser settings, a singular NNGP start, or no finite optimum.
    public func fit(optimizer: SparseDKMOptimizer = .lbfgs(maxIterations: 1000), learnsNoise: Bool = false,
                    trainsGrams: Bool = true, samples: Int = 8, seed: UInt64 = 0) throws(DKMError) -> Fit {
        guard samples >= 1 else { throw DKMError.invalidParameter("Monte Carlo samples must be at least 1") }
        let learnNoise: Bool
        if case .regression = task { learnNoise = learnsNoise } else { learnNoise = false }
        let m = inducingCount, outputs = task.outputs
        let start = try nngpParameters()
        var theta0: [Double] = []
        if trainsGrams {
            for (l, g) in start.grams.enumerated() { packLower(try dkmFactor(g, "the NNGP Gram on the inducing points, layer \(l + 1)").lower, into: &theta0) }
        }
        theta0 += start.outputMean.storage
        packLower(try dkmFactor(start.outputCovariance, "the initial output covariance").lower, into: &theta0)
        if learnNoise { theta0.append(Foundation.log(noiseVariance)) }

        func unpack(_ theta: [Double]) -> (Parameters, [Matrix], Matrix) {
            var offset = 0
            let factors = trainsGrams ? (0..<layers).map { _ in unpackLower(theta, m, offset: &offset) } : start.grams.map { _ in Matrix(rows: 0, columns: 0) }
            let mean = Matrix(rows: m, columns: outputs, columnMajor: Array(theta[offset..<(offset + m * outputs)]))
            offset += m * outputs
            let sFactor = unpackLower(theta, m, offset: &offset)
            let noise = learnNoise ? Foundation.exp(theta[offset]) : noiseVariance
            let p = Parameters(grams: trainsGrams ? factors.map { BLAS.matmul($0, $0, .none, .transpose) } : start.grams, outputMean: mean,
                               outputCovariance: BLAS.matmul(sFactor, sFactor, .none, .transpose), noiseVariance: noise)
            return (p, factors, sFactor)
        }
        func negativeObjective(_ theta: [Double], batch: [Int]?, generator: inout SeededGenerator) -> (value: Double, gradient: [Double]) {
            let (p, factors, sFactor) = unpack(theta)
            guard let e = try? evaluate(p, batch: batch, samples: samples, generator: &generator, gradient: true),
                  e.objective.isFinite, let g = e.gradient else {
                return (.infinity, [Double](repeating: 0, count: theta.count))
            }
            var grad: [Double] = []
            grad.reserveCapacity(theta.count)
            if trainsGrams {
                for l in 0..<layers { appendFactorGradient(g.grams[l], factor: factors[l], sign: -1, to: &grad) }
            }
            grad += g.outputMean.storage.map { -$0 }
            appendFactorGradient(g.outputCovariance, factor: sFactor, sign: -1, to: &grad)
            if learnNoise { grad.append(-g.noiseVariance * p.noiseVariance) }
            return (-e.objective, grad)
        }

        let result: OptimizationResult
        do {
            switch optimizer {
            case let .lbfgs(maxIterations):
                guard maxIterations >= 0 else { throw DKMError.invalidParameter("maxIterations must be ≥ 0") }
                result = try LBFGS(memory: 20, maxIterations: maxIterations, gradientTolerance: 1e-8, relativeValueTolerance: 1e-13)
                    .minimize(from: theta0) { theta in
                        var generator = SeededGenerator(seed: seed)
                        return negativeObjective(theta, batch: nil, generator: &generator)
                    }
            case let .adam(learningRate, steps, batchSize):
                guard learningRate > 0 && learningRate.isFinite, steps >= 0, batchSize >= 1 else {
                    throw DKMError.invalidParameter("Adam needs a positive learning rate, steps ≥ 0 and a batch size ≥ 1")
                }
                var generator = SeededGenerator(seed: seed)
                var order: [Int] = [], cursor = 0
                let size = Swift.min(batchSize, count)
                result = try Adam(learningRate: learningRate, maxIterations: steps).minimize(from: theta0) { theta in
                    if cursor + size > order.count { order = generator.permutation(count); cursor = 0 }
                    let batch = Array(order[cursor..<(cursor + size)])
                    cursor += size
                    return negativeObjective(theta, batch: size == count ? nil : batch, generator: &generator)
                }
            }
        } catch let error as DKMError {
            throw error
        } catch {
            throw DKMError.optimizationFailed("the objective is not finite at the NNGP start (\(error))")
        }
        var (parameters, _, _) = unpack(result.x)
        if case .adam = optimizer, case .regression = task { parameters = try optimalOutput(parameters) }
        var generator = SeededGenerator(seed: seed)
        let evaluation = try evaluate(parameters, samples: samples, generator: &generator)
        guard evaluation.objective.isFinite else { throw DKMError.optimizationFailed("the objective at the optimum is not finite") }
        return Fit(parameters: parameters, evaluation: evaluation, iterations: result.iterations, converged: result.converged)
    }

    /// Predictions at new inputs (rows of `x`, raw features as given to the initialiser): the latent
    /// mean μ (T × Λ) and variance v of the output GP, propagated through the learned layers by the GP
    /// conditional; for classification also the class probabilities E[softmax(f)] by Monte Carlo with
    /// `samples` seeded draws per point. O(L·(T·M² + M³)).
    /// - Throws: `DKMError` for non-finite inputs, a wrong number of columns or a singular prior.
    public func predict(_ p: Parameters, inputs x: Matrix, samples: Int = 256, seed: UInt64 = 0) throws(DKMError)
        -> (mean: Matrix, variance: [Double], probabilities: Matrix?) {
        guard x.isFinite else { throw DKMError.nonFinite("prediction inputs") }
        let phi = DeepKernelMachine.features(x, biasFeature: biasFeature)
        guard phi.columns == inputs.columns else { throw DKMError.shapeMismatch("prediction inputs have \(x.columns) columns, training inputs \(inputs.columns - (biasFeature ? 1 : 0))") }
        var (cross, diag) = DeepKernelMachine.inputCrossGram(phi, inducingInputs)
        let inducing = [inducingGram0] + p.grams
        for l in 1...(layers + 1) {
            let kFactor = try dkmFactor(kernel(inducing[l - 1]), "K(G_\(l - 1)) on the inducing points")
            let step = l <= layers
                ? ConditionalLayer(kernel: kernel, kFactor: kFactor, previousCross: cross, previousDiagonal: diag,
                                   previousInducingGram: inducing[l - 1], gram: inducing[l])
                : ConditionalLayer(kernel: kernel, kFactor: kFactor, previousCross: cross, previousDiagonal: diag,
                                   previousInducingGram: inducing[l - 1], projected: p.outputMean, covariance: p.outputCovariance)
            (cross, diag) = (step.cross, step.diagonal)
        }
        let variance = diag.map { Swift.max($0, 0) }
        guard case let .classification(_, classes) = task else { return (cross, variance, nil) }
        var generator = SeededGenerator(seed: seed)
        var probabilities = Matrix(rows: x.rows, columns: classes)
        var f = [Double](repeating: 0, count: classes)
        for i in 0..<x.rows {
            let sd = variance[i].squareRoot()
            for _ in 0..<samples {
                for c in 0..<classes { f[c] = cross[i, c] + sd * generator.standardNormal() }
                let top = f.max()!
                let sumExp = f.reduce(0) { $0 + Foundation.exp($1 - top) }
                for c in 0..<classes { probabilities[i, c] += Foundation.exp(f[c] - top) / sumExp / Double(samples) }
            }
        }
        return (cross, variance, probabilities)
    }
}
