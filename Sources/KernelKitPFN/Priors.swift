import Foundation
import KernelKitCore
import KernelKitLinalg

/// A prior over datasets that a PFN is trained on. A dataset is `pointsPerDataset` points
/// (x ∈ ℝ^D, y ∈ ℝ); training cuts it at a context size nc uniform on {0, …, n − 1}: the first nc points
/// are the context, the rest the queries.
public protocol PFNPrior: Sendable {
    /// The header record naming the prior and its options (stored in model files).
    var specification: PFNPriorSpecification { get }
    /// Input dimension D.
    var inputDimension: Int { get }
    /// Number of points n per sampled dataset.
    var pointsPerDataset: Int { get }
    /// One dataset: n·D inputs (point-major) and n targets. Deterministic given the generator state.
    func sampleDataset(using generator: inout SeededGenerator) throws -> (inputs: [Double], targets: [Double])
    /// Whether an input lies in the support of the prior's input distribution.
    func supports(_ x: ArraySlice<Double>) -> Bool
}

/// The serialisable description of a prior (the model file's header names it, so a model trained on
/// one prior is refused for another).
public struct PFNPriorSpecification: Codable, Sendable, Equatable, CustomStringConvertible {
    /// "gp" or "lc".
    public var kind: String
    /// GP prior: the kernel expression (`KernelExpression` syntax).
    public var kernel: String?
    /// GP prior: observation-noise variance σ².
    public var noiseVariance: Double?
    /// Input dimension D.
    public var inputDimension: Int
    /// Points per dataset (GP) or epochs per curve (LC).
    public var points: Int

    /// A specification record (validated when turned into a prior by ``makePrior()``).
    public init(kind: String, kernel: String? = nil, noiseVariance: Double? = nil, inputDimension: Int, points: Int) {
        self.kind = kind
        self.kernel = kernel
        self.noiseVariance = noiseVariance
        self.inputDimension = inputDimension
        self.points = points
    }

    /// A short human-readable form, e.g. "gp(kernel: rbf(length=0.2), noise variance: 0.01, D = 1, n = 50)".
    public var description: String {
        switch kind {
        case "gp": return "gp(kernel: \(kernel ?? "?"), noise variance: \(noiseVariance.map { "\($0)" } ?? "?"), D = \(inputDimension), n = \(points))"
        case "lc": return "lc(epochs: \(points))"
        default: return kind
        }
    }

    /// The prior this record describes. - Throws: ``PFNError/invalidInput(_:)`` for an unknown kind
    /// or invalid options (and the kernel parser's error for a bad kernel expression).
    public func makePrior() throws -> any PFNPrior {
        switch kind {
        case "gp":
            guard let kernel, let noiseVariance else {
                throw PFNError.invalidInput("a GP prior record needs a kernel and a noise variance")
            }
            return try GaussianProcessPrior(kernel: KernelExpression.parse(kernel), noiseVariance: noiseVariance,
                                            inputDimension: inputDimension, pointsPerDataset: points)
        case "lc":
            return try LearningCurvePrior(epochs: points)
        default:
            throw PFNError.invalidInput("unknown prior '\(kind)' (expected gp or lc)")
        }
    }
}

/// GP prior over datasets: x ~ U[0, 1]^D iid, y = f(x) + ε with f ~ GP(0, k) and ε ~ N(0, σ²)
/// (Müller et al. 2022, §5.1). The default is the paper-style 1-D prior: RBF kernel
/// k(x, x') = exp(−(x − x')²/(2·0.2²)), output scale 1, σ² = 0.01, 50 points.
///
/// Sampling factors K + σ²I = LLᵀ (Cholesky, jitter escalation) and returns y = Lz, z ~ N(0, I):
/// n³/3 flops per dataset. The exact posterior predictive (the Bayes-optimal answer a PFN
/// approximates) comes from the Core GP engine.
public struct GaussianProcessPrior: PFNPrior {
    /// The covariance function of f (any Core kernel).
    public let kernel: any Kernel
    /// Observation-noise variance σ².
    public let noiseVariance: Double
    /// Input dimension D.
    public let inputDimension: Int
    /// Points per dataset n.
    public let pointsPerDataset: Int

    /// The default prior of the issue: 1-D, RBF lengthscale 0.2, noise variance 0.01, 50 points.
    public static let standard = GaussianProcessPrior(uncheckedKernel: RBFKernel(lengthScale: 0.2), noiseVariance: 0.01,
                                                       inputDimension: 1, pointsPerDataset: 50)

