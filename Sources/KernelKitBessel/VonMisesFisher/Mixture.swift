import Foundation
import KernelKitLinalg

/// A finite mixture Σₖ αₖ vMF(μₖ, κₖ) of von Mises–Fisher distributions on S^{p−1}, fitted by EM with
/// soft assignments (Banerjee, Dhillon, Ghosh & Sra, "Clustering on the unit hypersphere using von
/// Mises-Fisher distributions", JMLR 6, 2005, §4 "soft-moVMF") for clustering unit-normalised
/// feature vectors.
public struct VonMisesFisherMixture: Sendable, Equatable {
    /// Mixing weights αₖ > 0, summing to 1.
    public let weights: [Double]
    /// The components vMF(μₖ, κₖ), all of the same dimension.
    public let components: [VonMisesFisher]

    /// A mixture from its parts.
    /// - Precondition: equal, non-zero counts; positive weights summing to 1 within 1e-9; one dimension.
    public init(weights: [Double], components: [VonMisesFisher]) {
        precondition(!components.isEmpty && weights.count == components.count, "VonMisesFisherMixture: one weight per component")
        precondition(weights.allSatisfy { $0 > 0 } && abs(weights.reduce(0, +) - 1) <= 1e-9, "VonMisesFisherMixture: weights must be positive and sum to 1")
        precondition(components.allSatisfy { $0.dimension == components[0].dimension }, "VonMisesFisherMixture: components of different dimensions")
        self.weights = weights
        self.components = components
    }

    /// The dimension p.
    public var dimension: Int { components[0].dimension }

    /// Log-likelihood Σᵢ log Σₖ αₖ f(xᵢ; μₖ, κₖ) of the rows of `data` (projected onto the sphere)
    /// and the responsibilities γᵢₖ = αₖ f(xᵢ; θₖ)/Σⱼ αⱼ f(xᵢ; θⱼ) (n × K), by log-sum-exp so that no
    /// density is ever formed outside the log scale. One dgemm: O(n·p·K).
    /// - Throws: `VonMisesFisherError.nonFiniteData` / `.zeroRow` naming the first bad row.
    /// - Precondition: `data.columns == dimension`.
    public func posterior(_ data: Matrix) throws -> (logLikelihood: Double, responsibilities: Matrix) {
        precondition(data.columns == dimension, "VonMisesFisherMixture: data has \(data.columns) columns, mixture has p = \(dimension)")
        let unit = try MixtureEM.projected(data).points
        return MixtureEM.expectation(unit, self)
    }

    /// Fits a K-component mixture to the rows of `data` (n × p) by EM, keeping the best of `restarts`
    /// runs (by final log-likelihood).
    ///
    /// Each run: spherical k-means++ seeding (Arthur & Vassilvitskii 2007, with the distance
    /// 1 − xᵀc: first centre uniform, each next one drawn with probability ∝ 1 − maxⱼ xᵢᵀcⱼ), hard
    /// assignment to the nearest centre to set μₖ and a common κ (the exact κ̂ of the pooled
    /// within-cluster R̄), αₖ = 1/K; then E-steps (log-sum-exp responsibilities) and M-steps
    /// αₖ = Nₖ/n, μₖ = rₖ/‖rₖ‖, κₖ = A_p⁻¹(‖rₖ‖/Nₖ) solved exactly (rₖ = Σᵢ γᵢₖxᵢ, Nₖ = Σᵢ γᵢₖ), so each
    /// iteration maximises the expected complete log-likelihood and the log-likelihood never
    /// decreases. Stops when it rises by less than `tolerance`·|ℓ| or after `maxIterations`.
    /// Run r uses stream r of `SeededGenerator.independentStreams(seed:count:)`.
    ///
    /// Rows are projected onto the sphere (see `offSphereRowCount`). A run in which a component
    /// collapses (Nₖ underflows to 0, or its points coincide so κₖ = ∞) is discarded.
    /// Cost: O(iterations · n·p·K) in two dgemms per iteration, plus O(n·p) memory for the projected data.
    /// - Throws: `VonMisesFisherError.invalidDimension` (p < 2), `.tooFewPoints` (n < K),
    ///   `.nonFiniteData` / `.zeroRow`, `.degenerate` when every run collapsed.
    /// - Precondition: components ≥ 1, restarts ≥ 1, maxIterations ≥ 1, tolerance ≥ 0.
    public static func fit(_ data: Matrix, components k: Int, restarts: Int = 5, maxIterations: Int = 300,
                           tolerance: Double = 1e-10, seed: UInt64 = 0) throws -> VonMisesFisherMixtureFit {
        precondition(k >= 1 && restarts >= 1 && maxIterations >= 1 && tolerance >= 0, "VonMisesFisherMixture.fit: invalid settings")
        try VonMisesFisher.checkDimension(data.columns)
        guard data.rows >= k else {
            throw VonMisesFisherError.tooFewPoints("a \(k)-component mixture needs at least \(k) points, got \(data.rows)")
        }
        let (unit, offSphere) = try MixtureEM.projected(data)
        var best: VonMisesFisherMixtureFit? = nil
        var finals: [Double] = []
        var lastFailure: Error? = nil
        for (run, stream) in SeededGenerator.independentStreams(seed: seed, count: restarts).enumerated() {
            var generator = stream
            do {
                let start = try MixtureEM.initialize(unit, k, &generator)
                let result = try MixtureEM.run(unit, start, maxIterations: maxIterations, tolerance: tolerance)
                finals.append(result.trace.last!)
                if best == nil || result.trace.last! > best!.logLikelihood {
                    best = VonMisesFisherMixtureFit(mixture: result.mixture, logLikelihood: result.trace.last!,
                                                    responsibilities: result.responsibilities, logLikelihoodTrace: result.trace,
                                                    converged: result.converged, bestRestart: run, restartLogLikelihoods: [],
                                                    offSphereRowCount: offSphere)
                }
            } catch let error as VonMisesFisherError {
                finals.append(-.infinity)
                lastFailure = error
            }
        }
        guard let chosen = best else {
            throw VonMisesFisherError.degenerate("every EM run collapsed a component onto a single direction (\(lastFailure.map { "\($0)" } ?? "")); use fewer components")
        }
        return VonMisesFisherMixtureFit(mixture: chosen.mixture, logLikelihood: chosen.logLikelihood,
                                        responsibilities: chosen.responsibilities, logLikelihoodTrace: chosen.logLikelihoodTrace,
                                        converged: chosen.converged, bestRestart: chosen.bestRestart,
                                        restartLogLikelihoods: finals, offSphereRowCount: offSphere)
    }
}

