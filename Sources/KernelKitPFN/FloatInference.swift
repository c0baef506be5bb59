import Foundation
import KernelKitLinalg

/// Single-precision inference for a ``PFNTransformer``: the same forward pass as
/// ``PFNTransformer/logits(_:)`` with Float32 weights and activations over `BLAS.sgemm`, for fast
/// batched prediction (used by ``PFNModel/predict(_:)``). Training stays in Float64.
///
/// Layout: the batch is cut into chunks of whole datasets of at most `chunkTokens` tokens; within a
/// chunk the activations are d × T_c column-major matrices, so every linear layer is one sgemm
/// (m = 3d, d or h rows, k = d or h, n = T_c) and the chunk's working set stays in the L2 cache.
/// The two encoders are one product with the D + 3 token features [x; c·y; c; 1], and the first
/// block's layer norm and qkv projection are folded into one product with those features (exact in
/// real arithmetic, see ``init(_:chunkTokens:)``), which removes a quarter of the first block's flops.
/// The masked attention runs per dataset in one C kernel for all heads
/// (``FloatMatrix/maskedAttention(heads:tokens:context:from:into:atColumn:scratch:)``: eight tokens
/// per AVX2 vector, no score matrices, no transposed copies of K or V); layer norm, GELU and the bias
/// broadcasts run in place over preallocated buffers (no per-token allocation). In the last block only
/// the query tokens' attention, output projection and MLP are computed (context tokens feed the head
/// only through their keys and values).
///
/// Elementwise functions come from KernelKitLinalg's `FloatMatrix` kernels: softmax with a libm-free
/// exp (relative error ≤ 4·10⁻⁷), GELU through the Abramowitz–Stegun erf (absolute error ≤ 3·10⁻⁷).
///
/// Accuracy (against the Float64 pass): the largest log-density difference of the shipped GP model
/// over 5,000 query targets is 2.2·10⁻⁵ nat (the tests require ≤ 10⁻⁴). Weights of magnitude above
/// Float's range (3·10³⁸) would overflow; trained PFN weights are O(1).
///
/// Cost: the flop count of ``PFNTransformer`` minus the context tokens' share of the last block after
/// its qkv projection and minus the folded first projection — 12.4 MFLOP for a 50-point dataset
/// (25 context) of the default 4 × 64 network, 11.3 of them in sgemms. Measured on one core of a
/// shared 2-core AMD EPYC (Zen 3) with `kernelkit-bench pfn speed`: 200–212 µs per dataset for the
/// logits, of which ≈ 133 µs are the sgemms alone (OpenBLAS, ≈ 85 GFLOP/s, packing included; the
/// core's FMA peak is 111 GFLOP/s), ≈ 33 µs the attention kernel and ≈ 20 µs GELU, layer norms, bias
/// broadcasts and the encoders. The column kernels run in C with AVX2/FMA when the CPU has it
/// (``FloatMatrix/columnKernelsUseAVX2``).
public struct PFNFloatTransformer: Sendable {
    /// The shape of the network.
    public let architecture: PFNArchitecture
    /// Weights (out × in) and biases/gains in the canonical tensor order, rounded to Float.
    let weights: [FloatMatrix]
    /// The two encoders as one d × (D + 3) matrix [W_x  w_y  b_y  b_x], applied to the token
    /// features [x; c·y; c; 1] (c = 1 for a context point, 0 for a query).
    let encoder: FloatMatrix
    /// The first block's qkv projection of the encoded tokens, factorised through the D + 3 features
    /// (see ``init(_:chunkTokens:)``): qkv = firstProjection · (f / σ(f)) + firstBias.
    let firstProjection: FloatMatrix, firstBias: [Float]
    /// G = W̃ᵀW̃/d for the row-centred encoder W̃ (Float64): the layer-norm variance of the encoded
    /// token f is fᵀGf.
    let featureGram: [Double]
    /// Maximum number of tokens processed together (whole datasets; a larger dataset is its own chunk).
    public var chunkTokens: Int

