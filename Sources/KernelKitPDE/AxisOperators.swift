import Foundation
import KernelKitLinalg

/// The kernel matrices and GP derivative operators of one axis of a tensor grid.
///
/// With the stationary 1-D kernel k on the uniform grid x₁…x_n (Toeplitz matrices, built from the
/// n lags (i − j)h):
///   K  = [k(xᵢ − xⱼ)] + εI          (ε the jitter; the GP-HM code's 1e-6),
///   K₁ = [k′(xᵢ − xⱼ)] = cov(u′(xᵢ), u(xⱼ)),   K₂ = [k″(xᵢ − xⱼ)] = cov(u″(xᵢ), u(xⱼ))   (no jitter),
///   D₁ = K₁ K⁻¹,  D₂ = K₂ K⁻¹:  the GP conditional mean of u′ and u″ at the grid given u there.
/// Also K⁻¹ and log det K from the Cholesky factor.
/// D₁, D₂ are formed by Cholesky solves, D₁ = −(K⁻¹K₁)ᵀ and D₂ = (K⁻¹K₂)ᵀ, not as products with the
/// explicit inverse: learned kernels with weights up to ~1e4 over the absolute jitter 1e-6 reach
/// cond(K) ≈ 1e12–1e13, where the product with the explicit inverse missed DK = K₂ by up to 1.5e-4
/// relative (‖DK − K₂‖/‖K₂‖, kernel learned on poisson1d-sin500, cond 8e12; 4e-5 on allencahn1d-sincos)
/// against ≤ 4e-14 for the solves. That operator error was most of allencahn1d-sincos' error (5.6e-4;
/// 5.6e-5 with the solves for the same learned kernel, NumPy check), and it stopped the learning early
/// on four of the seven 1-D benchmarks (line searches failing: objective inconsistent with its gradient).
/// Cost: O(n Q) kernel evaluations (Toeplitz: one per lag), one Cholesky, one inverse and two n × n
/// triangular-solve pairs, O(n³).
public struct AxisOperators: Sendable {
    /// The grid of this axis.
    public let grid: UniformGrid
    /// The kernel of this axis.
    public let kernel: SpectralMixtureKernel
    /// The diagonal jitter ε in K.
    public let jitter: Double
    /// K (with jitter).
    public let gram: Matrix
    /// K₁ = [k′(xᵢ − xⱼ)] (antisymmetric).
    public let firstDerivativeCovariance: Matrix
    /// K₂ = [k″(xᵢ − xⱼ)] (symmetric).
    public let secondDerivativeCovariance: Matrix
    /// K⁻¹.
    public let inverseGram: Matrix
    /// D₁ = K₁ K⁻¹ (u′ at the grid ≈ D₁ u).
    public let firstDerivative: Matrix
    /// D₂ = K₂ K⁻¹ (u″ at the grid ≈ D₂ u).
    public let secondDerivative: Matrix
    /// log det K (from its Cholesky factor).
    public let logDeterminant: Double

    /// Builds the operators.
    /// - Throws: `PDEError.notPositiveDefinite` when K is not numerically positive definite (increase
    ///   the jitter or reduce the weights' range); `PDEError.nonFinite` for non-finite kernel values.
    public init(grid: UniformGrid, kernel: SpectralMixtureKernel, jitter: Double) throws {
        let n = grid.count, h = grid.spacing
        var lags = [KernelDerivatives]()
        lags.reserveCapacity(n)
        for l in 0..<n { lags.append(kernel.derivatives(at: Double(l) * h)) }
        guard lags.allSatisfy({ $0.value.isFinite && $0.first.isFinite && $0.second.isFinite }) else {
            throw PDEError.nonFinite("kernel values on the grid (parameters out of range)")
        }
        var k = Matrix(rows: n, columns: n), k1 = Matrix(rows: n, columns: n), k2 = Matrix(rows: n, columns: n)
        k.storage.withUnsafeMutableBufferPointer { kp in
            k1.storage.withUnsafeMutableBufferPointer { k1p in
                k2.storage.withUnsafeMutableBufferPointer { k2p in
                    for j in 0..<n {
                        for i in 0..<n {
                            let l = lags[abs(i - j)]
                            kp[i + j * n] = l.value
                            k1p[i + j * n] = i >= j ? l.first : -l.first
                            k2p[i + j * n] = l.second
                        }
                    }
                }
            }
        }
        k.addToDiagonal(jitter)
        let chol: Cholesky
        do { chol = try Cholesky(k, jitter: .none) } catch {
            throw PDEError.notPositiveDefinite("the kernel matrix of a grid axis (n = \(n)) is not positive definite with jitter \(jitter); increase the jitter")
        }
        let inverse = chol.inverse()
        self.grid = grid
        self.kernel = kernel
        self.jitter = jitter
        self.gram = k
        self.firstDerivativeCovariance = k1
        self.secondDerivativeCovariance = k2
        self.inverseGram = inverse
        // D₁ = K₁K⁻¹ = −(K⁻¹K₁)ᵀ (K₁ antisymmetric), D₂ = K₂K⁻¹ = (K⁻¹K₂)ᵀ (K₂ symmetric).
        var d1 = chol.solve(k1).transposed
        for i in d1.storage.indices { d1.storage[i] = -d1.storage[i] }
        self.firstDerivative = d1
        self.secondDerivative = chol.solve(k2).transposed
        self.logDeterminant = chol.logDeterminant
    }

    /// The cross-covariance [k(x*ᵢ − xⱼ)] (m × n) between `points` and this axis' grid; times K⁻¹ it is
    /// the GP interpolation matrix, u(x*) = k(x*, X) K⁻¹ u.
    public func crossCovariance(to points: [Double]) -> Matrix {
        let n = grid.count
        var cross = Matrix(rows: points.count, columns: n)
        for (i, point) in points.enumerated() {
            // Lags x*ᵢ − xⱼ = (x*ᵢ − x₀) − j h.
            let row = kernel.values(start: point - grid.lower, step: -grid.spacing, count: n)
            for j in 0..<n { cross[i, j] = row[j] }
        }
        return cross
    }
}