/// The result of `VonMisesFisherMixture.fit`.
public struct VonMisesFisherMixtureFit: Sendable {
    /// The fitted mixture of the best run.
    public let mixture: VonMisesFisherMixture
    /// Its log-likelihood Σᵢ log Σₖ αₖ f(xᵢ; θₖ).
    public let logLikelihood: Double
    /// Responsibilities γᵢₖ (n × K) under the fitted mixture.
    public let responsibilities: Matrix
    /// The log-likelihood after initialisation and after every EM iteration of the best run
    /// (non-decreasing up to rounding).
    public let logLikelihoodTrace: [Double]
    /// Whether the best run met the tolerance before `maxIterations`.
    public let converged: Bool
    /// Index of the best run.
    public let bestRestart: Int
    /// Final log-likelihood of every run (−∞ for a run that collapsed).
    public let restartLogLikelihoods: [Double]
    /// Rows whose norm differed from 1 by more than 1e-6 and were projected onto the sphere.
    public let offSphereRowCount: Int

    /// The most responsible component of each point, argmaxₖ γᵢₖ. O(n·K).
    public var assignments: [Int] {
        let n = responsibilities.rows, k = responsibilities.columns
        return (0..<n).map { i in (0..<k).max { responsibilities[i, $0] < responsibilities[i, $1] }! }
    }
}

/// The EM machinery (internal).
enum MixtureEM {
    /// Rows divided by their norms, and the count of rows that were off the sphere.
    static func projected(_ data: Matrix) throws -> (points: Matrix, offSphere: Int) {
        let projection = try SphereProjection(data)
        var unit = data
        let n = data.rows
        for j in 0..<data.columns {
            for i in 0..<n { unit.storage[i + j * n] *= projection.inverseNorms[i] }
        }
        return (unit, projection.offSphereCount)
    }

    /// The mean directions as the columns of a p × K matrix.
    static func directions(_ mixture: VonMisesFisherMixture) -> Matrix {
        let p = mixture.dimension, k = mixture.components.count
        return Matrix(rows: p, columns: k, columnMajor: mixture.components.flatMap { $0.meanDirection.elements })
    }

    /// E-step: (ℓ, γ) with log γᵢₖ = log αₖ + log C_p(κₖ) + κₖ μₖᵀxᵢ − log-sum-exp over k.
    static func expectation(_ unit: Matrix, _ mixture: VonMisesFisherMixture) -> (logLikelihood: Double, responsibilities: Matrix) {
        let n = unit.rows, k = mixture.components.count
        var gamma = BLAS.matmul(unit, directions(mixture))
        let offsets = (0..<k).map { log(mixture.weights[$0]) + mixture.components[$0].logNormalizer }
        let kappas = mixture.components.map(\.concentration)
        var total = 0.0
        var row = [Double](repeating: 0, count: k)
        for i in 0..<n {
            var top = -Double.infinity
            for c in 0..<k {
                row[c] = offsets[c] + kappas[c] * gamma[i, c]
                top = max(top, row[c])
            }
            var sum = 0.0
            for c in 0..<k { sum += exp(row[c] - top) }
            let logSum = top + log(sum)
            total += logSum
            for c in 0..<k { gamma[i, c] = exp(row[c] - logSum) }
        }
        return (total, gamma)
    }