    /// The Float32 copy of a network's parameters (rounded to nearest), plus the first block's
    /// factorised projection. O(parameter count + 3d²(D + 3)).
    ///
    /// The encoded token is x = W f with f = [x; c·y; c; 1] (D + 3 features) and W = [W_x w_y b_y b_x],
    /// so the first layer norm is LN₁(x) = γ ⊙ W̃f/σ + β with W̃ = W − 1·mean_rows(W) (the mean over
    /// the d rows is linear in f) and σ² = fᵀ(W̃ᵀW̃/d)f + ε. Hence the first qkv projection is
    /// W_qkv LN₁(x) + b_qkv = (W_qkv diag(γ) W̃) (f/σ) + (W_qkv β + b_qkv): a product with
    /// D + 3 columns instead of d, exact in real arithmetic; the factors are formed in Float64 and
    /// rounded once, and σ² = fᵀGf + ε is evaluated in Float64 from the Float64 features (its rounding
    /// error, ≈ 10⁻¹⁶·(Σ_c |f_c| ‖W̃_c‖)², is negligible next to ε = 10⁻⁵ for inputs of moderate size).
    /// Precondition (programmer error, see
    /// ``PFNArchitecture/validate()``): at least one block.
    public init(_ transformer: PFNTransformer, chunkTokens: Int = 512) {
        precondition(chunkTokens >= 1, "PFNFloatTransformer: chunkTokens must be ≥ 1")
        precondition(transformer.architecture.layers >= 1, "PFNFloatTransformer: the network needs at least one block")
        let a = transformer.architecture
        self.architecture = a
        let weights = transformer.parameters.map { FloatMatrix($0) }
        self.weights = weights
        let parameters = transformer.parameters
        let d = a.modelDimension, f = a.inputDimension + 3
        let encoder64 = parameters[TensorIndex.inputWeight].storage + parameters[TensorIndex.targetWeight].storage
            + parameters[TensorIndex.targetBias].storage + parameters[TensorIndex.inputBias].storage
        self.encoder = FloatMatrix(rows: d, columns: f, columnMajor: encoder64.map { Float($0) })
        var centred = Matrix(rows: d, columns: f, columnMajor: encoder64)
        for c in 0..<f {
            let mean = (0..<d).reduce(0.0) { $0 + centred[$1, c] } / Double(d)
            for i in 0..<d { centred[i, c] -= mean }
        }
        self.featureGram = BLAS.matmul(centred, centred, .transpose, .none).storage.map { $0 / Double(d) }
        let p = TensorIndex.layer(0)
        let gain = parameters[p + TensorIndex.ln1Gain].storage
        var scaled = centred
        for c in 0..<f {
            for i in 0..<d { scaled[i, c] *= gain[i] }
        }
        let wqkv = parameters[p + TensorIndex.qkvWeight]
        self.firstProjection = FloatMatrix(BLAS.matmul(wqkv, scaled))
        let shift = BLAS.matmul(wqkv, parameters[p + TensorIndex.ln1Bias])
        self.firstBias = zip(shift.storage, parameters[p + TensorIndex.qkvBias].storage).map { Float($0 + $1) }
        self.chunkTokens = chunkTokens
    }

    /// Logits (K × Q, one column per query token in batch order), as ``PFNTransformer/logits(_:)``.
    public func logits(_ batch: PFNBatch) -> Matrix {
        floatLogits(batch).doubleMatrix
    }

    /// Bucket probabilities (K × Q): the softmax of each column of ``logits(_:)``, taken in Float by
    /// ``FloatMatrix/softmaxColumns(_:)`` before the conversion to Double (relative error ≤ 4·10⁻⁷
    /// from exp plus u·|logit − max| from the shift, u = 2⁻²⁴: ≤ 4·10⁻⁶ for logit spreads up to 60).
    /// Each column sums to 1 up to Float rounding (a few 10⁻⁷). Cheaper than a Float64 softmax of
    /// ``logits(_:)`` (one vectorised C pass over K·Q floats).
    public func bucketProbabilities(_ batch: PFNBatch) -> Matrix {
        var logits = floatLogits(batch)
        logits.softmaxColumns(logits.whole)
        return logits.doubleMatrix
    }

    /// The logits in Float, K × Q.
    func floatLogits(_ batch: PFNBatch) -> FloatMatrix {
        precondition(batch.inputDimension == architecture.inputDimension, "PFNFloatTransformer: batch input dimension mismatch")
        var out = FloatMatrix(rows: architecture.buckets, columns: batch.queryTokenCount)
        out.setEachColumn(to: weights[TensorIndex.final(architecture.layers) + TensorIndex.headBias].storage)
        var workspace = Workspace()
        var first = 0, queryColumn = 0
        while first < batch.datasetCount {
            var last = first + 1
            var tokens = batch.contextCounts[first] + batch.queryCounts[first]
            while last < batch.datasetCount {
                let n = batch.contextCounts[last] + batch.queryCounts[last]
                guard tokens + n <= chunkTokens else { break }
                tokens += n
                last += 1
            }
            queryColumn += forwardChunk(batch, datasets: first..<last, logits: &out, at: queryColumn, workspace: &workspace)
            first = last
        }
        return out
    }

