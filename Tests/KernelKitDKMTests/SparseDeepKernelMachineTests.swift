import Foundation
import KernelKitDKM
import KernelKitLinalg
import KernelKitTestSupport
import Testing

@Suite("Sparse deep kernel machine (inducing points)")
struct SparseDeepKernelMachineTests {
    typealias Sparse = SparseDeepKernelMachine

    static func regression(n: Int = 10, m: Int = 4, kernel: GramKernelMap, seed: UInt64 = 3) throws -> Sparse {
        var rng = TestRNG(seed: seed)
        let x = randomGaussianMatrix(rows: n, columns: 3, using: &rng)
        let y = randomGaussianMatrix(rows: n, columns: 2, using: &rng)
        return try Sparse(inputs: x, task: .regression(y), inducingIndices: Array(stride(from: 0, to: n, by: n / m).prefix(m)),
                          kernel: kernel, nu: [2, 0.7], noiseVariance: 0.3, biasFeature: true)
    }

    static func classification(n: Int = 9, m: Int = 5, kernel: GramKernelMap) throws -> Sparse {
        var rng = TestRNG(seed: 5)
        let x = randomGaussianMatrix(rows: n, columns: 2, using: &rng)
        return try Sparse(inputs: x, task: .classification(labels: (0..<n).map { $0 % 3 }, classes: 3),
                          inducingIndices: Array(0..<m), kernel: kernel, nu: [1.5], biasFeature: true)
    }

    /// Moves the NNGP start to a generic point so that no gradient component vanishes by symmetry.
    static func perturbed(_ p: Sparse.Parameters) -> Sparse.Parameters {
        var q = p
        let m = p.outputCovariance.rows
        q.grams = p.grams.enumerated().map { l, g in g + Matrix(rows: m, columns: m) { i, j in 0.02 * cos(Double(3 * (i + j) + l)) + 0.01 * Double(i * j) + (i == j ? 0.05 : 0) } }
        q.outputMean = Matrix(rows: m, columns: p.outputMean.columns) { i, j in 0.3 * sin(Double(i + 2 * j)) }
        q.outputCovariance = 0.5 * p.outputCovariance + Matrix(rows: m, columns: m) { i, j in i == j ? 0.1 : 0.01 * cos(Double(i + j)) }
        q.noiseVariance = 0.4
        return q
    }

    /// Central differences with step 1e-5 (truncation ~1e-10 relative); the classification objective is
    /// evaluated with the same Monte Carlo draws (same seed) at every point, so it is smooth too.
    @Test("analytic gradient = central finite differences (1e-6 relative)", arguments: GramKernelMap.allCases, [false, true])
    func gradient(kernel: GramKernelMap, classify: Bool) throws {
        let model = classify ? try Self.classification(kernel: kernel) : try Self.regression(kernel: kernel)
        let p = Self.perturbed(try model.nngpParameters())
        func value(_ q: Sparse.Parameters) throws -> Double {
            var rng = SeededGenerator(seed: 9)
            return try model.evaluate(q, samples: 3, generator: &rng).objective
        }
        var rng = SeededGenerator(seed: 9)
        let g = try #require(try model.evaluate(p, samples: 3, generator: &rng, gradient: true).gradient)
        let h = 1e-5
        func check(_ analytic: Double, _ shift: (inout Sparse.Parameters, Double) -> Void, _ what: String) throws {
            var plus = p, minus = p
            shift(&plus, h); shift(&minus, -h)
            let fd = (try value(plus) - value(minus)) / (2 * h)
            expectClose(analytic, fd, rtol: 1e-6, atol: 1e-7, "\(kernel) \(classify ? "softmax" : "gaussian") \(what)")
        }
        for l in 0..<model.layers {
            for (i, j) in [(0, 0), (1, 0), (3, 2), (2, 2)] {
                try check(i == j ? g.grams[l][i, i] : 2 * g.grams[l][i, j], { q, d in
                    q.grams[l][i, j] += d
                    if i != j { q.grams[l][j, i] += d }
                }, "G_\(l + 1)[\(i),\(j)]")
            }
        }
        for (i, j) in [(0, 0), (3, 1)] {
            try check(g.outputMean[i, j], { q, d in q.outputMean[i, j] += d }, "m[\(i),\(j)]")
        }
        for (i, j) in [(1, 1), (2, 0)] {
            try check(i == j ? g.outputCovariance[i, i] : 2 * g.outputCovariance[i, j], { q, d in
                q.outputCovariance[i, j] += d
                if i != j { q.outputCovariance[j, i] += d }
            }, "S[\(i),\(j)]")
        }
        if !classify { try check(g.noiseVariance, { q, d in q.noiseVariance += d }, "σ²") }
    }

