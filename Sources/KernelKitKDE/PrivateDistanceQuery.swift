import Foundation
import KernelKitLinalg

/// ε-differentially-private mean distances D(y) = (1/n) Σᵢ ‖xᵢ − y‖ for the ℓ₁ or ℓ₂ norm, answering any
/// number of later queries y ∈ ℝᵈ, by one-dimensional decompositions (Backurs et al., ICLR 2024, §4).
///
/// **Assumptions.** A public box B contains the data (points are clamped into B first); n is public;
/// neighbouring datasets differ by substituting one point; pure ε-DP.
///
/// **One-dimensional building block.** For values tᵢ ∈ [a, b] on a grid of G equally spaced nodes gₖ
/// (spacing Δ = (b − a)/(G − 1)), linear binning gives counts cₖ = Σᵢ wₖ(tᵢ) with wₖ ≥ 0, Σₖ wₖ = 1, and
/// (1/n) Σₖ cₖ |gₖ − s| equals (1/n) Σᵢ |tᵢ − s| except for points in the cell that contains s, where the
/// linear interpolant of |· − s| exceeds it by at most 2(s − gₖ)(gₖ₊₁ − s)/Δ ≤ Δ/2. So the binning bias is
/// at most (Δ/2)·(fraction of points in s's cell) ≤ Δ/2, and it is zero for s outside [a, b].
///
/// **ℓ₁** (`.l1`): ‖x − y‖₁ = Σⱼ |xⱼ − yⱼ|, one histogram per coordinate on [lowerⱼ, upperⱼ]. Substituting
/// one point changes each of the d histograms by an L1 amount ≤ 2 (previous paragraph's weights), so the
/// concatenated counts have Δ₁ = 2d and are released with Laplace(0, 2d/ε) noise per count.
///
/// **ℓ₂** (`.l2`): for θ uniform on the unit sphere S^{d−1} and any v ∈ ℝᵈ,
///
///     E_θ |⟨θ, v⟩| = ‖v‖₂ / c_d,   c_d = √π Γ((d + 1)/2) / Γ(d/2)
///
/// (c₁ = 1, c₂ = π/2; from the density ∝ (1 − t²)^{(d−3)/2} of ⟨θ, e₁⟩). With k public random directions
/// θ₁…θ_k (drawn from the seed, independent of the data) the projections ⟨θₗ, x − o⟩ lie in [−R, R]
/// (o the box centre, R half its diameter), one histogram per direction; Δ₁ = 2k and the Laplace scale
/// is 2k/ε. The answer is c_d · (1/k) Σₗ (1/n) Σₖ c̃ₗₖ |gₖ − ⟨θₗ, y − o⟩|. Its error has a projection part
/// and a noise part growing like √k. In d ≥ 3 the directions are random (relative error O(1/√k)); in
/// d = 2 they are equally spaced angles (the midpoint rule for the average over the circle, error
/// O(1/k²)); in d = 1 one direction is exact. `defaultProjections` balances the parts.
///
/// **Noise.** Each answer's noise part has standard deviation (b/n)·√(2 Σ |gₖ − s|²) per histogram,
/// b the Laplace scale — O(d^{3/2}·side·√G/(εn)) for ℓ₁ — so the error shrinks like 1/(εn). Answers are
/// clamped to [0, ∞) (post-processing).
///
/// Default grid: G = max(3, ⌈(εn/d)^{2/5}⌉) nodes, balancing the √G noise against the Δ/2 bias.
///
/// Complexity: O(n d G) release (O(n d k) for ℓ₂ projections), O(d G) (ℓ₁) or O(k (d + G)) (ℓ₂) per query.
///
/// Source: A. Backurs, Z. Lin, S. Mahabadi, S. Silwal, J. Tarnawski, "Efficiently computing similarities
/// to private datasets", ICLR 2024 (one-dimensional decompositions of ℓ₁ and, through random
/// projections, ℓ₂ distance queries); the Laplace mechanism of Dwork et al. (TCC 2006).
public struct PrivateDistanceQuery: Sendable {
    /// Which distance.
    public enum Norm: String, Sendable, CaseIterable {
        /// ‖v‖₁ = Σⱼ |vⱼ|.
        case l1
        /// ‖v‖₂ = √(Σⱼ vⱼ²).
        case l2
    }