    /// Reusable buffers (grown on demand, reused across chunks and layers).
    struct Workspace {
        var features = FloatMatrix(rows: 0, columns: 0), normalizedFeatures = FloatMatrix(rows: 0, columns: 0)
        var x = FloatMatrix(rows: 0, columns: 0), h = FloatMatrix(rows: 0, columns: 0)
        var qkv = FloatMatrix(rows: 0, columns: 0), attention = FloatMatrix(rows: 0, columns: 0)
        var hidden = FloatMatrix(rows: 0, columns: 0)
        /// The last block's query-only buffers (kept apart so that chunks of equal size reuse every buffer).
        var xQuery = FloatMatrix(rows: 0, columns: 0), hQuery = FloatMatrix(rows: 0, columns: 0)
        var attentionQuery = FloatMatrix(rows: 0, columns: 0), hiddenQuery = FloatMatrix(rows: 0, columns: 0)
        /// Scratch of the attention kernel (transposed keys, softmax numerators).
        var attentionScratch: [Float] = []

        /// Makes `m` a rows × columns matrix, reusing its storage when the size matches.
        static func shape(_ m: inout FloatMatrix, _ rows: Int, _ columns: Int) {
            if m.rows != rows || m.columns != columns { m = FloatMatrix(rows: rows, columns: columns) }
        }
    }

