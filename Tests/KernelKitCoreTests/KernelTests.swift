import Foundation
import KernelKitCore
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing

// MARK: Shared test helpers (used by the kernel, expression and GP suites)

/// A log-uniform draw in [lo, hi].
func logUniform(_ lo: Double, _ hi: Double, using rng: inout TestRNG) -> Double {
    exp(Double.random(in: log(lo)...log(hi), using: &rng))
}

/// One of the classic kernels with random hyperparameters, for inputs of dimension `d` and a point
/// spread of order 1.
func randomClassicKernel(dimension d: Int, using rng: inout TestRNG) -> any Kernel {
    switch Int.random(in: 0..<12, using: &rng) {
    case 0: return RBFKernel(lengthScale: logUniform(0.3, 3, using: &rng))
    case 1: return RBFKernel(lengthScales: (0..<d).map { _ in logUniform(0.3, 3, using: &rng) })
    case 2: return MaternKernel(.oneHalf, lengthScale: logUniform(0.3, 3, using: &rng))
    case 3: return MaternKernel(.threeHalves, lengthScales: (0..<d).map { _ in logUniform(0.3, 3, using: &rng) })
    case 4: return MaternKernel(.fiveHalves, lengthScale: logUniform(0.3, 3, using: &rng))
    case 5: return PeriodicKernel(lengthScale: logUniform(0.5, 3, using: &rng), period: logUniform(0.5, 3, using: &rng))
    case 6: return RationalQuadraticKernel(lengthScale: logUniform(0.3, 3, using: &rng), alpha: logUniform(0.1, 10, using: &rng))
    case 7: return LinearKernel(sigma0: logUniform(0.1, 3, using: &rng))
    case 8: return WhiteKernel(noiseLevel: logUniform(0.01, 1, using: &rng))
    case 9: return ConstantKernel(logUniform(0.1, 10, using: &rng))
    case 10:
        let q = Int.random(in: 1...2, using: &rng)
        return SpectralMixtureKernel(weights: (0..<q).map { _ in logUniform(0.1, 2, using: &rng) },
                                     means: (0..<(q * d)).map { _ in logUniform(0.05, 1, using: &rng) },
                                     variances: (0..<(q * d)).map { _ in logUniform(0.01, 0.5, using: &rng) })
    default: return MaternKernel(.fiveHalves, lengthScales: (0..<d).map { _ in logUniform(0.3, 3, using: &rng) })
    }
}

/// A random sum/product of classic kernels (up to two levels, up to three children each).
func randomCompositeKernel(dimension d: Int, using rng: inout TestRNG) -> any Kernel {
    func node(_ depth: Int) -> any Kernel {
        guard depth < 2, Bool.random(using: &rng) else { return randomClassicKernel(dimension: d, using: &rng) }
        let children = (0..<Int.random(in: 2...3, using: &rng)).map { _ in node(depth + 1) }
        return Bool.random(using: &rng) ? SumKernel(children) as any Kernel : ProductKernel(children)
    }
    return node(0)
}

/// Points with independent N(0, 1) coordinates, n×d.
func randomPoints(_ n: Int, _ d: Int, using rng: inout TestRNG) -> Matrix {
    randomGaussianMatrix(rows: n, columns: d, using: &rng)
}

/// Five-point central finite differences of gram(x) in each log-hyperparameter:
/// f′ ≈ [f(−2h) − 8f(−h) + 8f(h) − f(2h)]/(12h), truncation error h⁴|f⁽⁵⁾|/30, rounding ≈ ε|f|/h.
/// (Periodic kernels with short periods have large high derivatives, which a 3-point rule with
/// error h²|f‴|/6 does not resolve to 1e-6.)
func finiteDifferenceGramGradient(_ kernel: any Kernel, _ x: Matrix, h: Double = 3e-5) -> [Matrix] {
    let theta = kernel.logParameters
    return theta.indices.map { k in
        func gram(at offset: Double) -> Matrix {
            var shifted = kernel
            var t = theta
            t[k] += offset
            shifted.logParameters = t
            return shifted.gram(x)
        }
        let (m2, m1, p1, p2) = (gram(at: -2 * h), gram(at: -h), gram(at: h), gram(at: 2 * h))
        return (1 / (12 * h)) * (m2 - p2 + 8 * (p1 - m1))
    }
}

