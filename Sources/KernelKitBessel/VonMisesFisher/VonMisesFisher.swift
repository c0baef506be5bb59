import Foundation
import KernelKitLinalg

/// The von Mises–Fisher distribution vMF(μ, κ) on the unit sphere S^{p−1} ⊂ ℝ^p, p ≥ 2:
///
///     f(x; μ, κ) = C_p(κ) exp(κ μᵀx),   C_p(κ) = κ^{p/2−1} / ((2π)^{p/2} I_{p/2−1}(κ)),
///
/// with mean direction μ (‖μ‖ = 1) and concentration κ ≥ 0 (κ = 0: the uniform distribution),
/// density with respect to the surface measure of the sphere (Mardia & Jupp, *Directional
/// Statistics*, 2000, §9.3). Every quantity is computed on the log scale through `LogBessel`, so the
/// distribution is usable for any p (tested to p = 10⁵) and any κ, where I_{p/2−1}(κ) itself over-
/// or underflows a double (the motivating case of Plesner, Sørensen & Hauberg, ICS 2024).
///
/// Sampling is exact (Wood 1994, `sample(count:using:)`); maximum-likelihood fitting is in
/// `fit(_:rowsAreUnitVectors:)` and `concentration(meanResultantLength:dimension:)`; mixtures in `VonMisesFisherMixture`.
public struct VonMisesFisher: Sendable, Equatable {
    /// The unit mean direction μ (length p).
    public let meanDirection: Vector
    /// The concentration κ ≥ 0.
    public let concentration: Double
    /// log C_p(κ), cached (see `logNormalizer(dimension:concentration:)`).
    public let logNormalizer: Double

    /// The dimension p of the ambient space ℝ^p (the sphere is S^{p−1}).
    public var dimension: Int { meanDirection.count }

    /// vMF(μ/‖μ‖, κ). The direction is normalised (any non-zero finite vector is accepted).
    /// O(p) plus one log-Bessel evaluation.
    /// - Throws: `VonMisesFisherError.invalidDimension` for p < 2, `.invalidMeanDirection` for a zero or
    ///   non-finite μ, `.invalidConcentration` for κ < 0 or non-finite.
    public init(meanDirection: Vector, concentration: Double) throws {
        let p = meanDirection.count
        guard p >= 2 else { throw VonMisesFisherError.invalidDimension(p) }
        guard meanDirection.isFinite else { throw VonMisesFisherError.invalidMeanDirection("it contains NaN or infinite values") }
        let norm = meanDirection.norm
        guard norm > 0, norm.isFinite else { throw VonMisesFisherError.invalidMeanDirection("it is the zero vector") }
        self.meanDirection = norm == 1 ? meanDirection : (1 / norm) * meanDirection
        self.concentration = concentration
        self.logNormalizer = try Self.logNormalizer(dimension: p, concentration: concentration)
    }

    // MARK: Normaliser and density

    /// log C_p(κ) = (p/2 − 1) log κ − (p/2) log 2π − log I_{p/2−1}(κ), the log of the normalising
    /// constant with respect to the surface measure, for p ≥ 2 and κ ≥ 0.
    ///
    /// For κ²/4 ≤ 1 + p/8 it is evaluated from the power series of I_ν (DLMF 10.25.2),
    /// log C_p(κ) = ν log 2 + log Γ(ν + 1) − (p/2) log 2π − log ₀F₁(; ν + 1; κ²/4) with ν = p/2 − 1
    /// (all terms positive, no cancellation), which also gives the limit κ → 0:
    /// log C_p(0) = log Γ(p/2) − log 2 − (p/2) log π = −log |S^{p−1}|. Above, from `LogBessel.logI`.
    /// Accuracy: ~1e-15·max(1, |log C_p|) (the error of log I_ν plus rounding of ν log κ).
    /// O(1) (≤ ~30 series terms).
    /// - Throws: `VonMisesFisherError.invalidDimension` for p < 2, `.invalidConcentration` for κ < 0
    ///   or non-finite.
    public static func logNormalizer(dimension p: Int, concentration kappa: Double) throws -> Double {
        try checkDimension(p)
        try checkConcentration(kappa)
        let half = Double(p) / 2, nu = half - 1
        let z = kappa * kappa / 4
        if z <= 1 + (nu + 1) / 4 {
            // ₀F₁(; ν+1; z) = Σ z^k / (k! (ν+1)_k): positive terms whose ratio is z / (k (ν + k)).
            var term = 1.0, sum = 1.0, k = 1.0
            while term > 1e-17 * sum {
                term *= z / (k * (nu + k))
                sum += term
                k += 1
            }
            return nu * M_LN2 + lgamma(nu + 1) - half * log(2 * Double.pi) - log(sum)
        }
        return nu * log(kappa) - half * log(2 * Double.pi) - (try LogBessel.logI(order: nu, kappa))
    }

    /// log f(x) = log C_p(κ) + κ μᵀx̂ at the direction x̂ = x/‖x‖ of `x` (the density lives on the
    /// sphere; off-sphere points are projected radially). O(p).
    /// - Throws: `VonMisesFisherError.nonFiniteData` / `.zeroRow` (row 0) for a non-finite or zero `x`.
    /// - Precondition: `x.count == dimension`.
    public func logDensity(_ x: Vector) throws -> Double {
        precondition(x.count == dimension, "logDensity: point has \(x.count) coordinates, distribution has p = \(dimension)")
        let scales = try SphereProjection(Matrix(rows: 1, columns: x.count, columnMajor: x.elements))
        return logNormalizer + concentration * scales.inverseNorms[0] * BLAS.dot(meanDirection, x)
    }