    /// The norm.
    public let norm: Norm
    /// The public box.
    public let domain: BoundingBox
    /// ε.
    public let epsilon: Double
    /// n (public).
    public let count: Int
    /// Grid nodes G per one-dimensional histogram.
    public let nodes: Int
    /// The Laplace scale b = 2d/ε (ℓ₁) or 2k/ε (ℓ₂) on every count.
    public let noiseScale: Double
    /// The projection directions θ (d × k, unit columns); empty (d × 0) for ℓ₁.
    public let directions: Matrix
    /// Released noisy counts, one array of G per histogram (d for ℓ₁, k for ℓ₂).
    public let noisyCounts: [[Double]]
    /// Grid ranges [a, b] of the histograms.
    let ranges: [(Double, Double)]

    /// The default number of projections k for ℓ₂: 1 in d = 1 (ℓ₂ = ℓ₁); ⌈2(εn)^{1/5}⌉ in d = 2, where the
    /// directions are the midpoint rule in the angle (quadrature error O(1/k²) for the kinked |cos|,
    /// balanced against noise ∝ √k); ⌈√(εn)/2⌉ capped to [1, 256] in d ≥ 3 (random directions, Monte-Carlo
    /// error O(1/√k)). Public quantities only. O(1).
    public static func defaultProjections(dimension d: Int, epsilonN en: Double) -> Int {
        switch d {
        case ...1: return 1
        case 2: return Swift.max(2, Int((2 * Foundation.pow(en, 0.2)).rounded(.up)))
        default: return Swift.min(256, Swift.max(1, Int((en.squareRoot() / 2).rounded(.up))))
        }
    }

    /// c_d = √π Γ((d + 1)/2)/Γ(d/2), so that ‖v‖₂ = c_d E_θ|⟨θ, v⟩| for θ uniform on S^{d−1}. O(1).
    public static func sphericalProjectionConstant(dimension d: Int) -> Double {
        precondition(d >= 1, "dimension must be ≥ 1")
        return Foundation.exp(0.5 * Foundation.log(Double.pi) + Foundation.lgamma((Double(d) + 1) / 2) - Foundation.lgamma(Double(d) / 2))
    }

    /// Releases the sketch of `data` (n × d) under ε-DP. `nodes` and `projections` default to the rules in
    /// the type's documentation.
    /// - Throws: `KernelDensityError.emptyData`, `.nonFinite`, `.invalidEpsilon`, `.dimensionMismatch`
    ///   (data vs box), `.invalidParameter` for nodes < 2 or projections < 1.
    public init(data: Matrix, domain: BoundingBox, norm: Norm, epsilon: Double, nodes: Int? = nil,
                projections: Int? = nil, seed: UInt64) throws(KernelDensityError) {
        try KernelDensity.validate(data: data)
        guard epsilon.isFinite, epsilon > 0 else { throw .invalidEpsilon(epsilon) }
        let (n, d) = (data.rows, data.columns)
        guard domain.dimension == d else { throw .dimensionMismatch(expected: domain.dimension, got: d) }
        let en = epsilon * Double(n)
        let g = nodes ?? Swift.max(3, Int(Foundation.pow(en / Double(d), 0.4).rounded(.up)))
        guard g >= 2 else { throw .invalidParameter("a histogram needs at least 2 nodes, got \(g)") }
        var generator = SeededGenerator(seed: seed)
        var values: [[Double]] = []
        var ranges: [(Double, Double)] = []
        var theta = Matrix(rows: d, columns: 0)
        switch norm {
        case .l1:
            for j in 0..<d {
                values.append((0..<n).map { domain.clamp(data.storage[$0 + j * n], axis: j) })
                ranges.append((domain.lower[j], domain.upper[j]))
            }
        case .l2:
            let k = projections ?? PrivateDistanceQuery.defaultProjections(dimension: d, epsilonN: en)
            guard k >= 1 else { throw .invalidParameter("projections must be ≥ 1, got \(k)") }
            if d <= 2 {
                // Midpoint rule in the angle: θₗ = (cos φₗ, sin φₗ), φₗ = π(l + ½)/k (d = 1: θ = 1).
                theta = Matrix(rows: d, columns: k) { j, l in
                    d == 1 ? 1 : (j == 0 ? Foundation.cos(Double.pi * (Double(l) + 0.5) / Double(k))
                                         : Foundation.sin(Double.pi * (Double(l) + 0.5) / Double(k)))
                }
            } else {
                theta = generator.normalMatrix(rows: d, columns: k)
            }
            for l in 0..<k {
                var norm2 = 0.0
                for j in 0..<d { norm2 += theta[j, l] * theta[j, l] }
                let s = 1 / norm2.squareRoot()
                for j in 0..<d { theta[j, l] *= s }
            }
            let centred = Matrix(rows: n, columns: d) { i, j in
                domain.clamp(data.storage[i + j * n], axis: j) - (domain.lower[j] + domain.upper[j]) / 2
            }
            let projected = BLAS.matmul(centred, theta)
            let radius = domain.diameter / 2
            for l in 0..<k {
                values.append(Array(projected.storage[(l * n)..<((l + 1) * n)]))
                ranges.append((-radius, radius))
            }
        }
        let b = 2 * Double(values.count) / epsilon
        self.noisyCounts = zip(values, ranges).map { v, r in
            var c = PrivateDistanceQuery.binCounts(v, range: r, nodes: g)
            for k in c.indices { c[k] += laplaceDraw(&generator, scale: b) }
            return c
        }
        self.norm = norm
        self.domain = domain
        self.epsilon = epsilon
        self.count = n
        self.nodes = g
        self.noiseScale = b
        self.directions = theta
        self.ranges = ranges
    }