    /// With every data point an inducing point the conditional steps are exact (A = I), and with q(u) at
    /// its optimum the Gaussian data term is the log marginal likelihood: the sparse objective equals the
    /// full DKM objective at the same Grams (1e-10 relative), and fitting the sparse machine reaches the
    /// full machine's optimum (1e-8 relative).
    @Test("sparse DKM with all points as inducing points = full DKM (dkm_small, ν = 1, 10)", arguments: [1.0, 10.0])
    func allInducingEqualsFull(nu: Double) throws {
        let ref = DeepKernelMachineTests.ref
        let x = Matrix(rows: 6, columns: 1) { i, _ in ref.data.x[i] }
        let y = Matrix(rows: 6, columns: 1, columnMajor: ref.data.y)
        let full = try DeepKernelMachineTests.machine(nu: nu)
        let fullFit = try #require(DeepKernelMachineTests.referenceFits[nu])
        let sparse = try Sparse(inputs: x, task: .regression(y), inducingIndices: Array(0..<6), kernel: .relu,
                                nu: [nu, nu], noiseVariance: ref.data.sigma2, biasFeature: true)
        var p = try sparse.nngpParameters()
        p.grams = fullFit.grams
        p = try sparse.optimalOutput(p)
        var rng = SeededGenerator(seed: 0)
        expectClose(try sparse.evaluate(p, generator: &rng).objective, fullFit.evaluation.objective, rtol: 1e-10)
        let sparseFit = try sparse.fit(optimizer: .lbfgs(maxIterations: 3000))
        expectClose(sparseFit.evaluation.objective, fullFit.evaluation.objective, rtol: 1e-8)
        // Predictions at new inputs agree with the full machine's (1e-6: both fits are optimisation results).
        let xs = Matrix(rows: 4, columns: 1, columnMajor: [-2, -0.5, 0.1, 1.2])
        let cg = DeepKernelMachine.inputCrossGram(xs, x, biasFeature: true)
        let fullPrediction = try full.predict(fullFit, crossInputGram: cg.cross, inputDiagonal: cg.diagonal)
        let sparsePrediction = try sparse.predict(sparseFit.parameters, inputs: xs)
        expectClose(sparsePrediction.mean, fullPrediction.mean, rtol: 1e-6, atol: 1e-7)
        expectClose(sparsePrediction.variance, fullPrediction.variance, rtol: 1e-6, atol: 1e-7)
    }

    /// At the training inputs the full DKM's prediction is the GP posterior of K(G_L): the mean is
    /// K(K + σ²I)⁻¹y exactly (1e-10), since the conditional step reproduces the training Grams.
    @Test("full DKM prediction at the training inputs is K(K + σ²I)⁻¹y")
    func fullPredictionAtTrainingInputs() throws {
        let ref = DeepKernelMachineTests.ref
        let x = Matrix(rows: 6, columns: 1) { i, _ in ref.data.x[i] }
        let m = try DeepKernelMachineTests.machine(nu: 1)
        let fit = try #require(DeepKernelMachineTests.referenceFits[1])
        let cg = DeepKernelMachine.inputCrossGram(x, x, biasFeature: true)
        let prediction = try m.predict(fit, crossInputGram: cg.cross, inputDiagonal: cg.diagonal)
        var sigma = m.kernel(fit.grams[1])
        let k = sigma
        sigma.addToDiagonal(ref.data.sigma2)
        let want = BLAS.matmul(k, try Cholesky(sigma).solve(m.targets))
        expectClose(prediction.mean, want, rtol: 1e-9, atol: 1e-11)
    }

    /// The minibatch objective is unbiased; over a partition into equal batches its average is exactly
    /// the full objective (1e-12), and q(u) from ``optimalOutput`` is stationary in m and S (1e-8).
    @Test("minibatch estimates average to the full objective; optimal q(u) is stationary", arguments: GramKernelMap.allCases)
    func minibatchAndOptimalOutput(kernel: GramKernelMap) throws {
        let model = try Self.regression(n: 12, m: 4, kernel: kernel)
        let p = try model.optimalOutput(Self.perturbed(try model.nngpParameters()))
        var rng = SeededGenerator(seed: 1)
        let full = try model.evaluate(p, generator: &rng, gradient: true)
        let batches = [[0, 5, 7, 11], [1, 2, 3, 4], [6, 8, 9, 10]]
        let mean = try batches.map { try model.evaluate(p, batch: $0, generator: &rng).objective }.reduce(0, +) / 3
        expectClose(mean, full.objective, rtol: 1e-12)
        #expect(full.gradient!.outputMean.maxAbs <= 1e-8 && full.gradient!.outputCovariance.maxAbs <= 1e-8)
    }

