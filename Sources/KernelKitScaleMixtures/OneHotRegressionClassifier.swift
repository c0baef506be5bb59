import Foundation
import KernelKitLinalg

/// Classification by exact regression on one-hot labels (the Gaussian-likelihood route of Lee et al.,
/// "Deep neural networks as Gaussian processes", ICLR 2018, used for the scale mixtures by Lee, Yun,
/// Yang & Lee, ICLR 2022): the C columns y_c ∈ {0, 1}ⁿ of the one-hot label matrix are C outputs of
/// one network, so given the shared last-layer variance σ² they are independent with
/// y_c | σ² ~ N(0, σ²(K + εI)) and f*_{i,·} | σ², Y ~ N(μ_{i,·}, σ²Cᵢᵢ I_C).
///
/// - `.studentT(α, β)`: σ² ~ IG(α, β) ⇒ σ² | Y ~ IG(α + nC/2, β + Q/2), Q = Σ_c y_cᵀ(K + εI)⁻¹y_c,
///   and the C latent outputs of a test point are jointly multivariate t with 2α + nC degrees of
///   freedom, location μ_{i,·} and scale ((β + Q/2)/(α + nC/2))·Cᵢᵢ I_C.
/// - `.gaussian(σ²)`: the NNGP with a fixed σ² (σ² = 1 is the network's own readout variance).
///
/// Class probabilities are P(argmax_c f*_c = c), estimated by Monte Carlo over that predictive.
/// Caveat: with n·C large the predictive degrees of freedom are large too and the Student-t route is
/// then close to a GP with σ² at its posterior mean — the tails matter only for small n·C.
///
/// Cost: n³/3 (Cholesky) + 2n²C + n²m (means and variances) once; O(m·S·C) per probability estimate.
public struct OneHotRegressionClassifier: Sendable {
    /// How σ² is treated.
    public enum OutputScale: Sendable, Equatable {
        /// σ² ~ IG(α, β): the Student-t process.
        case studentT(alpha: Double, beta: Double)
        /// σ² fixed: the NNGP (Gaussian process).
        case gaussian(sigma2: Double)
    }

    /// Number of classes C.
    public let classCount: Int
    /// Number of training points n.
    public let trainCount: Int
    /// The σ² treatment.
    public let scale: OutputScale
    /// Q = Σ_c y_cᵀ(K + εI)⁻¹y_c.
    public let quadraticForm: Double
    /// log p(Y) (shared σ², C columns): the Student-t evidence of `StudentTEvidence` or the Gaussian
    /// −(nC/2) log(2πσ²) − (C/2) log det(K + εI) − Q/(2σ²).
    public let logMarginalLikelihood: Double
    /// μ = K_*D(K + εI)⁻¹Y, m × C.
    public let predictiveMean: Matrix
    /// Cᵢᵢ = k(x*ᵢ, x*ᵢ) − k*ᵢᵀ(K + εI)⁻¹k*ᵢ per test point (clamped at 0 against round-off).
    public let conditionalVariance: [Double]

    /// Condition on labelled training data and locate the test points.
    /// - Parameters:
    ///   - trainKernel: K, n × n.
    ///   - labels: n class indices in 0..<classCount.
    ///   - jitter: ε > 0.
    ///   - testTrainKernel: K_*D, m × n.
    ///   - testKernelDiagonal: k(x*ᵢ, x*ᵢ), m values.
    /// - Throws: `ScaleMixtureError.domain` (labels out of range, fewer than 2 classes, ε ≤ 0, bad
    ///   α/β/σ², non-finite kernels), `.shapeMismatch`, `.notPositiveDefinite`.
    public init(trainKernel: Matrix, labels: [Int], classCount: Int, jitter: Double, scale: OutputScale,
                testTrainKernel: Matrix, testKernelDiagonal: [Double]) throws {
        let n = labels.count, m = testKernelDiagonal.count
        guard classCount >= 2 else { throw ScaleMixtureError.domain("classification needs at least 2 classes, got \(classCount)") }
        if let bad = labels.first(where: { !(0..<classCount).contains($0) }) {
            throw ScaleMixtureError.domain("label \(bad) is outside 0..<\(classCount)")
        }
        guard trainKernel.rows == n, trainKernel.columns == n, n > 0 else {
            throw ScaleMixtureError.shapeMismatch("train kernel is \(trainKernel.rows)×\(trainKernel.columns) for \(n) labels")
        }
        guard testTrainKernel.rows == m, testTrainKernel.columns == n else {
            throw ScaleMixtureError.shapeMismatch("test–train kernel is \(testTrainKernel.rows)×\(testTrainKernel.columns) for \(m) test and \(n) training points")
        }
        guard jitter > 0, jitter.isFinite else { throw ScaleMixtureError.domain("jitter ε must be finite and > 0, got \(jitter)") }
        switch scale {
        case let .studentT(a, b): _ = try ScalePrior.inverseGamma(shape: a, scale: b).validated()
        case let .gaussian(s2):
            guard s2 > 0, s2.isFinite else { throw ScaleMixtureError.domain("σ² must be finite and > 0, got \(s2)") }
        }
        guard trainKernel.isFinite, testTrainKernel.isFinite, testKernelDiagonal.allSatisfy(\.isFinite) else {
            throw ScaleMixtureError.domain("kernel matrices contain NaN or infinite values")
        }
        var a = trainKernel
        a.addToDiagonal(jitter)
        let chol: Cholesky
        do { chol = try Cholesky(a, jitter: .none) } catch {
            throw ScaleMixtureError.notPositiveDefinite("K + εI is not positive definite with ε = \(jitter); increase the jitter ε")
        }
        let y = Matrix(rows: n, columns: classCount) { i, c in labels[i] == c ? 1 : 0 }
        let w = chol.solve(y)
        var q = 0.0
        for i in y.storage.indices { q += y.storage[i] * w.storage[i] }
        let bigN = Double(n * classCount), cd = Double(classCount)
        switch scale {
        case let .studentT(alpha, beta):
            logMarginalLikelihood = try logGammaRatio(alpha, plus: bigN / 2) - 0.5 * bigN * log(2 * Double.pi)
                - 0.5 * cd * chol.logDeterminant - (alpha + bigN / 2) * log(beta + q / 2) + alpha * log(beta)
        case let .gaussian(s2):
            logMarginalLikelihood = -0.5 * bigN * log(2 * Double.pi * s2) - 0.5 * cd * chol.logDeterminant - 0.5 * q / s2
        }
        self.classCount = classCount
        trainCount = n
        self.scale = scale
        quadraticForm = q
        predictiveMean = BLAS.matmul(testTrainKernel, w)
        let white = chol.solveLower(testTrainKernel.transposed)   // L⁻¹K_D*, n × m
        conditionalVariance = (0..<m).map { i in
            var s = 0.0
            for r in 0..<n { let v = white.storage[r + i * n]; s += v * v }
            return Swift.max(testKernelDiagonal[i] - s, 0)
        }
    }