    /// The exact (non-private) mean distance (1/n) Σᵢ ‖xᵢ − y‖ at each query row (no clamping). O(m n d).
    /// - Throws: `KernelDensityError.dimensionMismatch`.
    public static func exactMeanDistance(data: Matrix, queries: Matrix, norm: Norm) throws(KernelDensityError) -> [Double] {
        guard queries.columns == data.columns else { throw .dimensionMismatch(expected: data.columns, got: queries.columns) }
        let (n, m, d) = (data.rows, queries.rows, data.columns)
        return (0..<m).map { a in
            var total = 0.0
            for i in 0..<n {
                var s = 0.0
                for j in 0..<d {
                    let t = data.storage[i + j * n] - queries.storage[a + j * m]
                    s += norm == .l1 ? Swift.abs(t) : t * t
                }
                total += norm == .l1 ? s : s.squareRoot()
            }
            return total / Double(n)
        }
    }

    /// The private estimate of (1/n) Σᵢ ‖xᵢ − y‖ at each query row, clamped at 0. O(m d G) or O(m k (d + G)).
    /// - Throws: `KernelDensityError.dimensionMismatch`, `.nonFinite`.
    public func meanDistance(to queries: Matrix) throws(KernelDensityError) -> [Double] {
        let d = domain.dimension
        guard queries.columns == d else { throw .dimensionMismatch(expected: d, got: queries.columns) }
        guard queries.isFinite else { throw .nonFinite(what: "queries") }
        let m = queries.rows
        let scale = 1 / Double(count)
        switch norm {
        case .l1:
            return (0..<m).map { a in
                var total = 0.0
                for j in 0..<d { total += oneDimensional(j, at: queries.storage[a + j * m]) }
                return Swift.max(0, total * scale)
            }
        case .l2:
            let k = directions.columns
            let centred = Matrix(rows: m, columns: d) { a, j in queries.storage[a + j * m] - (domain.lower[j] + domain.upper[j]) / 2 }
            let projected = BLAS.matmul(centred, directions)
            let c = PrivateDistanceQuery.sphericalProjectionConstant(dimension: d)
            return (0..<m).map { a in
                var total = 0.0
                for l in 0..<k { total += oneDimensional(l, at: projected.storage[a + l * m]) }
                return Swift.max(0, c * total * scale / Double(k))
            }
        }
    }

    /// Σₖ c̃ₖ |gₖ − s| for histogram `index`.
    private func oneDimensional(_ index: Int, at s: Double) -> Double {
        let (a, b) = ranges[index]
        let delta = (b - a) / Double(nodes - 1)
        var total = 0.0
        for (k, c) in noisyCounts[index].enumerated() { total += c * Swift.abs(a + Double(k) * delta - s) }
        return total
    }

    /// Linear binning of values already inside [a, b] onto G nodes. O(n).
    static func binCounts(_ values: [Double], range: (Double, Double), nodes g: Int) -> [Double] {
        let (a, b) = range
        let delta = (b - a) / Double(g - 1)
        var c = [Double](repeating: 0, count: g)
        for v in values {
            let t = (Swift.min(b, Swift.max(a, v)) - a) / delta
            let k = Swift.max(0, Swift.min(Int(t), g - 2))
            let f = Swift.min(1, t - Double(k))
            c[k] += 1 - f
            c[k + 1] += f
        }
        return c
    }
}