    private init(uncheckedKernel kernel: any Kernel, noiseVariance: Double, inputDimension: Int, pointsPerDataset: Int) {
        self.kernel = kernel
        self.noiseVariance = noiseVariance
        self.inputDimension = inputDimension
        self.pointsPerDataset = pointsPerDataset
    }

    /// A GP prior. - Throws: ``PFNError/invalidInput(_:)`` unless σ² > 0 is finite, D ≥ 1,
    /// 2 ≤ n ≤ 1000 and the kernel accepts D-dimensional inputs.
    public init(kernel: any Kernel, noiseVariance: Double, inputDimension: Int = 1, pointsPerDataset: Int = 50) throws {
        guard noiseVariance > 0, noiseVariance.isFinite else {
            throw PFNError.invalidInput("the noise variance must be positive and finite, got \(noiseVariance)")
        }
        guard inputDimension >= 1 else { throw PFNError.invalidInput("the input dimension must be at least 1") }
        guard (2...1000).contains(pointsPerDataset) else {
            throw PFNError.invalidInput("points per dataset must lie in 2…1000, got \(pointsPerDataset)")
        }
        if let kd = kernel.inputDimension, kd != inputDimension {
            throw PFNError.invalidInput("kernel \(kernel) needs \(kd)-dimensional inputs, the prior has \(inputDimension)")
        }
        self.init(uncheckedKernel: kernel, noiseVariance: noiseVariance, inputDimension: inputDimension,
                  pointsPerDataset: pointsPerDataset)
    }

    /// The header record: kind "gp", the kernel expression, σ², D and n.
    public var specification: PFNPriorSpecification {
        PFNPriorSpecification(kind: "gp", kernel: kernel.description, noiseVariance: noiseVariance,
                              inputDimension: inputDimension, points: pointsPerDataset)
    }

    /// Inputs are drawn from U[0, 1]^D.
    public func supports(_ x: ArraySlice<Double>) -> Bool { x.allSatisfy { $0 >= 0 && $0 <= 1 } }

    /// x ~ U[0, 1]^D iid (n points), then y = Lz as in ``sampleTargets(at:using:)``.
    public func sampleDataset(using generator: inout SeededGenerator) throws -> (inputs: [Double], targets: [Double]) {
        let n = pointsPerDataset, d = inputDimension
        var inputs = [Double](repeating: 0, count: n * d)
        for i in inputs.indices { inputs[i] = generator.uniform() }
        return (inputs, try sampleTargets(at: inputs, using: &generator))
    }

    /// y at given inputs (n·D values, point-major): y = Lz with LLᵀ = K + σ²I.
    /// - Throws: `LinalgError` if K + σ²I is not positive definite even after jitter.
    public func sampleTargets(at inputs: [Double], using generator: inout SeededGenerator) throws -> [Double] {
        let d = inputDimension, n = inputs.count / d
        let x = Matrix(rows: d, columns: n, columnMajor: inputs).transposed
        var k = kernel.gram(x)
        k.addToDiagonal(noiseVariance)
        let l = try Cholesky(k).lower
        let z = generator.normalVector(count: n)
        return BLAS.matvec(l, z).elements
    }

    /// Exact posterior predictive of new observations at the query inputs given the context:
    /// mean k(X*, X)(K + σ²I)⁻¹y and variance k(x*, x*) + σ² − k(x*, X)(K + σ²I)⁻¹k(X, x*), from
    /// the Core GP engine; the prior N(0, k(x*, x*) + σ²) for an empty context. O(n³ + n²m).
    /// Inputs are point-major flat arrays.
    public func exactPredictive(contextInputs: [Double], contextTargets: [Double],
                                queryInputs: [Double]) throws -> (mean: [Double], variance: [Double]) {
        let d = inputDimension, m = queryInputs.count / d, nc = contextTargets.count
        let xs = Matrix(rows: d, columns: m, columnMajor: queryInputs).transposed
        if nc == 0 {
            let prior = kernel.gram(xs).diagonal.elements.map { $0 + noiseVariance }
            return ([Double](repeating: 0, count: m), prior)
        }
        let x = Matrix(rows: d, columns: nc, columnMajor: contextInputs).transposed
        let gp = try GaussianProcessRegressor(kernel: kernel, inputs: x, targets: Vector(contextTargets), alpha: noiseVariance)
        let (mean, variance) = try gp.predict(xs, includeNoise: true)
        return (mean.elements, variance.elements)
    }
}