    /// Forward pass of datasets `range` of the batch: adds the head's product to columns
    /// `column ..< column + Q_c` of `logits` (which hold the head bias) and returns Q_c, the chunk's
    /// query count.
    func forwardChunk(_ batch: PFNBatch, datasets range: Range<Int>, logits: inout FloatMatrix, at column: Int,
                      workspace w: inout Workspace) -> Int {
        let a = architecture
        let d = a.modelDimension, dIn = a.inputDimension
        let epsilon = Float(PFNTransformer.layerNormEpsilon)
        let tokenBase = batch.offsets[range.lowerBound]
        // Local layout: dataset b starts at column batch.offsets[b] − tokenBase; its queries occupy
        // columns queryOffset … in the compact query matrices.
        var datasets: [(start: Int, context: Int, queries: Int, queryOffset: Int)] = []
        var t = 0, queries = 0
        for b in range {
            datasets.append((batch.offsets[b] - tokenBase, batch.contextCounts[b], batch.queryCounts[b], queries))
            t += batch.contextCounts[b] + batch.queryCounts[b]
            queries += batch.queryCounts[b]
        }
        // Encoders as one product: x = [W_x w_y b_y b_x] f with f = [x; c·y; c; 1], c = 1 for context
        // points; and f/σ(f) for the first block's factorised qkv projection (σ² = fᵀGf + ε).
        let f = dIn + 3
        Workspace.shape(&w.features, f, t)
        Workspace.shape(&w.normalizedFeatures, f, t)
        var token = [Double](repeating: 0, count: f)
        for ds in datasets {
            for j in ds.start..<(ds.start + ds.context + ds.queries) {
                let global = j + tokenBase
                for r in 0..<dIn { token[r] = batch.inputs[global * dIn + r] }
                let isContext = j < ds.start + ds.context
                token[dIn] = isContext ? batch.targets[global] : 0
                token[dIn + 1] = isContext ? 1 : 0
                token[dIn + 2] = 1
                var variance = 0.0
                for c in 0..<f {
                    var row = 0.0
                    for e in 0..<f { row += featureGram[c + e * f] * token[e] }
                    variance += token[c] * row
                }
                let inverseScale = 1 / (max(variance, 0) + PFNTransformer.layerNormEpsilon).squareRoot()
                for c in 0..<f {
                    w.features.storage[j * f + c] = Float(token[c])
                    w.normalizedFeatures.storage[j * f + c] = Float(token[c] * inverseScale)
                }
            }
        }
        Workspace.shape(&w.x, d, t)
        BLAS.sgemm(.none, .none, encoder, w.features, &w.x)
        for l in 0..<a.layers {
            let p = TensorIndex.layer(l)
            let lastLayer = l == a.layers - 1
            // h = LN₁(x); qkv = W_qkv h + b_qkv (first block: through the D + 3 features, see init).
            Workspace.shape(&w.qkv, 3 * d, t)
            if l == 0 {
                w.qkv.setEachColumn(to: firstBias)
                BLAS.sgemm(.none, .none, firstProjection, w.normalizedFeatures, beta: 1, &w.qkv)
            } else {
                Workspace.shape(&w.h, d, t)
                w.x.normalizeColumns(gain: weights[p + TensorIndex.ln1Gain].storage, bias: weights[p + TensorIndex.ln1Bias].storage, epsilon: epsilon, into: &w.h)
                w.qkv.setEachColumn(to: weights[p + TensorIndex.qkvBias].storage)
                BLAS.sgemm(.none, .none, weights[p + TensorIndex.qkvWeight], w.h, beta: 1, &w.qkv)
            }
            if lastLayer {
                // Only the queries matter from here on: switch to the query-only buffers and gather
                // the queries' residual stream.
                swap(&w.attention, &w.attentionQuery)
                swap(&w.h, &w.hQuery)
                swap(&w.hidden, &w.hiddenQuery)
                Workspace.shape(&w.attention, d, queries)
                Workspace.shape(&w.xQuery, d, queries)
                for ds in datasets {
                    let n = ds.context + ds.queries
                    w.qkv.maskedAttention(heads: a.heads, tokens: ds.start..<(ds.start + n), context: ds.context, from: ds.context,
                                          into: &w.attention, atColumn: ds.queryOffset, scratch: &w.attentionScratch)
                    w.xQuery.copyColumns((ds.start + ds.context)..<(ds.start + n), of: w.x, to: ds.queryOffset)
                }
                swap(&w.x, &w.xQuery)
            } else {
                Workspace.shape(&w.attention, d, t)
                for ds in datasets {
                    w.qkv.maskedAttention(heads: a.heads, tokens: ds.start..<(ds.start + ds.context + ds.queries), context: ds.context,
                                          from: 0, into: &w.attention, atColumn: ds.start, scratch: &w.attentionScratch)
                }
            }
            let columns = w.x.columns
            // x ← x + W_o attention + b_o.
            w.x.addToEachColumn(weights[p + TensorIndex.outBias].storage)
            BLAS.sgemm(.none, .none, weights[p + TensorIndex.outWeight], w.attention, beta: 1, &w.x)
            // x ← x + W₂ GELU(W₁ LN₂(x) + b₁) + b₂.
            Workspace.shape(&w.h, d, columns)
            w.x.normalizeColumns(gain: weights[p + TensorIndex.ln2Gain].storage, bias: weights[p + TensorIndex.ln2Bias].storage, epsilon: epsilon, into: &w.h)
            Workspace.shape(&w.hidden, a.hiddenDimension, columns)
            w.hidden.setEachColumn(to: weights[p + TensorIndex.mlpBias1].storage)
            BLAS.sgemm(.none, .none, weights[p + TensorIndex.mlpWeight1], w.h, beta: 1, &w.hidden)
            w.hidden.applyGELU()
            w.x.addToEachColumn(weights[p + TensorIndex.mlpBias2].storage)
            BLAS.sgemm(.none, .none, weights[p + TensorIndex.mlpWeight2], w.hidden, beta: 1, &w.x)
        }
        // Head on the query tokens (w.x now holds only them).
        let fi = TensorIndex.final(a.layers)
        Workspace.shape(&w.h, d, queries)
        w.x.normalizeColumns(gain: weights[fi + TensorIndex.finalGain].storage, bias: weights[fi + TensorIndex.finalBias].storage, epsilon: epsilon, into: &w.h)
        let head = weights[fi + TensorIndex.headWeight]
        BLAS.sgemm(.none, .none, head, head.whole, w.h, w.h.whole, beta: 1, &logits,
                   .init(rows: 0..<a.buckets, columns: column..<(column + queries)))
        swap(&w.x, &w.xQuery)
        swap(&w.attention, &w.attentionQuery)
        swap(&w.h, &w.hQuery)
        swap(&w.hidden, &w.hiddenQuery)
        return queries
    }
}
