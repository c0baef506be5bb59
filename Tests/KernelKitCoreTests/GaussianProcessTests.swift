import Foundation
import KernelKitCore
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing

/// The error thrown by `body`, or nil.
private func thrownError(_ body: () throws -> Void) -> Error? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

/// n inputs uniform on [0, width] (1-D) and a draw y ~ N(0, K_true) from the given kernel.
private func sampleFromGP(_ kernel: any Kernel, n: Int, width: Double, seed: UInt64) throws -> (Matrix, Vector) {
    var rng = TestRNG(seed: seed)
    let x = Matrix(rows: n, columns: 1, columnMajor: (0..<n).map { _ in Double.random(in: 0...width, using: &rng) })
    let l = try Cholesky(kernel.gram(x)).lower
    let z = Vector((0..<n).map { _ in standardNormal(using: &rng) })
    return (x, l * z)
}

@Suite("Gaussian process regression")
struct GaussianProcessTests {
    // MARK: Log marginal likelihood

    @Test("LML equals the closed form on n = 2 with an explicit 2×2 inverse (rtol 1e-13)")
    func logMarginalLikelihoodClosedForm() throws {
        let (c, l, noise) = (1.7, 0.9, 0.2)
        let kernel = c * RBFKernel(lengthScale: l) + WhiteKernel(noiseLevel: noise)
        let x = Matrix([[0.0], [0.7]]), y: Vector = [0.3, -1.2]
        let gp = try GaussianProcessRegressor(kernel: kernel, inputs: x, targets: y, alpha: 0, jitter: .none)
        let a = c + noise, b = c * exp(-0.49 / (2 * l * l))
        let det = a * a - b * b
        let quadratic = (a * y[0] * y[0] - 2 * b * y[0] * y[1] + a * y[1] * y[1]) / det
        let expected = -0.5 * quadratic - 0.5 * log(det) - log(2 * Double.pi)
        expectClose(gp.logMarginalLikelihood, expected, rtol: 1e-13)
        expectClose(try gp.logMarginalLikelihood(logParameters: kernel.logParameters), expected, rtol: 1e-13)
        // Weights w = K⁻¹y from the same inverse.
        expectClose(gp.weights.elements, [(a * y[0] - b * y[1]) / det, (a * y[1] - b * y[0]) / det], rtol: 1e-13)
    }

    /// Reference computed independently with NumPy 2.4 (dense kernel from the scikit-learn formulas,
    /// np.linalg.slogdet and np.linalg.solve — LU, not Cholesky — on standardised targets, np.std):
    ///     d = a[:,None] − b[None,:]; K = 2·rbf(1.5) + 0.5·rbf(3)·exp(−2 sin²(π|d|/1.3)/0.8²)
    ///         + 0.3·(1 + d²/(2·1.8·0.7²))^(−1.8) [+ 0.05 I + 1e-10 I on the training set]
    @Test("LML and predictions match an independent NumPy computation for a CO2-style kernel (rtol 1e-10)")
    func independentReference() throws {
        let x = Matrix(rows: 6, columns: 1, columnMajor: [0.1, 0.5, 1.3, 2.0, 2.2, 3.7])
        let y: Vector = [1.0, 1.4, 0.3, -0.5, -0.2, 0.9]
        let kernel = try KernelExpression.parse(
            "constant(value=2)*rbf(length=1.5) + constant(value=0.5)*rbf(length=3)*periodic(length=0.8, period=1.3)"
                + " + constant(value=0.3)*rq(length=0.7, alpha=1.8) + white(noise=0.05)")
        let gp = try GaussianProcessRegressor(kernel: kernel, inputs: x, targets: y, normalizeTarget: true)
        // Different factorisations (LU vs Cholesky) of a matrix with condition ~1e2: agreement ~1e-14.
        expectClose(gp.logMarginalLikelihood, -8.61996034308058, rtol: 1e-10)
        let p = try gp.predict(Matrix(rows: 2, columns: 1, columnMajor: [0.8, 5.0]))
        expectClose(p.mean.elements, [0.6316595458909695, 1.092015448727381], rtol: 1e-10)
        expectClose(p.variance.elements, [0.2277303864146197, 0.6344883085801], rtol: 1e-10)
    }

