import Foundation
import KernelKitBessel
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing

/// A unit vector in ℝ^p from a seed (a normalised Gaussian).
func randomDirection(_ p: Int, seed: UInt64) -> Vector {
    var g = SeededGenerator(seed: seed)
    let z = g.normalVector(count: p)
    return (1 / z.norm) * z
}

/// Statistics of n draws X (rows) against the direction μ: mean cosine w̄ = μᵀx̄, R̄ = ‖x̄‖, and
/// the largest |‖xᵢ‖ − 1|.
func sampleStatistics(_ x: Matrix, _ mu: Vector) -> (wbar: Double, rbar: Double, normError: Double) {
    let n = Double(x.rows)
    let sum = BLAS.matvec(x, Vector(repeating: 1, count: x.rows), .transpose)
    let norms = (0..<x.rows).map { abs(x.row($0).norm - 1) }
    return (BLAS.dot(sum, mu) / n, sum.norm / n, norms.max() ?? 0)
}

@Suite struct VonMisesFisherSamplingTests {
    /// Wood's sampler, CLT check. For n iid draws, w̄ = μᵀx̄ has mean A_p(κ) and standard deviation
    /// σ = √(A_p′(κ)/n) (Var μᵀx = A_p′(κ)); R̄ = ‖x̄‖ has E R̄² = A² + (1 − A²)/n and fluctuates like w̄.
    /// Both must lie within 5σ (two-sided tail 6e-7 per check). Every row is a unit vector to 1e-14.
    /// p ∈ [2, 300], κ ∈ [0, 2000] (log-uniform above 0.01), random μ, n = 400.
    @Test func meanResultantLengthMatchesA() async {
        await propertyCheck(count: 20, input: Gen.int(in: 2...300), Gen.double(in: -2...log10(2000)), Gen.int(in: 0...1_000_000)) { p, logKappa, seed in
            let kappa = logKappa < -1.9 ? 0 : pow(10, logKappa)
            let mu = randomDirection(p, seed: UInt64(seed))
            let d = try VonMisesFisher(meanDirection: mu, concentration: kappa)
            let n = 400
            let x = try d.sample(count: n, seed: UInt64(seed) + 1)
            let s = sampleStatistics(x, d.meanDirection)
            let a = try VonMisesFisher.meanResultantLength(dimension: p, concentration: kappa)
            let sigma = (try VonMisesFisher.meanResultantLengthDerivative(dimension: p, concentration: kappa) / Double(n)).squareRoot()
            #expect(abs(s.wbar - a) <= 5 * sigma, "p=\(p) kappa=\(kappa): wbar \(s.wbar) vs A \(a), sigma \(sigma)")
            let expectedR = (a * a + (1 - a * a) / Double(n)).squareRoot()
            #expect(abs(s.rbar - expectedR) <= 5 * sigma + 1 / Double(n), "p=\(p) kappa=\(kappa): Rbar \(s.rbar) vs \(expectedR)")
            #expect(s.normError <= 1e-14)
        }
    }

    /// Extreme regimes where a naive implementation of Wood's formulas cancels: κ = 1e12 in p = 3
    /// (1 − w ≈ 1/κ: checked through E[1 − w] = 1 − A_3(κ) = 1/κ − 2/(e^{2κ} − 1) within 5σ, σ ≈ 1/(κ√n)),
    /// and p = 1e5 with κ = 1e5 (checked as above, n = 30). Same seed, same draws.
    @Test func extremeRegimes() throws {
        let n = 2000
        let mu: Vector = [0, 0, 1]
        let d = try VonMisesFisher(meanDirection: mu, concentration: 1e12)
        let x = try d.sample(count: n, seed: 11)
        let oneMinusW = (0..<n).map { 1 - x[$0, 2] }.reduce(0, +) / Double(n)
        // For p = 3 and large κ, 1 − w is exponential with mean 1/κ: σ of the mean = 1/(κ√n).
        #expect(abs(oneMinusW - 1e-12) <= 5e-12 / Double(n).squareRoot(), "mean 1 − w = \(oneMinusW)")
        #expect(x.storage.allSatisfy { $0.isFinite })

        let p = 100_000
        let big = try VonMisesFisher(meanDirection: randomDirection(p, seed: 5), concentration: 1e5)
        let y = try big.sample(count: 30, seed: 12)
        let s = sampleStatistics(y, big.meanDirection)
        let a = try VonMisesFisher.meanResultantLength(dimension: p, concentration: 1e5)
        let sigma = (try VonMisesFisher.meanResultantLengthDerivative(dimension: p, concentration: 1e5) / 30).squareRoot()
        #expect(abs(s.wbar - a) <= 5 * sigma && s.normError <= 1e-13, "p=1e5: wbar \(s.wbar) vs \(a) (σ \(sigma))")
        #expect(try big.sample(count: 30, seed: 12) == y)
    }