    /// M-step from responsibilities: αₖ = Nₖ/n, μₖ = rₖ/‖rₖ‖, κₖ = A_p⁻¹(‖rₖ‖/Nₖ).
    static func maximization(_ unit: Matrix, _ gamma: Matrix) throws -> VonMisesFisherMixture {
        let n = unit.rows, p = unit.columns, k = gamma.columns
        let resultants = BLAS.matmul(unit, gamma, .transpose)   // p × K
        var weights: [Double] = [], components: [VonMisesFisher] = []
        for c in 0..<k {
            var mass = 0.0
            for i in 0..<n { mass += gamma[i, c] }
            let r = resultants.column(c)
            let length = r.norm
            let rbar = length / mass
            guard mass > 0, length > 0, rbar < 1 else {
                throw VonMisesFisherError.degenerate("component \(c) collapsed (weight \(mass / Double(n)), mean resultant length \(rbar))")
            }
            let kappa = try VonMisesFisher.concentration(meanResultantLength: rbar, dimension: p)
            weights.append(mass / Double(n))
            components.append(try VonMisesFisher(meanDirection: r, concentration: kappa))
        }
        let total = weights.reduce(0, +)
        return VonMisesFisherMixture(weights: weights.map { $0 / total }, components: components)
    }

    /// Spherical k-means++ seeding, then the hard-assignment start described on `fit`.
    static func initialize(_ unit: Matrix, _ k: Int, _ g: inout SeededGenerator) throws -> VonMisesFisherMixture {
        let n = unit.rows, p = unit.columns
        var centres: [Int] = [g.integer(below: n)]
        var nearest = [Double](repeating: -Double.infinity, count: n)   // maxⱼ xᵢᵀcⱼ
        var label = [Int](repeating: 0, count: n)
        while true {
            let c = centres.count - 1
            let sims = BLAS.matvec(unit, unit.row(centres[c]))
            for i in 0..<n where sims[i] > nearest[i] {
                nearest[i] = sims[i]
                label[i] = c
            }
            if centres.count == k { break }
            let distances = nearest.map { max(0, 1 - $0) }
            let total = distances.reduce(0, +)
            var next = g.integer(below: n)
            if total > 0 {
                var target = g.uniform() * total
                for i in 0..<n {
                    target -= distances[i]
                    if target < 0 && distances[i] > 0 { next = i; break }
                }
            }
            centres.append(next)
        }
        var hard = Matrix(rows: n, columns: k)
        for i in 0..<n { hard[i, label[i]] = 1 }
        let sums = BLAS.matmul(unit, hard, .transpose)
        var pooled = 0.0
        var directions: [Vector] = []
        for c in 0..<k {
            let r = sums.column(c)
            let length = r.norm
            pooled += length
            directions.append(length > 0 ? r : unit.row(centres[c]))
        }
        let rbar = min(pooled / Double(n), 1 - 1e-12)
        let kappa = try VonMisesFisher.concentration(meanResultantLength: rbar, dimension: p)
        let components = try directions.map { try VonMisesFisher(meanDirection: $0, concentration: kappa) }
        return VonMisesFisherMixture(weights: [Double](repeating: 1 / Double(k), count: k), components: components)
    }

    /// EM from `start` until the relative rise of ℓ is ≤ tolerance or `maxIterations` M-steps.
    static func run(_ unit: Matrix, _ start: VonMisesFisherMixture, maxIterations: Int, tolerance: Double) throws
        -> (mixture: VonMisesFisherMixture, responsibilities: Matrix, trace: [Double], converged: Bool)
    {
        var mixture = start
        var (ll, gamma) = expectation(unit, mixture)
        var trace = [ll]
        for _ in 0..<maxIterations {
            let next = try maximization(unit, gamma)
            let (nextLL, nextGamma) = expectation(unit, next)
            guard nextLL.isFinite else { throw VonMisesFisherError.degenerate("the log-likelihood became non-finite") }
            mixture = next
            gamma = nextGamma
            trace.append(nextLL)
            let rise = nextLL - ll
            ll = nextLL
            if rise <= tolerance * abs(ll) { return (mixture, gamma, trace, true) }
        }
        return (mixture, gamma, trace, false)
    }
}