    @Test("with normalisation the LML is that of the standardised targets (np.std, ddof 0; rtol 1e-13)")
    func normalisedTargets() throws {
        var rng = TestRNG(seed: 8)
        let x = randomPoints(12, 2, using: &rng)
        let y = Vector((0..<12).map { _ in 5 + 3 * standardNormal(using: &rng) })
        let kernel = RBFKernel(lengthScale: 1.3) + WhiteKernel(noiseLevel: 0.1)
        let gp = try GaussianProcessRegressor(kernel: kernel, inputs: x, targets: y, normalizeTarget: true)
        let mean = y.sum / 12
        let sd = (y.elements.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 12).squareRoot()
        let standardised = Vector(y.elements.map { ($0 - mean) / sd })
        let reference = try GaussianProcessRegressor(kernel: kernel, inputs: x, targets: standardised)
        expectClose(gp.logMarginalLikelihood, reference.logMarginalLikelihood, rtol: 1e-13)
        expectClose(gp.targetMean, mean, rtol: 1e-15)
        expectClose(gp.targetScale, sd, rtol: 1e-14)
        // Predictions map back: μ = ȳ + s·μ̃, σ² = s²·σ̃².
        let xs = randomPoints(4, 2, using: &rng)
        let p = try gp.predict(xs), q = try reference.predict(xs)
        expectClose(p.mean.elements, q.mean.elements.map { mean + sd * $0 }, rtol: 1e-13)
        expectClose(p.variance.elements, q.variance.elements.map { sd * sd * $0 }, rtol: 1e-12)
    }

    @Test("LML gradient equals 5-point finite differences for random composite kernels (h = 1e-4: rtol 1e-6)")
    func logMarginalLikelihoodGradient() async throws {
        await propertyCheck(count: 25, input: Gen.int(in: 2...25), Gen.int(in: 1...2), Gen.int(in: 0...1_000_000)) { n, d, seed in
            var rng = TestRNG(seed: UInt64(seed))
            let kernel = randomCompositeKernel(dimension: d, using: &rng) + WhiteKernel(noiseLevel: 0.1)
            let x = randomPoints(n, d, using: &rng)
            let y = Vector((0..<n).map { _ in standardNormal(using: &rng) })
            let gp = try GaussianProcessRegressor(kernel: kernel, inputs: x, targets: y, normalizeTarget: seed % 2 == 0,
                                                  jitter: .none)
            let theta = kernel.logParameters
            let (value, gradient) = try gp.logMarginalLikelihoodAndGradient(logParameters: theta)
            expectClose(value, gp.logMarginalLikelihood, rtol: 1e-14)
            for k in theta.indices {
                let fd = try fivePointDerivative({ try gp.logMarginalLikelihood(logParameters: $0) }, at: theta,
                                                 coordinate: k, h: 1e-4)
                // Rounding in the LML (~1e-15·|LML|·cond(K) ≲ 1e-11) divided by h, plus h⁴|f⁽⁵⁾|/30 truncation.
                expectClose(gradient[k], fd, rtol: 1e-6, atol: 1e-7 * max(1, abs(value)), "\(kernel.parameterNames[k]) of \(kernel)")
            }
        }
    }

    // MARK: Posterior

    @Test("noise-free posterior interpolates the training data (|μ − y| ≤ 1e-6) with variance ≤ 1e-9 there")
    func interpolation() throws {
        let t = (0..<8).map(Double.init)
        let x = Matrix(rows: 8, columns: 1, columnMajor: t)
        let y = Vector(t.map { sin($0) + 0.1 * $0 })
        let gp = try GaussianProcessRegressor(kernel: 2.0 * RBFKernel(lengthScale: 1), inputs: x, targets: y)
        let p = try gp.predict(x)
        // (K + αI)w = y gives Kw − y = −αw; with α = 1e-10 and ‖w‖ ≲ 1e3 the residual is ≲ 1e-7.
        expectClose(p.mean.elements, y.elements, rtol: 0, atol: 1e-6)
        #expect(p.variance.elements.allSatisfy { $0 >= 0 && $0 <= 1e-9 }, "\(p.variance)")
        // Between training points the variance is positive and below the prior variance 2.
        let mid = try gp.predict(Matrix(rows: 1, columns: 1, columnMajor: [3.5]))
        #expect(mid.variance[0] > 1e-6 && mid.variance[0] < 2)
    }