    /// log f(xᵢ) for every row xᵢ of `data` (n × p, one point per row), each row projected onto the
    /// sphere as in `logDensity(_:)`. One dgemv: O(n·p).
    /// - Throws: `VonMisesFisherError.nonFiniteData` / `.zeroRow` naming the first bad row.
    /// - Precondition: `data.columns == dimension`.
    public func logDensities(_ data: Matrix) throws -> [Double] {
        precondition(data.columns == dimension, "logDensities: data has \(data.columns) columns, distribution has p = \(dimension)")
        let scales = try SphereProjection(data)
        let dots = BLAS.matvec(data, meanDirection)
        return (0..<data.rows).map { logNormalizer + concentration * scales.inverseNorms[$0] * dots[$0] }
    }

    // MARK: Mean resultant length A_p(κ)

    /// A_p(κ) = I_{p/2}(κ)/I_{p/2−1}(κ) = E[μᵀx], the expected mean resultant length of vMF(μ, κ) and
    /// the derivative of −log C_p(κ); increasing from A_p(0) = 0 towards 1, concave. From
    /// `LogBessel.ratio` (~1e-15 relative). O(1).
    /// - Throws: `VonMisesFisherError.invalidDimension` for p < 2, `.invalidConcentration` for κ < 0
    ///   or non-finite.
    public static func meanResultantLength(dimension p: Int, concentration kappa: Double) throws -> Double {
        try checkDimension(p)
        try checkConcentration(kappa)
        return try LogBessel.ratio(order: Double(p) / 2, kappa)
    }

    /// A_p′(κ) = 1 − A_p(κ)² − (p − 1) A_p(κ)/κ = Var[μᵀx] > 0, with A_p′(0) = 1/p. For κ ≫ p the three
    /// terms cancel to ~(p − 1)/(2κ²) and the relative error grows like κ·1e-16. O(1).
    /// - Throws: as `meanResultantLength(dimension:concentration:)`.
    public static func meanResultantLengthDerivative(dimension p: Int, concentration kappa: Double) throws -> Double {
        let a = try meanResultantLength(dimension: p, concentration: kappa)
        return derivative(a, Double(p), kappa)
    }

    /// A′ from A (shared by the Newton solver): 1 − A² − (p − 1)A/κ, or 1/p at κ = 0.
    static func derivative(_ a: Double, _ p: Double, _ kappa: Double) -> Double {
        kappa == 0 ? 1 / p : (1 - a) * (1 + a) - (p - 1) * a / kappa
    }

    // MARK: Checks

    static func checkDimension(_ p: Int) throws {
        guard p >= 2 else { throw VonMisesFisherError.invalidDimension(p) }
    }

    static func checkConcentration(_ kappa: Double) throws {
        guard kappa >= 0, kappa.isFinite else { throw VonMisesFisherError.invalidConcentration(kappa) }
    }
}

/// Radial projection of data rows onto the unit sphere: 1/‖xᵢ‖ for every row of an n × p matrix,
/// validating the rows. Policy (documented on every public entry point): rows are projected, a row
/// counts as off the sphere when |‖xᵢ‖ − 1| > 1e-6, zero rows and non-finite values are errors.
struct SphereProjection {
    /// 1/‖xᵢ‖ for each row.
    var inverseNorms: [Double]
    /// How many rows had |‖xᵢ‖ − 1| > `tolerance` (and so were genuinely rescaled).
    var offSphereCount: Int
    /// Rows with |‖xᵢ‖ − 1| ≤ this count as unit vectors (float32-normalised data passes).
    static let tolerance = 1e-6

    /// Σᵢ xᵢ (the column sums), from the same pass as the norms.
    var columnSums: [Double]
    /// Σᵢ |1 − ‖xᵢ‖|: a bound on ‖Σᵢ xᵢ/‖xᵢ‖ − Σᵢ xᵢ‖ (each term is xᵢ(1/‖xᵢ‖ − 1), of norm |1 − ‖xᵢ‖|).
    var totalNormDeviation: Double

    /// One pass over the column-major storage accumulating squared row norms and column sums
    /// (`Matrix.rowSquaredNormsAndColumnSums`, O(n·p)); a row whose sum is not finite is
    /// re-examined: a NaN/∞ entry is an error, an overflowing square is recomputed with dnrm2's scaling.
    init(_ data: Matrix) throws {
        let n = data.rows, p = data.columns
        let (squares, sums) = data.rowSquaredNormsAndColumnSums()
        let s = data.storage
        var inverse = [Double](repeating: 0, count: n)
        var off = 0
        var deviation = 0.0
        for i in 0..<n {
            var norm = squares[i].squareRoot()
            if !norm.isFinite {
                for j in 0..<p where !s[i + j * n].isFinite { throw VonMisesFisherError.nonFiniteData(row: i, column: j) }
                norm = data.row(i).norm
            }
            guard norm > 0 else { throw VonMisesFisherError.zeroRow(i) }
            if abs(norm - 1) > Self.tolerance { off += 1 }
            deviation += abs(1 - norm)
            inverse[i] = 1 / norm
        }
        inverseNorms = inverse
        offSphereCount = off
        columnSums = sums
        totalNormDeviation = deviation
    }
}
