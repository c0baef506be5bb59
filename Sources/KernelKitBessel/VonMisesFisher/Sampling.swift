import Foundation
import KernelKitLinalg

extension VonMisesFisher {
    /// `count` independent exact draws from vMF(μ, κ), one per row of the returned count × p matrix.
    ///
    /// Wood, "Simulation of the von Mises Fisher distribution", Commun. Stat. Simul. Comput. 23(1),
    /// 1994: the cosine w = μᵀx has density ∝ e^{κw}(1 − w²)^{(p−3)/2} on [−1, 1] and is drawn by
    /// rejection from the envelope W = (1 − (1 + b)Z)/(1 − (1 − b)Z), Z ~ Beta((p−1)/2, (p−1)/2),
    /// b = (p − 1)/(2κ + √(4κ² + (p − 1)²)), accepting when
    /// κ(W − x₀) + (p − 1) log((1 + b)/(2(1 − (1 − b)Z))) ≥ log U, x₀ = (1 − b)/(1 + b) (Wood's test
    /// with c = κx₀ + (p − 1) log(1 − x₀²) substituted). Every quantity is formed without cancellation
    /// (1 − b, 1 ± W, W − x₀ and the log's argument − 1 from Z and 1 − Z = G_b/(G_a + G_b) of two gamma
    /// draws), so the sampler is exact in floating point for p up to 10⁶ and for κ from 0 (uniform on
    /// the sphere) to 10¹⁵. The point is (w, √(1 − w²) v) with v uniform on S^{p−2} (a normalised
    /// N(0, I_{p−1}) vector), mapped to the frame of μ by the Householder reflection that sends e₁ to μ
    /// (reflecting through μ + e₁ or μ − e₁, whichever is longer, for stability). Acceptance rate
    /// ≥ ~0.6 for all p, κ.
    ///
    /// Reproducibility: rows are produced in order; each draws (G_a, G_b, U) until acceptance, then
    /// p − 1 normals, all from `generator`. Rows are generated in blocks of 8 so each block is written
    /// to the column-major result one cache line per column. O(count · p).
    /// - Throws: `VonMisesFisherError.tooFewPoints` for count < 0.
    public func sample(count: Int, using generator: inout SeededGenerator) throws -> Matrix {
        guard count >= 0 else { throw VonMisesFisherError.tooFewPoints("cannot draw \(count) samples") }
        let p = dimension
        var result = Matrix(rows: count, columns: p)
        let reflection = HouseholderToMean(meanDirection)
        let envelope = WoodEnvelope(dimension: p, concentration: concentration)
        let blockRows = 8
        var block = [Double](repeating: 0, count: blockRows * p)
        var point = [Double](repeating: 0, count: p)
        var start = 0
        while start < count {
            let rows = min(blockRows, count - start)
            if block.count != rows * p { block = [Double](repeating: 0, count: rows * p) }
            for r in 0..<rows {
                let (w, s) = try envelope.draw(using: &generator)
                // Tangent direction: a normalised N(0, I_{p−1}) vector, scaled by √(1 − w²).
                var squares = 0.0
                for j in 1..<p {
                    let z = generator.standardNormal()
                    point[j] = z
                    squares += z * z
                }
                let scale = squares > 0 ? s / squares.squareRoot() : 0
                point[0] = w
                for j in 1..<p { point[j] *= scale }
                reflection.apply(&point)
                for j in 0..<p { block[r + j * rows] = point[j] }
            }
            result.setBlock(rows: start..<(start + rows), columns: 0..<p, from: block)
            start += rows
        }
        return result
    }

    /// `sample(count:using:)` with a fresh `SeededGenerator(seed:)`: same seed, same matrix.
    /// - Throws: as `sample(count:using:)`.
    public func sample(count: Int, seed: UInt64) throws -> Matrix {
        var generator = SeededGenerator(seed: seed)
        return try sample(count: count, using: &generator)
    }
}

/// Wood's (1994) rejection sampler for the cosine w = μᵀx, in cancellation-free form.
struct WoodEnvelope {
    let p: Double, kappa: Double
    /// b, 1 − b and (p − 1)/2.
    let b: Double, oneMinusB: Double, shape: Double

    init(dimension: Int, concentration kappa: Double) {
        p = Double(dimension)
        self.kappa = kappa
        let m = p - 1
        let root = (4 * kappa * kappa + m * m).squareRoot()
        b = m / (2 * kappa + root)
        // 1 − b = (2κ + √(4κ² + m²) − m)/(2κ + √(…)), with √(4κ² + m²) − m = 4κ²/(√(…) + m).
        oneMinusB = (2 * kappa + 4 * kappa * kappa / (root + m)) / (2 * kappa + root)
        shape = m / 2
    }

    /// One accepted draw: (w, √(1 − w²)).
    func draw(using g: inout SeededGenerator) throws -> (w: Double, sine: Double) {
        while true {
            let ga = try g.gamma(shape: shape), gb = try g.gamma(shape: shape)
            let total = ga + gb
            let u = g.uniformOpen()
            guard total > 0 else { continue }
            let z = ga / total, oneMinusZ = gb / total
            let d = oneMinusZ + b * z                                   // 1 − (1 − b)Z
            let wMinusX0 = 2 * b * (gb - ga) / total / ((1 + b) * d)   // W − x₀
            let logTerm = log1p(oneMinusB * (ga - gb) / total / (2 * d)) // log((1 + b)/(2D))
            guard kappa * wMinusX0 + (p - 1) * logTerm >= log(u) else { continue }
            let oneMinusW = 2 * b * z / d, onePlusW = 2 * oneMinusZ / d
            let w = oneMinusW < onePlusW ? 1 - oneMinusW : onePlusW - 1
            return (w, (oneMinusW * onePlusW).squareRoot())
        }
    }
}

/// The orthogonal map Q with Q e₁ = μ: Q = −(I − 2uuᵀ/uᵀu), u = μ + e₁ when μ₁ ≥ 0, and
/// Q = I − 2uuᵀ/uᵀu, u = μ − e₁ otherwise (uᵀu ≥ 2 either way). Applying it costs O(p).
struct HouseholderToMean {
    let u: [Double]
    let twoOverNorm2: Double
    let negate: Bool

    init(_ mu: Vector) {
        var v = mu.elements
        negate = v[0] >= 0
        v[0] += negate ? 1 : -1
        u = v
        twoOverNorm2 = 2 / v.reduce(0) { $0 + $1 * $1 }
    }

    /// y ← Q y.
    func apply(_ y: inout [Double]) {
        var dot = 0.0
        for j in 0..<y.count { dot += u[j] * y[j] }
        let c = dot * twoOverNorm2
        if negate {
            for j in 0..<y.count { y[j] = c * u[j] - y[j] }
        } else {
            for j in 0..<y.count { y[j] -= c * u[j] }
        }
    }
}
