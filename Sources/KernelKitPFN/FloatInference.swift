import Foundation
import KernelKitLinalg

/// Single-precision inference for a ``PFNTransformer``: the same forward pass as
/// ``PFNTransformer/logits(_:)`` with Float32 weights and activations over `BLAS.sgemm`, for fast
/// batched prediction (used by ``PFNModel/predict(_:)``). Training stays in Float64.
///
/// Layout: the batch is cut into chunks of whole datasets of at most `chunkTokens` tokens; within a
/// chunk the activations are d × T_c column-major matrices, so every linear layer is one sgemm
/// (m = 3d, d or h rows, k = d or h, n = T_c) and the chunk's working set stays in the L2 cache.
/// Layer norm, GELU and the masked softmax run in place over preallocated buffers (no per-token
/// allocation). In the last block only the query tokens' attention, output projection and MLP are
/// computed (context tokens feed the head only through their keys and values).
///
/// Elementwise functions come from KernelKitLinalg's `FloatMatrix` kernels: softmax with a libm-free
/// exp (relative error ≤ 4·10⁻⁷), GELU through the Abramowitz–Stegun erf (absolute error ≤ 3·10⁻⁷).
///
/// Accuracy (against the Float64 pass): the largest log-density difference of the shipped GP model
/// over 5,000 query targets is 2·10⁻⁵ nat (the tests require ≤ 10⁻⁴). Weights of magnitude above
/// Float's range (3·10³⁸) would overflow; trained PFN weights are O(1).
///
/// Cost: the flop count of ``PFNTransformer`` minus the context tokens' share of the last block after
/// its qkv projection — 13.5 MFLOP for a 50-point dataset (25 context) of the default 4 × 64 network;
/// measured ≈ 280 µs per dataset on one core, of which ≈ 160 µs are the linear layers' sgemms at
/// ≈ 82 GFLOP/s (`kernelkit-bench pfn speed`); the column kernels run in C with AVX2/FMA when the CPU
/// has it (``FloatMatrix/columnKernelsUseAVX2``).
public struct PFNFloatTransformer: Sendable {
    /// The shape of the network.
    public let architecture: PFNArchitecture
    /// Weights (out × in) and biases/gains in the canonical tensor order, rounded to Float.
    let weights: [FloatMatrix]
    /// Maximum number of tokens processed together (whole datasets; a larger dataset is its own chunk).
    public var chunkTokens: Int

    /// The Float32 copy of a network's parameters (rounded to nearest). O(parameter count).
    public init(_ transformer: PFNTransformer, chunkTokens: Int = 512) {
        precondition(chunkTokens >= 1, "PFNFloatTransformer: chunkTokens must be ≥ 1")
        self.architecture = transformer.architecture
        self.weights = transformer.parameters.map { FloatMatrix($0) }
        self.chunkTokens = chunkTokens
    }