    /// p = 3: the cosine w has CDF F(w) = (e^{κw} − e^{−κ})/(e^{κ} − e^{−κ}) (density ∝ e^{κw} on
    /// [−1, 1]). Kolmogorov–Smirnov with n = 2000 draws at κ = 2.5: D ≤ 1.63/√n (α = 0.01, fixed seed).
    /// Also uniform on the circle at κ = 0, p = 2: the angle passes the same KS bound.
    @Test func cosineDistributionP3() throws {
        let n = 2000, kappa = 2.5
        let d = try VonMisesFisher(meanDirection: [1, 0, 0], concentration: kappa)
        let w = (try d.sample(count: n, seed: 3)).column(0).elements.sorted()
        func cdf(_ t: Double) -> Double { (exp(kappa * t) - exp(-kappa)) / (exp(kappa) - exp(-kappa)) }
        #expect(ksStatistic(w, cdf) <= 1.63 / Double(n).squareRoot())
        let u = try VonMisesFisher(meanDirection: [0, 1], concentration: 0).sample(count: n, seed: 4)
        let angles = (0..<n).map { atan2(u[$0, 1], u[$0, 0]) }.sorted()
        #expect(ksStatistic(angles, { ($0 + Double.pi) / (2 * Double.pi) }) <= 1.63 / Double(n).squareRoot())
    }
}

/// max |F_n − F| of a sorted sample.
func ksStatistic(_ sorted: [Double], _ cdf: (Double) -> Double) -> Double {
    let n = Double(sorted.count)
    var d = 0.0
    for (i, x) in sorted.enumerated() {
        let f = cdf(x)
        d = max(d, abs(Double(i + 1) / n - f), abs(f - Double(i) / n))
    }
    return d
}