/// Five-point central difference of a scalar function of one coordinate of θ.
func fivePointDerivative(_ f: ([Double]) throws -> Double, at theta: [Double], coordinate k: Int,
                         h: Double) rethrows -> Double {
    func at(_ offset: Double) throws -> Double {
        var t = theta
        t[k] += offset
        return try f(t)
    }
    return try (at(-2 * h) - at(2 * h) + 8 * (at(h) - at(-h))) / (12 * h)
}

/// Smallest eigenvalue and largest |eigenvalue| of a symmetric matrix.
func eigenvalueRange(_ a: Matrix) throws -> (min: Double, maxAbs: Double) {
    let e = try SymmetricEigen(a)
    return (e.eigenvalues.elements.min() ?? 0, e.eigenvalues.maxAbs)
}

@Suite("Kernels")
struct KernelTests {
    // MARK: Positive semi-definiteness

    @Test("every classic kernel and random sums/products give symmetric PSD Gram matrices (λmin ≥ −1e-10·λmax)")
    func gramIsSymmetricPSD() async throws {
        await propertyCheck(count: 60, input: Gen.int(in: 1...25), Gen.int(in: 1...3), Gen.int(in: 0...1_000_000)) { n, d, seed in
            var rng = TestRNG(seed: UInt64(seed))
            let kernel = seed % 2 == 0 ? randomClassicKernel(dimension: d, using: &rng)
                                       : randomCompositeKernel(dimension: d, using: &rng)
            let x = randomPoints(n, d, using: &rng)
            let k = kernel.gram(x)
            #expect(k == k.transposed, "gram(x) must be exactly symmetric: \(kernel)")
            let (lo, hi) = try eigenvalueRange(k)
            #expect(lo >= -1e-10 * max(hi, 1e-300), "λmin \(lo), λmax \(hi) for \(kernel)")
            // diagonal(x) is diag(gram(x)): same arithmetic up to a few roundings.
            expectClose(kernel.diagonal(x).elements, k.diagonal.elements, rtol: 1e-12, atol: 1e-14, "\(kernel)")
        }
    }

    @Test("cross-covariance k(x, y) agrees with gram on the union of points (noise-free kernels, rtol 1e-10)")
    func crossCovarianceMatchesGram() async {
        await propertyCheck(count: 40, input: Gen.int(in: 1...10), Gen.int(in: 1...10), Gen.int(in: 0...1_000_000)) { n, m, seed in
            var rng = TestRNG(seed: UInt64(seed))
            let d = 2
            var kernel = randomCompositeKernel(dimension: d, using: &rng)
            // Remove noise: k(x, y) excludes it by definition, so compare with a noise-free kernel.
            while kernel.description.contains("white") { kernel = randomCompositeKernel(dimension: d, using: &rng) }
            let x = randomPoints(n, d, using: &rng), y = randomPoints(m, d, using: &rng)
            let all = Matrix(rows: n + m, columns: d) { i, j in i < n ? x[i, j] : y[i - n, j] }
            let g = kernel.gram(all)
            let block = Matrix(rows: n, columns: m) { i, j in g[i, n + j] }
            // Distances via the BLAS expansion with different centring: |Δr²| ~ 1e-15·‖x‖², entering k smoothly.
            expectClose(kernel(x, y), block, rtol: 1e-10, atol: 1e-12, "\(kernel) \(x) \(y) \(kernel(x, y)) \(block)")
            expectClose(kernel.noiseFreeDiagonal(x).elements, kernel(x, x).diagonal.elements, rtol: 1e-10, atol: 1e-12)
        }
    }

