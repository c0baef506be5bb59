import KernelKitLinalg

/// Shape of a prior-data fitted network (Müller et al., "Transformers Can Do Bayesian Inference",
/// ICLR 2022): a pre-norm transformer encoder of `layers` blocks of width `modelDimension`, each
/// block multi-head attention with `heads` heads followed by a GELU MLP of width `hiddenDimension`,
/// and a bar-distribution head with `buckets` logits per query point.
///
/// Parameter count: d(D + 1) + 2d (encoders) + L(4d² + 4d + 2dh + h + d + 4d) + 2d + K(d + 1), with
/// d = modelDimension, D = inputDimension, h = hiddenDimension, L = layers, K = buckets.
public struct PFNArchitecture: Codable, Sendable, Equatable {
    /// Dimension D of the inputs x (1 for the default GP prior and for learning curves).
    public var inputDimension: Int
    /// Width d of the token vectors.
    public var modelDimension: Int
    /// Number of attention heads; must divide `modelDimension`.
    public var heads: Int
    /// Number of transformer blocks L.
    public var layers: Int
    /// Width h of the MLP inside each block.
    public var hiddenDimension: Int
    /// Number K of buckets of the output bar distribution.
    public var buckets: Int

    /// An architecture; call ``validate()`` before using values that came from a user.
    public init(inputDimension: Int = 1, modelDimension: Int = 64, heads: Int = 4, layers: Int = 4,
                hiddenDimension: Int = 128, buckets: Int = 100) {
        self.inputDimension = inputDimension
        self.modelDimension = modelDimension
        self.heads = heads
        self.layers = layers
        self.hiddenDimension = hiddenDimension
        self.buckets = buckets
    }

    /// Width of one attention head, d / heads.
    public var headDimension: Int { modelDimension / heads }

    /// Checks that every size is positive, that heads divide the width and that there are at least
    /// two buckets. - Throws: ``PFNError/invalidInput(_:)`` naming the offending value.
    public func validate() throws {
        for (name, value) in [("input dimension", inputDimension), ("model dimension", modelDimension),
                              ("heads", heads), ("layers", layers), ("hidden dimension", hiddenDimension)]
        where value < 1 {
            throw PFNError.invalidInput("the \(name) must be at least 1, got \(value)")
        }
        guard modelDimension % heads == 0 else {
            throw PFNError.invalidInput("the model dimension \(modelDimension) must be a multiple of the number of heads \(heads)")
        }
        guard buckets >= 2 else { throw PFNError.invalidInput("at least 2 buckets are needed, got \(buckets)") }
    }

    /// Shapes (rows, columns) of the parameter tensors in their canonical order: x-encoder weight
    /// and bias, y-encoder weight and bias; per block LN₁ γ, β, W_qkv, b_qkv, W_o, b_o, LN₂ γ, β,
    /// W₁, b₁, W₂, b₂; final LN γ, β; output weight and bias. Weights are (out × in).
    var tensorShapes: [(rows: Int, columns: Int)] {
        let d = modelDimension, h = hiddenDimension
        var shapes = [(d, inputDimension), (d, 1), (d, 1), (d, 1)]
        for _ in 0..<layers {
            shapes += [(d, 1), (d, 1), (3 * d, d), (3 * d, 1), (d, d), (d, 1),
                       (d, 1), (d, 1), (h, d), (h, 1), (d, h), (d, 1)]
        }
        shapes += [(d, 1), (d, 1), (buckets, d), (buckets, 1)]
        return shapes.map { (rows: $0.0, columns: $0.1) }
    }

    /// Total number of scalar parameters.
    public var parameterCount: Int { tensorShapes.reduce(0) { $0 + $1.rows * $1.columns } }
}

/// Index arithmetic into the canonical tensor list.
enum TensorIndex {
    static let inputWeight = 0, inputBias = 1, targetWeight = 2, targetBias = 3
    static let perLayer = 12
    static func layer(_ l: Int) -> Int { 4 + perLayer * l }
    // Offsets inside a block.
    static let ln1Gain = 0, ln1Bias = 1, qkvWeight = 2, qkvBias = 3, outWeight = 4, outBias = 5
    static let ln2Gain = 6, ln2Bias = 7, mlpWeight1 = 8, mlpBias1 = 9, mlpWeight2 = 10, mlpBias2 = 11
    static func final(_ layers: Int) -> Int { 4 + perLayer * layers }
    // Offsets after the blocks.
    static let finalGain = 0, finalBias = 1, headWeight = 2, headBias = 3
}

/// A batch of datasets for the network: dataset b has `contextCounts[b]` context points (x, y)
/// followed by `queryCounts[b]` query points (x, and y when known, as the training target).
/// Tokens are stored dataset after dataset, context before queries; inputs point-major
/// (the D coordinates of one point are contiguous).
public struct PFNBatch: Sendable {
    /// Input dimension D.
    public let inputDimension: Int
    /// All inputs, D per token (a D × T column-major matrix's storage).
    public private(set) var inputs: [Double] = []
    /// y for every token: the observed value for context points, the target (or 0 when
    /// unknown) for query points.
    public private(set) var targets: [Double] = []
    /// Number of context points per dataset.
    public private(set) var contextCounts: [Int] = []
    /// Number of query points per dataset.
    public private(set) var queryCounts: [Int] = []
    /// Index of the first token of each dataset.
    public private(set) var offsets: [Int] = []

    /// An empty batch for D-dimensional inputs.
    public init(inputDimension: Int) {
        precondition(inputDimension >= 1, "PFNBatch: input dimension must be ≥ 1")
        self.inputDimension = inputDimension
    }

    /// Number of datasets.
    public var datasetCount: Int { contextCounts.count }
    /// Number of tokens T (all points of all datasets).
    public var tokenCount: Int { targets.count }
    /// Number of query tokens over the batch.
    public var queryTokenCount: Int { queryCounts.reduce(0, +) }

    /// Appends one dataset. `contextInputs` holds nc·D values (point-major), `contextTargets` nc
    /// values, `queryInputs` nq·D values; `queryTargets` is nq values or nil when unknown.
    public mutating func append(contextInputs: [Double], contextTargets: [Double], queryInputs: [Double],
                                queryTargets: [Double]? = nil) {
        let d = inputDimension
        precondition(contextInputs.count == contextTargets.count * d, "PFNBatch: context shape mismatch")
        precondition(queryInputs.count % d == 0, "PFNBatch: query shape mismatch")
        let nq = queryInputs.count / d
        precondition(queryTargets == nil || queryTargets!.count == nq, "PFNBatch: query target count mismatch")
        offsets.append(targets.count)
        contextCounts.append(contextTargets.count)
        queryCounts.append(nq)
        inputs += contextInputs
        inputs += queryInputs
        targets += contextTargets
        targets += queryTargets ?? [Double](repeating: 0, count: nq)
    }

    /// Targets of the query tokens in batch order (what the loss compares against).
    public var queryTargets: [Double] {
        var out: [Double] = []
        out.reserveCapacity(queryTokenCount)
        for b in 0..<datasetCount {
            let start = offsets[b] + contextCounts[b]
            out += targets[start..<(start + queryCounts[b])]
        }
        return out
    }
}