    @Test("far from the data the prediction reverts to the prior mean and variance (exact: k* underflows to 0)")
    func revertsToPrior() throws {
        var rng = TestRNG(seed: 3)
        let x = randomPoints(10, 1, using: &rng)
        let y = Vector((0..<10).map { _ in 4 + standardNormal(using: &rng) })
        let far = Matrix([[1e3], [-2e3]])
        let plain = try GaussianProcessRegressor(kernel: 2.0 * RBFKernel(lengthScale: 0.5) + WhiteKernel(noiseLevel: 0.3),
                                                 inputs: x, targets: y)
        let p = try plain.predict(far)
        #expect(p.mean.elements == [0, 0])
        expectClose(p.variance.elements, [2, 2], rtol: 1e-15)
        let noisy = try plain.predict(far, includeNoise: true)
        expectClose(noisy.variance.elements, [2.3 + 1e-10, 2.3 + 1e-10], rtol: 1e-15)
        let normalised = try GaussianProcessRegressor(kernel: 2.0 * RBFKernel(lengthScale: 0.5), inputs: x, targets: y,
                                                      normalizeTarget: true)
        let q = try normalised.predict(far)
        expectClose(q.mean.elements, [normalised.targetMean, normalised.targetMean], rtol: 1e-15)
        let s2 = normalised.targetScale * normalised.targetScale
        expectClose(q.variance.elements, [2 * s2, 2 * s2], rtol: 1e-15)
    }

    @Test("full covariance: diagonal equals the variances, symmetric, noise only on the diagonal (rtol 1e-12)")
    func covariance() throws {
        var rng = TestRNG(seed: 4)
        let x = randomPoints(15, 2, using: &rng)
        let y = Vector((0..<15).map { _ in standardNormal(using: &rng) })
        let gp = try GaussianProcessRegressor(kernel: MaternKernel(.threeHalves, lengthScale: 0.8) + WhiteKernel(noiseLevel: 0.05),
                                              inputs: x, targets: y, normalizeTarget: true)
        let xs = randomPoints(6, 2, using: &rng)
        let (mean, cov) = try gp.predictCovariance(xs)
        let (mean2, variance) = try gp.predict(xs)
        #expect(mean == mean2)
        #expect(cov == cov.transposed)
        expectClose(cov.diagonal.elements, variance.elements, rtol: 1e-12, atol: 1e-15)
        let (_, noisyCov) = try gp.predictCovariance(xs, includeNoise: true)
        // Observation noise: the white-noise level plus alpha = 1e-10, in original units.
        let noise = (0.05 + 1e-10) * gp.targetScale * gp.targetScale
        expectClose((noisyCov - cov).storage, (noise * Matrix.identity(6)).storage, rtol: 1e-12, atol: 1e-15)
        let noisy = try gp.predict(xs, includeNoise: true)
        expectClose(noisy.variance.elements, variance.elements.map { $0 + noise }, rtol: 1e-12)
    }

    // MARK: Optimisation

