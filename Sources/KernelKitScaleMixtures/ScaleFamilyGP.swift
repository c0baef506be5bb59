import Foundation
import KernelKitLinalg

/// The Gaussian process conditional on the last-layer variance σ², for every σ² at once.
///
/// Model (Lee, Yun, Yang & Lee, "Scale Mixtures of Neural Network Gaussian Processes", ICLR 2022):
/// y | σ² ~ N(0, σ²A) with A = K_DD + εI, and f* | σ², y ~ N(μ, σ²C) with
/// μ = K_*D A⁻¹ y and C = K_** − K_*D A⁻¹ K_D*. Everything a scale prior needs reduces to the
/// scalars n, q = yᵀA⁻¹y and log det A, and to μ and C, which do not depend on σ²: this type
/// computes them once (one Cholesky factorisation) and any prior is then integrated over σ² in O(1)
/// per evaluation.
///
/// K can be any kernel: the NNGP of an architecture (`KernelKitNTK`) or any kernel of
/// `KernelKitCore`, given as matrices. Cost: n³/3 flops to factor A, 2n²m for the m test points'
/// means, n²m + nm² for C.
public struct ScaleFamilyGP: Sendable {
    /// Number of training targets n.
    public let count: Int
    /// The absolute diagonal jitter ε (the observation-noise variance per unit σ²).
    public let jitter: Double
    /// q = yᵀ(K_DD + εI)⁻¹y.
    public let quadraticForm: Double
    /// log det(K_DD + εI).
    public let logDeterminant: Double
    /// μ = K_*D (K_DD + εI)⁻¹ y, the predictive mean for every σ² (empty without test points).
    public let predictiveMean: [Double]
    /// C = K_** − K_*D (K_DD + εI)⁻¹ K_D*, the predictive covariance per unit σ² (nil when no test–test
    /// kernel was given).
    public let conditionalCovariance: Matrix?
    /// diag C (clamped at 0 against round-off), the per-point conditional variance per unit σ².
    public let conditionalVariance: [Double]

    /// Condition on training data.
    /// - Parameters:
    ///   - trainKernel: K_DD, n × n, symmetric (lower triangle read).
    ///   - targets: y, n values.
    ///   - jitter: ε ≥ 0 added to the diagonal (no further jitter is ever added silently).
    ///   - testTrainKernel: K_*D, m × n (optional).
    ///   - testKernel: K_**, m × m (optional; needed for C and the predictive variances).
    /// - Throws: `ScaleMixtureError.shapeMismatch`, `.domain` (ε < 0 or non-finite input),
    ///   `.notPositiveDefinite` when K_DD + εI cannot be factored.
    public init(trainKernel: Matrix, targets: [Double], jitter: Double,
                testTrainKernel: Matrix? = nil, testKernel: Matrix? = nil) throws {
        let n = targets.count
        guard trainKernel.rows == n, trainKernel.columns == n else {
            throw ScaleMixtureError.shapeMismatch("train kernel is \(trainKernel.rows)×\(trainKernel.columns) for \(n) targets")
        }
        guard n > 0 else { throw ScaleMixtureError.shapeMismatch("no training targets") }
        guard jitter >= 0, jitter.isFinite else { throw ScaleMixtureError.domain("jitter ε must be finite and ≥ 0, got \(jitter)") }
        guard trainKernel.isFinite, targets.allSatisfy(\.isFinite) else {
            throw ScaleMixtureError.domain("train kernel or targets contain NaN or infinite values")
        }
        if let kxD = testTrainKernel {
            guard kxD.columns == n else {
                throw ScaleMixtureError.shapeMismatch("test–train kernel has \(kxD.columns) columns for \(n) training points")
            }
            guard kxD.isFinite else { throw ScaleMixtureError.domain("test–train kernel contains NaN or infinite values") }
            if let kxx = testKernel {
                guard kxx.rows == kxD.rows, kxx.columns == kxD.rows else {
                    throw ScaleMixtureError.shapeMismatch("test kernel is \(kxx.rows)×\(kxx.columns) for \(kxD.rows) test points")
                }
                guard kxx.isFinite else { throw ScaleMixtureError.domain("test kernel contains NaN or infinite values") }
            }
        } else if testKernel != nil {
            throw ScaleMixtureError.shapeMismatch("a test kernel needs the test–train kernel too")
        }
        var a = trainKernel
        a.addToDiagonal(jitter)
        let chol: Cholesky
        do {
            chol = try Cholesky(a, jitter: .none)
        } catch {
            throw ScaleMixtureError.notPositiveDefinite(
                "K + εI is not positive definite with ε = \(jitter); increase the jitter ε")
        }
        let yv = Vector(targets)
        let white = chol.solveLower(yv)
        count = n
        self.jitter = jitter
        quadraticForm = BLAS.dot(white, white)
        logDeterminant = chol.logDeterminant
        guard let kxD = testTrainKernel else {
            predictiveMean = []
            conditionalCovariance = nil
            conditionalVariance = []
            return
        }
        predictiveMean = BLAS.matvec(kxD, chol.solve(yv)).elements
        guard var c = testKernel else {
            conditionalCovariance = nil
            conditionalVariance = []
            return
        }
        let w = chol.solveLower(kxD.transposed)   // L⁻¹ K_D*
        BLAS.gemm(.transpose, .none, alpha: -1, w, w, beta: 1, &c)
        conditionalCovariance = c
        conditionalVariance = c.diagonal.elements.map { Swift.max($0, 0) }
    }

    /// log p(y | σ²) = −(n/2) log(2πσ²) − ½ log det A − q/(2σ²), the Gaussian log likelihood at
    /// one value of the last-layer variance. O(1). Returns −∞ for σ² = 0 when q > 0.
    public func logLikelihood(sigma2: Double) -> Double {
        let n = Double(count)
        if sigma2 == 0 { return quadraticForm > 0 ? -.infinity : .infinity }
        return -0.5 * n * log(2 * Double.pi * sigma2) - 0.5 * logDeterminant - 0.5 * quadraticForm / sigma2
    }

    /// log N(y*ᵢ; μᵢ, σ²·vᵢ) for test point i, with vᵢ = Cᵢᵢ + ε (`noisy`, a noisy target) or Cᵢᵢ.
    /// O(1). Requires test variances (precondition).
    public func logPointDensity(_ yStar: Double, at i: Int, sigma2: Double, noisy: Bool) -> Double {
        let v = sigma2 * pointVariance(i, noisy: noisy)
        let r = yStar - predictiveMean[i]
        return -0.5 * (log(2 * Double.pi * v) + r * r / v)
    }

    /// Cᵢᵢ + ε (noisy) or Cᵢᵢ: the per-unit-σ² variance of test point i's target or latent value.
    public func pointVariance(_ i: Int, noisy: Bool) -> Double {
        precondition(i < conditionalVariance.count, "test point \(i): no test variances (pass the test kernel)")
        return conditionalVariance[i] + (noisy ? jitter : 0)
    }
}
