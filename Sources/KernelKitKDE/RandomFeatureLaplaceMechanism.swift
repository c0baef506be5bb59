import Foundation
import KernelKitLinalg

/// The ε-differentially-private random-Fourier-feature baseline for the Gaussian kernel mean
/// K(y) = (1/n) Σᵢ exp(−‖y − xᵢ‖²/(2h²)).
///
/// Features (Rahimi & Recht 2007): z(x)ⱼ = √2 cos(wⱼ·x + bⱼ), j = 1…D, with wⱼ ~ N(0, I/h²) and
/// bⱼ ~ U(0, 2π), so E[z(x)·z(y)]/D = exp(−‖x − y‖²/(2h²)). Release: m̃ = (1/n) Σᵢ z(xᵢ) + (L₁, …, L_D)
/// with Lⱼ iid Laplace(0, b); a query returns K̂(y) = ⟨m̃, z(y)⟩/D.
///
/// Sensitivity (substitution neighbours, n public): replacing xₖ by xₖ' changes m by
/// (z(xₖ') − z(xₖ))/n, and each coordinate of z lies in [−√2, √2], so
/// Δ₁ = sup ‖m − m'‖₁ ≤ D · 2√2/n. The Laplace mechanism with b = Δ₁/ε releases m̃ under ε-DP
/// (Dwork, McSherry, Nissim, Smith 2006); W and b are data-independent, and every query answer is
/// post-processing of (W, b, m̃), so any number of queries costs no further privacy.
/// The noise part of K̂(y) has standard deviation ≈ b·√(2/D) = 4√D/(εn).
///
/// Draw order for a seed (reproducible): W as d × D normals (column-major: the d coordinates of w₁,
/// then w₂, …) scaled by 1/h, then the D phases, then the D Laplace draws, all from one
/// `SeededGenerator(seed:)`. Laplace(0, b) is drawn by inversion, −b·sgn(u)·log(1 − 2|u|) with
/// u = U − ½, U ~ Uniform(0, 1) open.
///
/// Complexity: O(n D d) to release, O(m D d) for m queries; memory O(D d).
///
/// Source: Backurs, Lin, Mahabadi, Silwal, Tarnawski, "Efficiently Computing Similarities to Private
/// Datasets", ICLR 2024 (this is the baseline they improve on); A. Rahimi, B. Recht, "Random features
/// for large-scale kernel machines", NeurIPS 2007. Specification: dpkde_small.json `rff_mechanism`.
public struct RandomFeatureLaplaceMechanism: Sendable {
    /// Frequencies W (d × D), column j = wⱼ ~ N(0, I/h²).
    public let frequencies: Matrix
    /// Phases bⱼ ~ U(0, 2π).
    public let phases: [Double]
    /// The released noisy mean embedding m̃ (length D).
    public let noisyMeanEmbedding: [Double]
    /// The privacy parameter ε.
    public let epsilon: Double
    /// The Gaussian bandwidth h.
    public let bandwidth: Double
    /// The Laplace scale b = Δ₁/ε = 2√2 D/(n ε).
    public let noiseScale: Double

    /// The feature count D* = max(1, round(εn/(4√2))) that minimises the approximate mean squared error
    ///
    ///     MSE(D) ≈ 16 D/(εn)² + v/D,
    ///
    /// the first term the Laplace noise variance b²·2/D with b = 2√2 D/(nε) (see the type's
    /// documentation), the second the random-feature variance with v ≈ ½ (Var[2 cos(w·x + b) cos(w·y + b)]
    /// = ½(1 + k(2(x − y))) − k(x − y)², about ½ away from the data). Minimising gives D* = √v·εn/4. It
    /// depends only on public quantities (n, ε). O(1).
    public static func tunedFeatureCount(count n: Int, epsilon: Double) -> Int {
        Swift.max(1, Int((epsilon * Double(n) / (4 * 2.0.squareRoot())).rounded()))
    }

    /// Releases m̃ for `data` (n × d) with D = `features` random features under ε-DP.
    /// - Throws: `KernelDensityError.emptyData`, `.nonFinite`, `.invalidBandwidth`, `.invalidEpsilon`,
    ///   `.invalidParameter` for features < 1.
    public init(data: Matrix, bandwidth h: Double, features: Int, epsilon: Double,
                seed: UInt64) throws(KernelDensityError) {
        try KernelDensity.validate(data: data)
        guard h.isFinite, h > 0 else { throw .invalidBandwidth(h) }
        guard epsilon.isFinite, epsilon > 0 else { throw .invalidEpsilon(epsilon) }
        guard features >= 1 else { throw .invalidParameter("features must be ≥ 1, got \(features)") }
        let (n, d, dd) = (data.rows, data.columns, features)
        var g = SeededGenerator(seed: seed)
        var w = g.normalMatrix(rows: d, columns: dd)
        for k in w.storage.indices { w.storage[k] /= h }
        let b = (0..<dd).map { _ in 2 * Double.pi * g.uniform() }
        let z = RandomFeatureLaplaceMechanism.features(data, frequencies: w, phases: b)
        var mean = [Double](repeating: 0, count: dd)
        for j in 0..<dd {
            var s = 0.0
            for i in 0..<n { s += z.storage[i + j * n] }
            mean[j] = s / Double(n)
        }
        let scale = 2 * 2.0.squareRoot() * Double(dd) / (Double(n) * epsilon)
        for j in 0..<dd {
            let u = g.uniformOpen() - 0.5
            mean[j] += -scale * (u < 0 ? -1 : 1) * Foundation.log(1 - 2 * Swift.abs(u))
        }
        frequencies = w
        phases = b
        noisyMeanEmbedding = mean
        self.epsilon = epsilon
        bandwidth = h
        noiseScale = scale
    }

    /// K̂(y) = ⟨m̃, z(y)⟩/D at each query row (an unbiased but noisy estimate of the kernel mean; it
    /// can leave [0, 1]). O(m D d).
    /// - Throws: `KernelDensityError.dimensionMismatch`, `.nonFinite`.
    public func kernelMean(at queries: Matrix) throws(KernelDensityError) -> [Double] {
        guard queries.columns == frequencies.rows else {
            throw .dimensionMismatch(expected: frequencies.rows, got: queries.columns)
        }
        guard queries.isFinite else { throw .nonFinite(what: "queries") }
        let z = RandomFeatureLaplaceMechanism.features(queries, frequencies: frequencies, phases: phases)
        let estimate = BLAS.matvec(z, Vector(noisyMeanEmbedding))
        let dd = Double(phases.count)
        return estimate.elements.map { $0 / dd }
    }

    /// The normalised density estimate K̂(y)/(2πh²)^{d/2}. O(m D d).
    /// - Throws: as `kernelMean(at:)`.
    public func density(at queries: Matrix) throws(KernelDensityError) -> [Double] {
        let c = DensityKernel.gaussian.normalization(dimension: frequencies.rows) / Foundation.pow(bandwidth, Double(frequencies.rows))
        return try kernelMean(at: queries).map { $0 * c }
    }

    /// Z = √2 cos(X W + 1 bᵀ) (n × D), the cross term by one GEMM.
    private static func features(_ x: Matrix, frequencies w: Matrix, phases b: [Double]) -> Matrix {
        var z = BLAS.matmul(x, w)
        let n = x.rows
        let root2 = 2.0.squareRoot()
        for j in 0..<b.count {
            for i in 0..<n { z.storage[i + j * n] = root2 * Foundation.cos(z.storage[i + j * n] + b[j]) }
        }
        return z
    }
}