    /// The posterior IG(α + nC/2, β + Q/2) of σ² (nil for `.gaussian`).
    public var posteriorSigma2: (shape: Double, scale: Double)? {
        guard case let .studentT(alpha, beta) = scale else { return nil }
        return (alpha + Double(trainCount * classCount) / 2, beta + quadraticForm / 2)
    }

    /// 2α + nC, the degrees of freedom of the predictive t (nil for `.gaussian`).
    public var degreesOfFreedom: Double? { posteriorSigma2.map { 2 * $0.shape } }

    /// The σ² multiplying Cᵢᵢ in the predictive scale: (β + Q/2)/(α + nC/2) or the fixed σ².
    public var scaleMultiplier: Double {
        switch scale {
        case let .studentT(alpha, beta):
            let bigN = Double(trainCount * classCount)
            return (beta + quadraticForm / 2) / (alpha + bigN / 2)
        case let .gaussian(s2): return s2
        }
    }

    /// P(argmax_c f*_{i,c} = c) for every test point, m × C, by Monte Carlo: S draws per point of
    /// σ² ~ IG(posterior) (or the fixed σ²) and z ~ N(0, I_C), f = μᵢ + √(σ²Cᵢᵢ) z, each counted for its
    /// argmax; reported as (count + ½)/(S + C/2) (the Jeffreys-smoothed frequency, so no probability is
    /// 0 and the negative log likelihood of a point is at most log(2S + C)). Monte-Carlo standard error
    /// ≈ √(p(1−p)/S). Same seed, same result. O(m·S·C).
    /// - Throws: `ScaleMixtureError.domain` for samples < 1.
    public func classProbabilities(samples: Int, seed: UInt64) throws -> Matrix {
        guard samples >= 1 else { throw ScaleMixtureError.domain("class probabilities need at least 1 sample, got \(samples)") }
        var g = SeededGenerator(seed: seed)
        let m = conditionalVariance.count, c = classCount
        var p = Matrix(rows: m, columns: c)
        let posterior = posteriorSigma2
        let fixed = scaleMultiplier
        var counts = [Int](repeating: 0, count: c)
        for i in 0..<m {
            for k in 0..<c { counts[k] = 0 }
            for _ in 0..<samples {
                let s2 = try posterior.map { 1 / (try g.gamma(shape: $0.shape, scale: 1 / $0.scale)) } ?? fixed
                let sd = (s2 * conditionalVariance[i]).squareRoot()
                var best = 0, bestValue = -Double.infinity
                for k in 0..<c {
                    let f = predictiveMean[i, k] + sd * g.standardNormal()
                    if f > bestValue { bestValue = f; best = k }
                }
                counts[best] += 1
            }
            let denominator = Double(samples) + 0.5 * Double(c)
            for k in 0..<c { p[i, k] = (Double(counts[k]) + 0.5) / denominator }
        }
        return p
    }

    /// Accuracy (fraction whose most probable class is the label; ties to the lowest index) and mean
    /// negative log likelihood −(1/m) Σ log pᵢ(labelᵢ) of class probabilities (m × C). O(mC).
    /// Precondition: one label in 0..<C per row.
    public static func score(probabilities p: Matrix, labels: [Int]) -> (accuracy: Double, negativeLogLikelihood: Double) {
        precondition(p.rows == labels.count, "\(p.rows) probability rows for \(labels.count) labels")
        var correct = 0, nll = 0.0
        for i in labels.indices {
            precondition((0..<p.columns).contains(labels[i]), "label \(labels[i]) outside 0..<\(p.columns)")
            var best = 0
            for k in 1..<p.columns where p[i, k] > p[i, best] { best = k }
            if best == labels[i] { correct += 1 }
            nll -= log(p[i, labels[i]])
        }
        return (Double(correct) / Double(labels.count), nll / Double(labels.count))
    }
}