@Suite struct VonMisesFisherFitTests {
    /// The fit recovers κ from n Wood samples: κ̂ − κ ≈ (R̄ − A)/A′ with standard deviation
    /// 1/√(nA′) and bias ≈ (1 − A²)/(2AnA′) from ‖x̄‖ > μᵀx̄; |κ̂ − κ| ≤ 5/√(nA′) + 2·bias.
    /// The direction error satisfies 1 − μ̂ᵀμ ≤ 25(p − 1)/(2nκ A) (its mean is (p − 1)/(2nκA) to leading order).
    @Test func recoversKappa() async {
        await propertyCheck(count: 12, input: Gen.int(in: 2...200), Gen.double(in: 0...3), Gen.int(in: 0...1_000_000)) { p, logKappa, seed in
            let kappa = pow(10, logKappa) * Double(p) / 4 + 0.5
            let truth = try VonMisesFisher(meanDirection: randomDirection(p, seed: UInt64(seed)), concentration: kappa)
            let n = 1000
            let fit = try VonMisesFisher.fit(truth.sample(count: n, seed: UInt64(seed) ^ 0xABCD))
            let a = try VonMisesFisher.meanResultantLength(dimension: p, concentration: kappa)
            let slope = try VonMisesFisher.meanResultantLengthDerivative(dimension: p, concentration: kappa)
            let bias = (1 - a * a) / (2 * a * Double(n) * slope)
            let khat = fit.distribution.concentration
            #expect(abs(khat - kappa) <= 5 / (Double(n) * slope).squareRoot() + 2 * bias,
                    "p=\(p) kappa=\(kappa) khat=\(khat)")
            let cosine = BLAS.dot(fit.distribution.meanDirection, truth.meanDirection)
            #expect(1 - cosine <= 25 * Double(p - 1) / (2 * Double(n) * kappa * a), "p=\(p) kappa=\(kappa) 1-cos=\(1 - cosine)")
            #expect(fit.offSphereRowCount == 0 && fit.count == n)
        }
    }

    /// The fit is the maximiser: ℓ equals Σ log f(xᵢ) to 1e-12 relative, and moving κ by ±0.1% or
    /// rotating μ̂ lowers it; A_p(κ̂) = R̄ to 1e-14; scaled rows give the same fit and are counted.
    @Test func fitIsTheMaximum() throws {
        let truth = try VonMisesFisher(meanDirection: randomDirection(50, seed: 1), concentration: 30)
        let x = try truth.sample(count: 300, seed: 2)
        let fit = try VonMisesFisher.fit(x)
        let sum = try fit.distribution.logDensities(x).reduce(0, +)
        expectClose(fit.logLikelihood, sum, rtol: 1e-12)
        for factor in [0.999, 1.001] {
            let other = try VonMisesFisher(meanDirection: fit.distribution.meanDirection, concentration: fit.distribution.concentration * factor)
            #expect(try other.logDensities(x).reduce(0, +) < fit.logLikelihood)
        }
        let rotated = try VonMisesFisher(meanDirection: fit.distribution.meanDirection + 0.01 * randomDirection(50, seed: 9),
                                         concentration: fit.distribution.concentration)
        #expect(try rotated.logDensities(x).reduce(0, +) < fit.logLikelihood)
        let a = try VonMisesFisher.meanResultantLength(dimension: 50, concentration: fit.distribution.concentration)
        #expect(abs(a - fit.meanResultantLength) <= 1e-14)

        let scaled = Matrix(rows: x.rows, columns: x.columns) { i, j in x[i, j] * Double(i + 2) }
        let refit = try VonMisesFisher.fit(scaled)
        #expect(refit.offSphereRowCount == x.rows)
        expectClose(refit.distribution.concentration, fit.distribution.concentration, rtol: 1e-12)
        // The unchecked fast path (one dgemv) gives the same fit on unit rows, and still names a NaN's row.
        let fast = try VonMisesFisher.fit(x, rowsAreUnitVectors: true)
        expectClose(fast.distribution.concentration, fit.distribution.concentration, rtol: 1e-13)
        expectClose(fast.logLikelihood, fit.logLikelihood, rtol: 1e-13)
        var broken = x
        broken[7, 3] = .nan
        #expect(throws: VonMisesFisherError.nonFiniteData(row: 7, column: 3)) { try VonMisesFisher.fit(broken, rowsAreUnitVectors: true) }
        let suff = try VonMisesFisher.maximumLikelihood(meanResultantLength: fit.meanResultantLength, dimension: 50, count: 300)
        expectClose(suff.concentration, fit.distribution.concentration, rtol: 1e-15)
        expectClose(suff.logLikelihood, fit.logLikelihood, rtol: 1e-12)
    }

    @Test func badDataThrows() throws {
        #expect(throws: VonMisesFisherError.nonFiniteData(row: 1, column: 0)) { try VonMisesFisher.fit(Matrix([[1, 0], [.infinity, 1]])) }
        #expect(throws: VonMisesFisherError.nonFiniteData(row: 0, column: 1)) { try VonMisesFisher.fit(Matrix([[1, .nan], [0, 1]])) }
        #expect(throws: VonMisesFisherError.zeroRow(0)) { try VonMisesFisher.fit(Matrix([[0, 0], [0, 1]])) }
        #expect(throws: VonMisesFisherError.invalidDimension(1)) { try VonMisesFisher.fit(Matrix([[1], [1]])) }
        #expect(throws: VonMisesFisherError.self) { try VonMisesFisher.fit(Matrix([[0.6, 0.8]])) }          // n = 1: κ̂ = ∞
        #expect(throws: VonMisesFisherError.self) { try VonMisesFisher.fit(Matrix([[0, 2], [0, 1]])) }      // identical directions
        #expect(throws: VonMisesFisherError.self) { try VonMisesFisher.fit(Matrix(rows: 0, columns: 3)) }
        // Huge but finite entries are not mistaken for non-finite ones.
        let fit = try VonMisesFisher.fit(Matrix([[1e300, 1e300], [1e300, -1e300], [1, 0]]))
        #expect(fit.distribution.concentration.isFinite && fit.offSphereRowCount == 2)
    }
}

@Suite struct VonMisesFisherMixtureTests {
    /// Three well-separated clusters in p = 20 (κ = 50, 80, 120; weights 0.5, 0.3, 0.2; n = 600):
    /// EM recovers the labels exactly (up to permutation), the log-likelihood never decreases
    /// (each step ≥ previous − 1e-12·|ℓ|), and the weights within 5 binomial standard deviations.
    @Test func recoversSeparatedClusters() throws {
        let p = 20, sizes = [300, 180, 120], kappas = [50.0, 80, 120]
        var rows: [[Double]] = [], labels: [Int] = []
        for c in 0..<3 {
            let d = try VonMisesFisher(meanDirection: randomDirection(p, seed: UInt64(100 + c)), concentration: kappas[c])
            let x = try d.sample(count: sizes[c], seed: UInt64(200 + c))
            for i in 0..<x.rows { rows.append(x.row(i).elements); labels.append(c) }
        }
        let data = Matrix(rows)
        let fit = try VonMisesFisherMixture.fit(data, components: 3, restarts: 3, seed: 7)
        #expect(adjustedRandIndex(fit.assignments, labels) == 1)
        for (a, b) in zip(fit.logLikelihoodTrace, fit.logLikelihoodTrace.dropFirst()) {
            #expect(b >= a - 1e-12 * abs(a), "log-likelihood decreased: \(a) → \(b)")
        }
        #expect(fit.converged && fit.restartLogLikelihoods.count == 3)
        let weights = fit.mixture.weights.sorted(by: >)
        for (w, truth) in zip(weights, [0.5, 0.3, 0.2]) {
            #expect(abs(w - truth) <= 5 * (truth * (1 - truth) / 600).squareRoot() + 1e-9)
        }
        let (ll, gamma) = try fit.mixture.posterior(data)
        expectClose(ll, fit.logLikelihood, rtol: 1e-12)
        #expect((0..<data.rows).allSatisfy { i in abs((0..<3).map { gamma[i, $0] }.reduce(0, +) - 1) <= 1e-14 })
    }