    @Test("optimisation increases the LML and recovers ℓ = 0.7 and noise 0.01 from a GP draw (n = 80, seeded: ±30%)")
    func optimisationRecoversLengthscale() throws {
        let truth = RBFKernel(lengthScale: 0.7) + WhiteKernel(noiseLevel: 0.01)
        let (x, y) = try sampleFromGP(truth, n: 80, width: 10, seed: 2024)
        var gp = try GaussianProcessRegressor(kernel: ConstantKernel(1) * RBFKernel(lengthScale: 3) + WhiteKernel(noiseLevel: 1),
                                              inputs: x, targets: y)
        let before = gp.logMarginalLikelihood
        let report = try gp.optimize(restarts: 2, seed: 7)
        #expect(report.runs.count == 3)
        #expect(gp.logMarginalLikelihood > before + 10, "LML \(before) → \(gp.logMarginalLikelihood)")
        #expect(report.logMarginalLikelihood == gp.logMarginalLikelihood)
        let values = gp.kernel.hyperparameters.map(\.value)
        // Maximum-likelihood estimates from one draw of 80 points: within ±30% of the truth.
        #expect(abs(values[1] / 0.7 - 1) < 0.3, "ℓ = \(values[1]) for kernel \(gp.kernel)")
        #expect(abs(values[2] / 0.01 - 1) < 0.3, "noise = \(values[2])")
        #expect(abs(values[0] / 1 - 1) < 0.7, "variance = \(values[0])")
        // At an interior optimum the gradient vanishes (L-BFGS tolerance 1e-6 in the ∞-norm).
        let gradient = try gp.logMarginalLikelihoodAndGradient(logParameters: gp.kernel.logParameters).gradient
        #expect(gradient.allSatisfy { abs($0) < 1e-4 }, "\(gradient)")
        // The same seed gives the same result.
        var again = try GaussianProcessRegressor(kernel: ConstantKernel(1) * RBFKernel(lengthScale: 3) + WhiteKernel(noiseLevel: 1),
                                                 inputs: x, targets: y)
        try again.optimize(restarts: 2, seed: 7)
        #expect(again.kernel.hyperparameters == gp.kernel.hyperparameters)
    }

    @Test("fixed hyperparameters stay put during optimisation")
    func fixedParameters() throws {
        let (x, y) = try sampleFromGP(RBFKernel(lengthScale: 0.7) + WhiteKernel(noiseLevel: 0.01), n: 40, width: 8, seed: 99)
        var gp = try GaussianProcessRegressor(kernel: try KernelExpression.parse("rbf(length=2) + white(noise=0.05 fixed)"),
                                              inputs: x, targets: y)
        let report = try gp.optimize()
        #expect(report.parameterNames == ["k1.rbf.length"])
        #expect(gp.kernel.hyperparameters[1].value == 0.05)
        #expect(gp.kernel.hyperparameters[0].value != 2)
    }