    /// Logits (K × Q, one column per query token in batch order), as ``PFNTransformer/logits(_:)``.
    public func logits(_ batch: PFNBatch) -> Matrix {
        precondition(batch.inputDimension == architecture.inputDimension, "PFNFloatTransformer: batch input dimension mismatch")
        let k = architecture.buckets
        var out = Matrix(rows: k, columns: batch.queryTokenCount)
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
            let logits = forwardChunk(batch, datasets: first..<last, workspace: &workspace)
            for i in 0..<logits.storage.count { out.storage[queryColumn * k + i] = Double(logits.storage[i]) }
            queryColumn += logits.columns
            first = last
        }
        return out
    }

    /// Reusable buffers (grown on demand, reused across chunks and layers).
    struct Workspace {
        var x = FloatMatrix(rows: 0, columns: 0), h = FloatMatrix(rows: 0, columns: 0)
        var qkv = FloatMatrix(rows: 0, columns: 0), attention = FloatMatrix(rows: 0, columns: 0)
        var hidden = FloatMatrix(rows: 0, columns: 0), scores = FloatMatrix(rows: 0, columns: 0)
        /// The last block's query-only buffers (kept apart so that chunks of equal size reuse every buffer).
        var xQuery = FloatMatrix(rows: 0, columns: 0), hQuery = FloatMatrix(rows: 0, columns: 0)
        var attentionQuery = FloatMatrix(rows: 0, columns: 0), hiddenQuery = FloatMatrix(rows: 0, columns: 0)

        /// Makes `m` a rows × columns matrix, reusing its storage when the size matches.
        static func shape(_ m: inout FloatMatrix, _ rows: Int, _ columns: Int) {
            if m.rows != rows || m.columns != columns { m = FloatMatrix(rows: rows, columns: columns) }
        }
    }

    /// Forward pass of datasets `range` of the batch: K × (their query count) Float logits.
    func forwardChunk(_ batch: PFNBatch, datasets range: Range<Int>, workspace w: inout Workspace) -> FloatMatrix {
        let a = architecture
        let d = a.modelDimension, dIn = a.inputDimension
        let epsilon = Float(PFNTransformer.layerNormEpsilon)
        let tokenBase = batch.offsets[range.lowerBound]
        var t = 0, queries = 0
        for b in range { t += batch.contextCounts[b] + batch.queryCounts[b]; queries += batch.queryCounts[b] }
        // Local layout: dataset b starts at column batch.offsets[b] − tokenBase; its queries occupy
        // columns queryOffset[b] … in the compact query matrices.
        var localStart: [Int] = [], queryOffset: [Int] = []
        var q = 0
        for b in range {
            localStart.append(batch.offsets[b] - tokenBase)
            queryOffset.append(q)
            q += batch.queryCounts[b]
        }
        Workspace.shape(&w.x, d, t)
        // Encoders: W_x x + b_x (+ w_y y + b_y for context points).
        let wx = weights[TensorIndex.inputWeight].storage, bx = weights[TensorIndex.inputBias].storage
        let wy = weights[TensorIndex.targetWeight].storage, by = weights[TensorIndex.targetBias].storage
        for (local, b) in range.enumerated() {
            let start = localStart[local], nc = batch.contextCounts[b], n = nc + batch.queryCounts[b]
            for j in start..<(start + n) {
                let global = j + tokenBase
                let base = j * d
                for i in 0..<d { w.x.storage[base + i] = bx[i] }
                for r in 0..<dIn {
                    let xr = Float(batch.inputs[global * dIn + r])
                    for i in 0..<d { w.x.storage[base + i] += wx[i + r * d] * xr }
                }
                if j < start + nc {
                    let y = Float(batch.targets[global])
                    for i in 0..<d { w.x.storage[base + i] += wy[i] * y + by[i] }
                }
            }
        }
        let datasets = (0..<range.count).map { local -> (start: Int, context: Int, queries: Int, queryOffset: Int) in
            let b = range.lowerBound + local
            return (localStart[local], batch.contextCounts[b], batch.queryCounts[b], queryOffset[local])
        }
        for l in 0..<a.layers {
            let p = TensorIndex.layer(l)
            let lastLayer = l == a.layers - 1
            // h = LN₁(x); qkv = W_qkv h + b_qkv.
            Workspace.shape(&w.h, d, t)
            w.x.normalizeColumns(gain: weights[p + TensorIndex.ln1Gain].storage, bias: weights[p + TensorIndex.ln1Bias].storage, epsilon: epsilon, into: &w.h)
            Workspace.shape(&w.qkv, 3 * d, t)
            w.qkv.setEachColumn(to: weights[p + TensorIndex.qkvBias].storage)
            BLAS.sgemm(.none, .none, weights[p + TensorIndex.qkvWeight], w.h, beta: 1, &w.qkv)
            if lastLayer {
                // Only the queries matter from here on: switch to the query-only buffers and gather
                // the queries' residual stream.
                swap(&w.attention, &w.attentionQuery)
                swap(&w.h, &w.hQuery)
                swap(&w.hidden, &w.hiddenQuery)
                Workspace.shape(&w.attention, d, queries)
                attend(&w, datasets: datasets, queriesOnly: true)
                Workspace.shape(&w.xQuery, d, queries)
                for ds in datasets {
                    for j in 0..<ds.queries {
                        let src = (ds.start + ds.context + j) * d, dst = (ds.queryOffset + j) * d
                        for i in 0..<d { w.xQuery.storage[dst + i] = w.x.storage[src + i] }
                    }
                }
                swap(&w.x, &w.xQuery)
            } else {
                Workspace.shape(&w.attention, d, t)
                attend(&w, datasets: datasets, queriesOnly: false)
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
        let f = TensorIndex.final(a.layers)
        Workspace.shape(&w.h, d, queries)
        w.x.normalizeColumns(gain: weights[f + TensorIndex.finalGain].storage, bias: weights[f + TensorIndex.finalBias].storage, epsilon: epsilon, into: &w.h)
        var logits = FloatMatrix(rows: a.buckets, columns: queries)
        logits.setEachColumn(to: weights[f + TensorIndex.headBias].storage)
        BLAS.sgemm(.none, .none, weights[f + TensorIndex.headWeight], w.h, beta: 1, &logits)
        swap(&w.x, &w.xQuery)
        swap(&w.attention, &w.attentionQuery)
        swap(&w.h, &w.hQuery)
        swap(&w.hidden, &w.hiddenQuery)
        return logits
    }

    /// Masked multi-head attention from w.qkv (3d × T) into w.attention: all tokens (d × T) or,
    /// with `queriesOnly`, the query tokens (d × Q, compact). Per dataset and head: scores
    /// S = K_cᵀ Q/√d_h (one sgemm) with a query's score against its own key as an extra row nc;
    /// column softmax (over nc rows for a context token, nc + 1 for a query); output V_c P (one sgemm)
    /// plus the query's self term P[nc, ·] v.
    func attend(_ w: inout Workspace, datasets: [(start: Int, context: Int, queries: Int, queryOffset: Int)], queriesOnly: Bool) {
        let d = architecture.modelDimension, heads = architecture.heads, dh = architecture.headDimension
        let scale = 1 / Float(dh).squareRoot()
        let ld = 3 * d
        for ds in datasets {
            let nc = ds.context, n = nc + ds.queries
            let firstToken = queriesOnly ? nc : 0
            let m = n - firstToken
            guard m > 0 else { continue }
            let outFirst = queriesOnly ? ds.queryOffset : ds.start
            let tokens = (ds.start + firstToken)..<(ds.start + n)
            let outColumns = outFirst..<(outFirst + m)
            let contextColumns = nc - firstToken  // columns of the scores that belong to context tokens
            Workspace.shape(&w.scores, nc + 1, m)
            for h in 0..<heads {
                let qRows = (h * dh)..<((h + 1) * dh), kRows = (d + h * dh)..<(d + (h + 1) * dh)
                let vRows = (2 * d + h * dh)..<(2 * d + (h + 1) * dh)
                let outRows = (h * dh)..<((h + 1) * dh)
                if nc > 0 {
                    BLAS.sgemm(.transpose, .none, alpha: scale, w.qkv, .init(rows: kRows, columns: ds.start..<(ds.start + nc)),
                               w.qkv, .init(rows: qRows, columns: tokens), &w.scores, .init(rows: 0..<nc, columns: 0..<m))
                }
                for c in contextColumns..<m {
                    let token = ds.start + firstToken + c
                    let qb = token * ld + h * dh, kb = token * ld + d + h * dh
                    var dot: Float = 0
                    for r in 0..<dh { dot += w.qkv.storage[qb + r] * w.qkv.storage[kb + r] }
                    w.scores.storage[c * (nc + 1) + nc] = scale * dot
                }
                if contextColumns > 0 { w.scores.softmaxColumns(.init(rows: 0..<nc, columns: 0..<contextColumns)) }
                w.scores.softmaxColumns(.init(rows: 0..<(nc + 1), columns: contextColumns..<m))
                if nc > 0 {
                    BLAS.sgemm(.none, .none, w.qkv, .init(rows: vRows, columns: ds.start..<(ds.start + nc)),
                               w.scores, .init(rows: 0..<nc, columns: 0..<m), &w.attention, .init(rows: outRows, columns: outColumns))
                } else {
                    for c in 0..<m {
                        for r in outRows { w.attention.storage[(outFirst + c) * d + r] = 0 }
                    }
                }
                for c in contextColumns..<m {
                    let token = ds.start + firstToken + c
                    let p = w.scores.storage[c * (nc + 1) + nc], vb = token * ld + 2 * d + h * dh, ob = (outFirst + c) * d + h * dh
                    for r in 0..<dh { w.attention.storage[ob + r] += p * w.qkv.storage[vb + r] }
                }
            }
        }
    }
}