    // MARK: Closed forms

    @Test("RBF at distance r equals exp(−r²/2ℓ²); ARD divides each coordinate by its own ℓ (rtol 1e-13)")
    func rbfClosedForm() {
        let x = Matrix([[0.3, -1.0]]), y = Matrix([[1.1, 0.5]])
        let r2 = 0.8 * 0.8 + 1.5 * 1.5
        expectClose(RBFKernel(lengthScale: 0.7)(x, y)[0, 0], exp(-r2 / (2 * 0.49)), rtol: 1e-13)
        let ard = RBFKernel(lengthScales: [0.5, 2])(x, y)[0, 0]
        expectClose(ard, exp(-0.5 * (0.8 * 0.8 / 0.25 + 1.5 * 1.5 / 4)), rtol: 1e-13)
        #expect(RBFKernel().gram(x)[0, 0] == 1)
    }

    @Test("distances stay accurate far from the origin (points near 1e4 spaced 0.01: rtol 1e-9 vs direct formula)")
    func distancesAccurateWithLargeOffset() {
        let t = (0..<20).map { 1e4 + 0.01 * Double($0) }
        let x = Matrix(rows: 20, columns: 1, columnMajor: t)
        let k = RBFKernel(lengthScale: 0.05).gram(x)
        let direct = Matrix(rows: 20, columns: 20) { i, j in exp(-pow(t[i] - t[j], 2) / (2 * 0.0025)) }
        // Centring leaves |Δr²| ≈ ε·(0.1)², i.e. relative error ~1e-12 in k for these distances.
        expectClose(k, direct, rtol: 1e-9, atol: 1e-300)
    }

    @Test("Matérn closed forms at r = 1.3ℓ (rtol 1e-13) and small-r expansions 1−k ≈ s, 3s²/2, 5s²/6 (rtol 1e-3)")
    func maternClosedFormsAndLimits() {
        let l = 0.8, r = 1.3 * 0.8
        let x = Matrix([[0.0]]), y = Matrix([[r]])
        let s = r / l
        expectClose(MaternKernel(.oneHalf, lengthScale: l)(x, y)[0, 0], exp(-s), rtol: 1e-13)
        expectClose(MaternKernel(.threeHalves, lengthScale: l)(x, y)[0, 0], (1 + sqrt(3) * s) * exp(-sqrt(3) * s), rtol: 1e-13)
        expectClose(MaternKernel(.fiveHalves, lengthScale: l)(x, y)[0, 0],
                    (1 + sqrt(5) * s + 5 * s * s / 3) * exp(-sqrt(5) * s), rtol: 1e-13)
        // Near r = 0 (s = 1e-4): the leading terms of the expansions; next-order terms are O(s) relative.
        let tiny = 1e-4
        let z = Matrix([[tiny * l]])
        expectClose((1 - MaternKernel(.oneHalf, lengthScale: l)(x, z)[0, 0]) / tiny, 1, rtol: 1e-3)
        expectClose((1 - MaternKernel(.threeHalves, lengthScale: l)(x, z)[0, 0]) / (tiny * tiny), 1.5, rtol: 1e-3)
        expectClose((1 - MaternKernel(.fiveHalves, lengthScale: l)(x, z)[0, 0]) / (tiny * tiny), 5.0 / 6.0, rtol: 1e-3)
        // Smoother kernels decay more slowly at moderate distance: k₁/₂ < k₃/₂ < k₅/₂ < k_RBF at s = 0.5.
        let w = Matrix([[0.5 * l]])
        let values = [MaternKernel(.oneHalf, lengthScale: l)(x, w)[0, 0], MaternKernel(.threeHalves, lengthScale: l)(x, w)[0, 0],
                      MaternKernel(.fiveHalves, lengthScale: l)(x, w)[0, 0], RBFKernel(lengthScale: l)(x, w)[0, 0]]
        #expect(values == values.sorted())
    }