    /// K = 1 is the single-distribution fit: same κ̂ and ℓ to 1e-12 relative after one M-step.
    @Test func oneComponentIsTheFit() throws {
        let x = try VonMisesFisher(meanDirection: randomDirection(8, seed: 3), concentration: 6).sample(count: 200, seed: 4)
        let single = try VonMisesFisher.fit(x)
        let mixture = try VonMisesFisherMixture.fit(x, components: 1, restarts: 1)
        expectClose(mixture.mixture.components[0].concentration, single.distribution.concentration, rtol: 1e-12)
        expectClose(mixture.logLikelihood, single.logLikelihood, rtol: 1e-12)
    }

    /// The wine data (178 × 13, 3 cultivars; datasets/wine.csv), columns standardised, rows projected
    /// onto S¹²: a 3-component mixture matches the cultivars with adjusted Rand index ≥ 0.8 (it is
    /// 0.85 with this seed; spherical k-means reaches ~0.85–0.9 on this representation) and the
    /// log-likelihood trace is monotone.
    @Test func wineClusters() throws {
        let (x, labels) = try loadStandardized("wine.csv")
        let fit = try VonMisesFisherMixture.fit(x, components: 3, restarts: 5, seed: 1)
        let ari = adjustedRandIndex(fit.assignments, labels)
        #expect(ari >= 0.8, "wine ARI \(ari)")
        for (a, b) in zip(fit.logLikelihoodTrace, fit.logLikelihoodTrace.dropFirst()) { #expect(b >= a - 1e-12 * abs(a)) }
    }

    @Test func badInput() throws {
        #expect(throws: VonMisesFisherError.self) { try VonMisesFisherMixture.fit(Matrix([[1, 0], [0, 1]]), components: 3) }
        #expect(throws: VonMisesFisherError.nonFiniteData(row: 1, column: 1)) {
            try VonMisesFisherMixture.fit(Matrix([[1, 0], [0, .nan], [1, 1]]), components: 2)
        }
    }
}

/// Adjusted Rand index (Hubert & Arabie 1985) of two labelings: 1 for identical partitions, ~0 for
/// independent ones.
func adjustedRandIndex(_ a: [Int], _ b: [Int]) -> Double {
    precondition(a.count == b.count)
    func choose2(_ x: Int) -> Double { Double(x) * Double(x - 1) / 2 }
    var table: [Int: [Int: Int]] = [:]
    var rowSums: [Int: Int] = [:], columnSums: [Int: Int] = [:]
    for (x, y) in zip(a, b) {
        table[x, default: [:]][y, default: 0] += 1
        rowSums[x, default: 0] += 1
        columnSums[y, default: 0] += 1
    }
    let index = table.values.flatMap { $0.values }.map(choose2).reduce(0, +)
    let rows = rowSums.values.map(choose2).reduce(0, +), columns = columnSums.values.map(choose2).reduce(0, +)
    let expected = rows * columns / choose2(a.count)
    return (index - expected) / ((rows + columns) / 2 - expected)
}

/// A bundled dataset (header row, last column the integer label), feature columns standardised.
func loadStandardized(_ file: String) throws -> (Matrix, [Int]) {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("datasets").appendingPathComponent(file)
    let lines = try String(contentsOf: url, encoding: .utf8).split(whereSeparator: \.isNewline).dropFirst()
    let table = lines.map { $0.split(separator: ",").map { Double($0)! } }
    let d = table[0].count - 1, n = table.count
    var x = Matrix(rows: n, columns: d)
    for j in 0..<d {
        let column = table.map { $0[j] }
        let mean = column.reduce(0, +) / Double(n)
        let sd = (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot()
        for i in 0..<n { x[i, j] = sd > 0 ? (column[i] - mean) / sd : 0 }
    }
    return (x, table.map { Int($0[d]) })
}
