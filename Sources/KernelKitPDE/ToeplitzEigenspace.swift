import Foundation
import KernelKitLinalg

/// The numerically significant eigenspace of the jitter-free Gram matrix K₀ = [k(xᵢ − xⱼ)] on a fine
/// uniform grid: Ritz pairs (Q, D), Q an N × r matrix with orthonormal columns and K₀Q ≈ QD, that
/// capture every eigenvalue of K₀ above `threshold` (τε with ε the jitter).
///
/// Why it exists. A fine grid oversamples a spectral-mixture kernel by orders of magnitude: K₀ has
/// only r ≪ N eigenvalues above the jitter (r ≈ the number of DFT bins where the kernel's periodised
/// symbol exceeds τε, Szegő's theorem: 70–310 for the learned kernels of the 1-D benchmark problems at
/// N = 1e5, τ = 1e-4), the rest of K = K₀ + εI is ε times the identity to relative accuracy τ. The
/// boundary behaviour that defeats circulant preconditioners lives in Q, and is kept exactly.
///
/// Method: randomized range finder (Halko, Martinsson & Tropp, SIAM Review 53(2), 2011, Alg. 4.1)
/// with s = 2r̂ + 20 Gaussian test vectors (r̂ the Szegő count), Y = K₀Ω by FFT products; the
/// left singular vectors of Y with σᵢ ≥ max(0.1·τε·√s, 1e-13σ₁) span the range (a direction of
/// eigenvalue λ appears in Y with σ ≈ λ‖Ωᵀq‖ ≈ λ√s; the second bound is the FFT round-off floor);
/// if every column is kept the sample was too small and s doubles (once). Then Rayleigh–Ritz: QᵀK₀Q = VDVᵀ, Q ← QV. Deterministic (fixed
/// seed). Cost: 2s products with K₀ (O(L log L) each, L ≈ 2N), an N × s SVD (O(N s²)), O(N r²) for
/// Rayleigh–Ritz; memory O(N s).
struct ToeplitzEigenspace: Sendable {
    /// Q: N × r, orthonormal columns (Ritz vectors of K₀).
    let basis: Matrix
    /// D: the Ritz values of K₀ (without jitter, clipped at 0), one per column of Q.
    let values: [Double]

    /// The dimension r.
    var dimension: Int { values.count }

    /// - Parameters:
    ///   - count: N.
    ///   - estimatedDimension: r̂, the Szegő count of symbol values above the threshold.
    ///   - threshold: τε; eigenvalues of K₀ below it are left out.
    ///   - applyKernel: v ↦ K₀v.
    /// - Throws: `PDEError.nonFinite` when K₀'s products are not finite; `PDEError.solverFailed` when
    ///   LAPACK's SVD or eigensolver fails.
    init(count n: Int, estimatedDimension: Int, threshold: Double, applyKernel: ([Double]) -> [Double]) throws {
        var samples = min(n, 2 * estimatedDimension + 20)
        var rng = SeededGenerator(seed: 0x5eed_0f_70e9)
        var range = Matrix(rows: n, columns: 0)
        for attempt in 0..<2 {
            var y = Matrix(rows: n, columns: samples)
            for j in 0..<samples {
                let column = applyKernel((0..<n).map { _ in rng.standardNormal() })
                y.storage.replaceSubrange(j * n..<(j + 1) * n, with: column)
            }
            guard y.isFinite else { throw PDEError.nonFinite("the kernel's Gram products on the grid") }
            let svd: SVD
            do { svd = try SVD(y) } catch {
                throw PDEError.solverFailed("the SVD of the kernel's range sample failed: \(error)")
            }
            // The cut, but never below FFT round-off: products carry ≈ 1e-15‖K₀‖‖ω‖ absolute error.
            let largest = svd.singularValues.elements.first ?? 0
            let cut = Swift.max(0.1 * threshold * Double(samples).squareRoot(), 1e-13 * largest)
            let kept = svd.singularValues.elements.prefix { $0 >= cut }.count
            range = svd.u.columns(0..<kept)
            if kept < samples || samples == n || attempt == 1 { break }
            samples = min(n, 2 * samples)
        }
        let r = range.columns
        guard r > 0 else {
            self.basis = range
            self.values = []
            return
        }
        var image = Matrix(rows: n, columns: r)
        for j in 0..<r {
            image.storage.replaceSubrange(j * n..<(j + 1) * n, with: applyKernel(Array(range.storage[j * n..<(j + 1) * n])))
        }
        var projected = BLAS.matmul(range, image, .transpose)
        projected.symmetrizeByAveraging()
        let eigen: SymmetricEigen
        do { eigen = try SymmetricEigen(projected) } catch {
            throw PDEError.solverFailed("the Rayleigh–Ritz eigenproblem of the kernel's range failed: \(error)")
        }
        self.basis = BLAS.matmul(range, eigen.eigenvectors)
        self.values = eigen.eigenvalues.elements.map { max(0, $0) }
    }

    /// Qᵀv (length r). 2Nr flops.
    func project(_ v: [Double]) -> [Double] {
        guard dimension > 0 else { return [] }
        return BLAS.matvec(basis, Vector(v), .transpose).elements
    }

    /// y + Q c (c of length r). 2Nr flops.
    func addExpansion(_ c: [Double], to y: inout [Double]) {
        guard dimension > 0 else { return }
        var result = Vector(y)
        BLAS.gemv(.none, basis, Vector(c), beta: 1, &result)
        y = result.elements
    }

    /// Q(D + εI)⁻¹Qᵀr + (I − QQᵀ)r/ε: (K₀ + εI)⁻¹r up to the eigenvalues of K₀ left out (< τε), i.e.
    /// to relative accuracy ≈ τ. 4Nr + O(N) flops.
    func approximateInverse(_ r: [Double], jitter: Double) -> [Double] {
        var y = r.map { $0 / jitter }
        let c = project(r)
        addExpansion((0..<c.count).map { c[$0] * (1 / (values[$0] + jitter) - 1 / jitter) }, to: &y)
        return y
    }

    /// The Szegő estimate of the number of eigenvalues of K above (1 + τ)ε: the DFT bins (each
    /// interior rfft bin counted twice, for its cosine and sine) where the periodised symbol λ_K
    /// (jitter included) exceeds (1 + τ)ε.
    static func estimatedDimension(symbol: [Double], count n: Int, jitter: Double, relativeThreshold tau: Double) -> Int {
        var total = 0
        for j in symbol.indices where symbol[j] - jitter > tau * jitter {
            total += (j == 0 || (n % 2 == 0 && j == n / 2)) ? 1 : 2
        }
        return total
    }
}