    @Test("periodic kernel equals the variance at whole periods and exp(−2sin²(πr/p)/ℓ²) elsewhere (rtol 1e-12)")
    func periodicClosedForm() {
        let p = 1.7, l = 0.6, c = 2.5
        let k = c * PeriodicKernel(lengthScale: l, period: p)
        let x = Matrix([[0.2]])
        for m in 1...3 { expectClose(k(x, Matrix([[0.2 + Double(m) * p]]))[0, 0], c, rtol: 1e-12) }
        let r = 0.45
        expectClose(k(x, Matrix([[0.2 + r]]))[0, 0], c * exp(-2 * pow(sin(Double.pi * r / p), 2) / (l * l)), rtol: 1e-12)
    }

    @Test("rational quadratic: closed form (rtol 1e-13) and → RBF as α → ∞ (α = 1e6: rtol 1e-5)")
    func rationalQuadratic() {
        let x = Matrix([[0.0, 0.0], [1.0, 0.5], [-0.7, 2.0]])
        let (l, a) = (0.9, 2.3)
        let k = RationalQuadraticKernel(lengthScale: l, alpha: a).gram(x)
        let r2 = 1.0 + 0.25
        expectClose(k[0, 1], pow(1 + r2 / (2 * a * l * l), -a), rtol: 1e-13)
        // (1 + u/α)^(−α) = e^{−u}(1 + O(u²/α)); with u ≤ 4 and α = 1e6 the relative gap is ≤ ~1e-5.
        expectClose(RationalQuadraticKernel(lengthScale: l, alpha: 1e6).gram(x), RBFKernel(lengthScale: l).gram(x), rtol: 1e-5)
    }

    @Test("linear, constant and white kernels: σ₀² + x·y, c, and noise only on gram's diagonal (exact)")
    func simpleKernels() {
        let x = Matrix([[1.0, 2.0], [-0.5, 3.0]]), y = Matrix([[2.0, -1.0]])
        expectClose(LinearKernel(sigma0: 1.5)(x, y).storage, [2.25 + 0, 2.25 - 4], rtol: 1e-15)
        #expect(ConstantKernel(3)(x, y).storage == [3, 3])
        let white = WhiteKernel(noiseLevel: 0.2)
        #expect(white.gram(x) == 0.2 * Matrix.identity(2))
        #expect(white(x, x) == Matrix(rows: 2, columns: 2), "k(x, x) of white noise is a cross-covariance: zero")
        #expect(white.diagonal(x).elements == [0.2, 0.2] && white.noiseFreeDiagonal(x).elements == [0, 0])
    }

    @Test("spectral mixture: closed form w·exp(−2π²τ²v)cos(2πτμ), and one component with μ→0 is an RBF with ℓ = 1/(2π√v)")
    func spectralMixtureClosedForm() {
        let sm = SpectralMixtureKernel(weights: [0.7, 1.3], means: [0.4, 1.1], variances: [0.05, 0.2])
        let tau = 0.37
        let expected = 0.7 * exp(-2 * .pi * .pi * tau * tau * 0.05) * cos(2 * .pi * tau * 0.4)
            + 1.3 * exp(-2 * .pi * .pi * tau * tau * 0.2) * cos(2 * .pi * tau * 1.1)
        expectClose(sm(Matrix([[0.1]]), Matrix([[0.1 + tau]]))[0, 0], expected, rtol: 1e-13)
        #expect(sm.diagonal(Matrix([[0.0]]))[0] == 2.0)
        // cos(2πτμ) = 1 − O((τμ)²): μ = 1e-8 leaves a relative gap ~1e-15.
        let v = 0.03
        let x = Matrix(rows: 6, columns: 1, columnMajor: [0, 0.3, 1, 1.7, 2.2, 4])
        let one = SpectralMixtureKernel(weights: [1], means: [1e-8], variances: [v])
        expectClose(one.gram(x), RBFKernel(lengthScale: 1 / (2 * .pi * sqrt(v))).gram(x), rtol: 1e-12, atol: 1e-15)
        // Two-dimensional form is the product over dimensions.
        let sm2 = SpectralMixtureKernel(weights: [0.5], means: [0.3, 0.8], variances: [0.1, 0.02])
        let t = [0.4, -0.9]
        let expected2 = 0.5 * exp(-2 * .pi * .pi * (t[0] * t[0] * 0.1 + t[1] * t[1] * 0.02))
            * cos(2 * .pi * t[0] * 0.3) * cos(2 * .pi * t[1] * 0.8)
        expectClose(sm2(Matrix([[0.0, 0.0]]), Matrix([t]))[0, 0], expected2, rtol: 1e-13)
    }