    @Test("points where K is not positive definite are failed points, not crashes: the bad start fails, restarts succeed")
    func optimisationSurvivesIndefiniteMatrices() throws {
        // Linear kernel (rank 2 on 1-D inputs) plus noise 1e-30: numerically singular without jitter.
        var rng = TestRNG(seed: 12)
        let x = randomPoints(12, 1, using: &rng)
        let y = Vector((0..<12).map { 2 * x[$0, 0] + 0.1 * standardNormal(using: &rng) })
        let kernel = try KernelExpression.parse("linear(sigma0=1) + white(noise=1e-30 in [1e-30, 10])")
        #expect(throws: GaussianProcessError.self) {
            _ = try GaussianProcessRegressor(kernel: kernel, inputs: x, targets: y, alpha: 0, jitter: .none)
        }
        var good = kernel
        good.logParameters = [0, log(0.5)]
        var gp = try GaussianProcessRegressor(kernel: good, inputs: x, targets: y, alpha: 0, jitter: .none)
        // Restarts are log-uniform in [1e-30, 10]: about half land where K is numerically singular.
        let report = try gp.optimize(restarts: 4, seed: 1)
        let failed = report.runs.filter { !$0.logMarginalLikelihood.isFinite }
        #expect(!failed.isEmpty && failed.count < report.runs.count, "\(report.runs.map(\.message))")
        #expect(failed.allSatisfy { $0.evaluations == 0 && $0.start[1] < log(1e-10) })
        #expect(gp.logMarginalLikelihood.isFinite && gp.logMarginalLikelihood >= report.initialLogMarginalLikelihood)
        // The noise estimate is near the true 0.01 (±50%: 12 points).
        let noise = gp.kernel.hyperparameters[1].value
        #expect(noise > 0.005 && noise < 0.02, "noise \(noise)")
    }

    // MARK: Errors and serialisation

    @Test("user-data errors are typed and actionable")
    func errors() throws {
        let x = Matrix([[0.0], [1.0]]), y: Vector = [1, 2]
        let rbf = RBFKernel()
        #expect(thrownError { _ = try GaussianProcessRegressor(kernel: rbf, inputs: x, targets: [1]) } as? GaussianProcessError
                == .shapeMismatch("2 input rows but 1 targets"))
        #expect(thrownError { _ = try GaussianProcessRegressor(kernel: rbf, inputs: x, targets: [1, .nan]) } as? GaussianProcessError
                == .nonFinite("training targets"))
        #expect(thrownError { _ = try GaussianProcessRegressor(kernel: rbf, inputs: Matrix([[0.0], [.infinity]]), targets: y) }
                as? GaussianProcessError == .nonFinite("training inputs"))
        #expect(thrownError { _ = try GaussianProcessRegressor(kernel: rbf, inputs: Matrix(rows: 0, columns: 1), targets: []) }
                as? GaussianProcessError == .emptyTrainingSet)
        let ard = RBFKernel(lengthScales: [1, 2])
        #expect(thrownError { _ = try GaussianProcessRegressor(kernel: ard, inputs: x, targets: y) } as? GaussianProcessError
                == .dimensionMismatch(kernelDimension: 2, dataDimension: 1, kernel: "rbf(length=[1, 2])"))
        let sm = try KernelExpression.parse("sm(q=2)")
        #expect(thrownError { _ = try GaussianProcessRegressor(kernel: sm, inputs: Matrix([[0.0, 1.0], [1.0, 0.0]]), targets: y) }
                as? GaussianProcessError == .dimensionMismatch(kernelDimension: 1, dataDimension: 2, kernel: sm.description))
        // Duplicated inputs without noise: exactly singular.
        let duplicated = Matrix([[0.5], [0.5]])
        let error = thrownError { _ = try GaussianProcessRegressor(kernel: rbf, inputs: duplicated, targets: y, alpha: 0, jitter: .none) }
        guard case .notPositiveDefinite? = error as? GaussianProcessError else {
            Issue.record("expected notPositiveDefinite, got \(String(describing: error))")
            return
        }
        #expect("\(error!)".contains("white(noise="))
        // The default jitter policy rescues the same problem.
        #expect(thrownError { _ = try GaussianProcessRegressor(kernel: rbf, inputs: duplicated, targets: y, alpha: 0) } == nil)
        let gp = try GaussianProcessRegressor(kernel: rbf, inputs: x, targets: y)
        #expect(thrownError { _ = try gp.predict(Matrix([[0.0, 1.0]])) } is GaussianProcessError)
        #expect(thrownError { _ = try gp.predict(Matrix([[Double.nan]])) } as? GaussianProcessError == .nonFinite("test inputs"))
    }

    @Test("a fitted model survives JSON: same kernel, same predictions (exact)")
    func jsonRoundTrip() throws {
        var rng = TestRNG(seed: 21)
        let x = randomPoints(20, 2, using: &rng)
        let y = Vector((0..<20).map { _ in 10 + standardNormal(using: &rng) })
        let kernel = try KernelExpression.parse("constant(value=1.3) * matern52(length=[0.7, 1.9]) + white(noise=0.02 in [1e-4, 1])")
        let gp = try GaussianProcessRegressor(kernel: kernel, inputs: x, targets: y, normalizeTarget: true)
        let data = try JSONEncoder().encode(gp.model)
        let loaded = try GaussianProcessRegressor(model: JSONDecoder().decode(GaussianProcessModel.self, from: data))
        #expect(loaded.kernel.description == gp.kernel.description)
        #expect(loaded.model == gp.model)
        let xs = randomPoints(5, 2, using: &rng)
        let (a, b) = (try gp.predict(xs), try loaded.predict(xs))
        #expect(a.mean == b.mean && a.variance == b.variance)
        var tampered = gp.model
        tampered.format = "something/2"
        #expect(thrownError { _ = try GaussianProcessRegressor(model: tampered) } is GaussianProcessError)
    }
}