    /// Minibatch Adam from the NNGP start raises the objective, comes within 2 % of the full-batch
    /// L-BFGS optimum, and the same seed gives the same result.
    @Test("minibatch Adam trains (regression) and is reproducible")
    func adamRegression() throws {
        let model = try Self.regression(n: 40, m: 8, kernel: .relu, seed: 4)
        var rng = SeededGenerator(seed: 0)
        let start = try model.evaluate(try model.nngpParameters(), generator: &rng).objective
        let best = try model.fit(optimizer: .lbfgs(maxIterations: 500), learnsNoise: true)
        let adam = try model.fit(optimizer: .adam(learningRate: 0.01, steps: 600, batchSize: 10), learnsNoise: true, seed: 2)
        let again = try model.fit(optimizer: .adam(learningRate: 0.01, steps: 600, batchSize: 10), learnsNoise: true, seed: 2)
        #expect(best.evaluation.objective > start)
        #expect(adam.evaluation.objective > start)
        #expect(adam.evaluation.objective >= best.evaluation.objective - 0.02 * abs(best.evaluation.objective),
                "Adam \(adam.evaluation.objective), L-BFGS \(best.evaluation.objective), start \(start)")
        #expect(adam.evaluation.objective == again.evaluation.objective)
    }

    /// Two well-separated clusters: softmax DKM trained by minibatch Adam classifies them perfectly and
    /// its Monte Carlo class probabilities sum to 1 (1e-12).
    @Test("softmax classification with Monte Carlo: separable clusters, probabilities sum to 1")
    func classificationTrains() throws {
        var rng = SeededGenerator(seed: 8)
        let n = 30
        let labels = (0..<n).map { $0 % 2 }
        let x = Matrix(rows: n, columns: 2) { i, j in (labels[i] == 0 ? -2.0 : 2.0) * (j == 0 ? 1 : 0) + 0.5 * rng.standardNormal() }
        let model = try Sparse(inputs: x, task: .classification(labels: labels, classes: 2), inducingIndices: Array(0..<10),
                               kernel: .relu, nu: [1], biasFeature: true)
        let fit = try model.fit(optimizer: .adam(learningRate: 0.05, steps: 200, batchSize: 15), samples: 4, seed: 1)
        let prediction = try model.predict(fit.parameters, inputs: x, samples: 64)
        let probabilities = try #require(prediction.probabilities)
        for i in 0..<n {
            expectClose(probabilities[i, 0] + probabilities[i, 1], 1, rtol: 1e-12)
            #expect((probabilities[i, 1] > 0.5 ? 1 : 0) == labels[i], "point \(i): \(probabilities[i, 1])")
        }
    }

    @Test("bad input throws DKMError")
    func badInput() throws {
        let x = Matrix(rows: 4, columns: 2) { i, j in Double(i + j) }
        let y = Matrix(rows: 4, columns: 1)
        #expect(throws: DKMError.self) { try Sparse(inputs: x, task: .regression(y), inducingIndices: Array(0..<5), nu: [1]) }
        #expect(throws: DKMError.self) { try Sparse.randomInducingIndices(count: 4, inducing: 5, seed: 0) }
        #expect(throws: DKMError.self) { try Sparse(inputs: x, task: .regression(y), inducingIndices: [0, 1], nu: [-1]) }
        #expect(throws: DKMError.self) { try Sparse(inputs: x, task: .regression(y), inducingIndices: [0, 1], nu: []) }
        #expect(throws: DKMError.self) { try Sparse(inputs: x, task: .regression(y), inducingIndices: [0, 0], nu: [1]) }
        #expect(throws: DKMError.self) { try Sparse(inputs: x, task: .classification(labels: [0, 1, 2, 1], classes: 2), inducingIndices: [0], nu: [1]) }
        var bad = x
        bad[1, 1] = .nan
        #expect(throws: DKMError.self) { try Sparse(inputs: bad, task: .regression(y), inducingIndices: [0], nu: [1]) }
        #expect(Set(try Sparse.randomInducingIndices(count: 10, inducing: 10, seed: 3)) == Set(0..<10))
    }
}