    @Test("scaling, sums and products combine pointwise (rtol 1e-14)")
    func algebra() {
        var rng = TestRNG(seed: 11)
        let x = randomPoints(7, 2, using: &rng)
        let a = RBFKernel(lengthScale: 0.8), b = PeriodicKernel(lengthScale: 1.2, period: 2)
        let w = WhiteKernel(noiseLevel: 0.3)
        let k = 2.0 * a * b + w
        expectClose(k.gram(x), 2.0 * a.gram(x).hadamard(b.gram(x)) + w.gram(x), rtol: 1e-14)
        #expect(k.terms.count == 2 && (k.terms[0] as? ProductKernel)?.factors.count == 3)
        #expect(k.parameterNames == ["k1.k1.constant.value", "k1.k2.rbf.length", "k1.k3.periodic.length",
                                     "k1.k3.periodic.period", "k2.white.noise"])
    }

    // MARK: Hyperparameter gradients

    @Test("gramGradient equals 5-point finite differences in log space (h = 3e-5: rtol 1e-6, atol 1e-8)")
    func gradientMatchesFiniteDifferences() async {
        await propertyCheck(count: 40, input: Gen.int(in: 1...12), Gen.int(in: 1...3), Gen.int(in: 0...1_000_000)) { n, d, seed in
            var rng = TestRNG(seed: UInt64(seed))
            let kernel = seed % 2 == 0 ? randomClassicKernel(dimension: d, using: &rng)
                                       : randomCompositeKernel(dimension: d, using: &rng)
            let x = randomPoints(n, d, using: &rng)
            let analytic = kernel.gramGradient(x)
            let numeric = finiteDifferenceGramGradient(kernel, x)
            #expect(analytic.count == kernel.parameterCount)
            // Five-point differences: truncation h⁴|∂⁵K|/30 ≲ 1e-9 even for short periods, rounding ε|K|/h ≈ 1e-11.
            for (a, f) in zip(analytic, numeric) { expectClose(a, f, rtol: 1e-6, atol: 1e-8, "\(kernel)") }
        }
    }

    @Test("gramGradientContraction equals Σ W∘∂K/∂θ from the full matrices (rtol 1e-10) and finite differences of Σ W∘K (rtol 1e-6)")
    func contractionMatchesFullGradient() async {
        await propertyCheck(count: 40, input: Gen.int(in: 1...12), Gen.int(in: 1...3), Gen.int(in: 0...1_000_000)) { n, d, seed in
            var rng = TestRNG(seed: UInt64(seed))
            let kernel = seed % 2 == 0 ? randomClassicKernel(dimension: d, using: &rng)
                                       : randomCompositeKernel(dimension: d, using: &rng)
            let x = randomPoints(n, d, using: &rng)
            let g = randomGaussianMatrix(rows: n, columns: n, using: &rng)
            let w = 0.5 * (g + g.transposed)
            let contraction = kernel.gramGradientContraction(x, w)
            let full = kernel.gramGradient(x).map { ($0.hadamard(w)).storage.reduce(0, +) }
            // Same products summed in different orders: error ≲ n²ε·Σ|W||∂K|; atol scaled accordingly.
            let scale = kernel.gramGradient(x).map { $0.hadamard(w).storage.reduce(0) { $0 + abs($1) } }
            for k in full.indices {
                expectClose(contraction[k], full[k], rtol: 1e-10, atol: 1e-12 * scale[k], "\(kernel.parameterNames[k])")
            }
            let fd = finiteDifferenceGramGradient(kernel, x).map { ($0.hadamard(w)).storage.reduce(0, +) }
            for k in fd.indices {
                expectClose(contraction[k], fd[k], rtol: 1e-6, atol: 1e-7 * max(1, scale[k]), "\(kernel) \(kernel.parameterNames[k])")
            }
        }
    }

    @Test("gramWithGradientContraction gives gram(x) exactly and the same contraction (rtol 1e-12)")
    func fusedGramAndContraction() async {
        await propertyCheck(count: 30, input: Gen.int(in: 1...12), Gen.int(in: 1...3), Gen.int(in: 0...1_000_000)) { n, d, seed in
            var rng = TestRNG(seed: UInt64(seed))
            let kernel = randomCompositeKernel(dimension: d, using: &rng)
            let x = randomPoints(n, d, using: &rng)
            let g = randomGaussianMatrix(rows: n, columns: n, using: &rng)
            let w = 0.5 * (g + g.transposed)
            let (gram, contraction) = kernel.gramWithGradientContraction(x)
            #expect(gram == kernel.gram(x), "\(kernel)")
            // Same products, possibly a different association of the factor weights: a few ulp.
            let scale = kernel.gramGradient(x).map { $0.hadamard(w).storage.reduce(0) { $0 + abs($1) } }
            let reference = kernel.gramGradientContraction(x, w)
            let fused = contraction(w)
            for k in reference.indices { expectClose(fused[k], reference[k], rtol: 1e-12, atol: 1e-13 * scale[k]) }
        }
    }

    @Test("ARD lengthscale gradients, including equal lengthscales reducing to the isotropic one (rtol 1e-12)")
    func ardReducesToIsotropic() {
        var rng = TestRNG(seed: 5)
        let x = randomPoints(9, 3, using: &rng)
        let iso = MaternKernel(.fiveHalves, lengthScale: 1.4)
        let ard = MaternKernel(.fiveHalves, lengthScales: [1.4, 1.4, 1.4])
        expectClose(ard.gram(x), iso.gram(x), rtol: 1e-12, atol: 1e-15)
        // Σₖ ∂K/∂log ℓₖ over the tied lengthscales is ∂K/∂log ℓ of the isotropic kernel.
        let summed = ard.gramGradient(x).dropFirst().reduce(ard.gramGradient(x)[0]) { $0 + $1 }
        expectClose(summed, iso.gramGradient(x)[0], rtol: 1e-12, atol: 1e-14)
        #expect(ard.inputDimension == 3 && iso.inputDimension == nil)
    }

    @Test("log-parameters, names, bounds and fixing")
    func hyperparameterVector() {
        var k = ConstantKernel(2) * RBFKernel(lengthScale: 50) + WhiteKernel(noiseLevel: 0.1)
        expectClose(k.logParameters, [log(2), log(50), log(0.1)], rtol: 1e-15)
        #expect(k.bounds.allSatisfy { abs($0.lowerBound - log(1e-5)) < 1e-15 && abs($0.upperBound - log(1e5)) < 1e-15 })
        k.logParameters = [0, log(3), log(0.5)]
        expectClose((k.terms[0] as! ProductKernel).factors[1].hyperparameters[0].value, 3, rtol: 1e-15)
        k.setFixed(true, at: 2)
        #expect(k.freeParameterIndices == [0, 1] && k.isFixed == [false, false, true])
        #expect(k.parameterNames == ["k1.k1.constant.value", "k1.k2.rbf.length", "k2.white.noise"])
    }
}
