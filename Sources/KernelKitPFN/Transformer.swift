import Foundation
import KernelKitLinalg

/// The PFN transformer with a hand-written forward and backward pass (Float64, over dgemm).
///
/// Tokens (Müller et al., ICLR 2022): a context point (x, y) becomes W_x x + b_x + W_y y + b_y, a
/// query point W_x x + b_x; there is no positional encoding, so the prediction is invariant to the
/// order of the context. Each of the L pre-norm blocks computes
///
///     u = t + W_o · MHA(LN₁(t)) + b_o,      t' = u + W₂ · GELU(W₁ · LN₂(u) + b₁) + b₂,
///
/// with GELU(z) = z Φ(z) (exact, through erf). Attention is per dataset with the PFN mask: a context
/// token attends to every context token of its dataset, a query token to every context token and to
/// itself (never to another query), softmax(q·k/√d_h). The head maps LN_f(t) of each query token to
/// K logits of a ``BarDistribution``.
///
/// Layout: activations are d × T matrices (one column per token, T = all tokens of the batch), so
/// each linear layer is one dgemm over the whole batch; attention is two small dgemms per dataset and
/// head. Cost per forward pass: ≈ 2T(4d² + 2dh) + 4Σ_b n_b·nc_b·d flops (+ 2·K·d per query); the
/// backward pass is about twice that. Deterministic: no randomness after initialisation.
public struct PFNTransformer: Sendable {
    /// The shape of the network.
    public let architecture: PFNArchitecture
    /// Parameter tensors in the canonical order of `PFNArchitecture` (weights are out × in).
    public var parameters: [Matrix]

    /// A freshly initialised network: weights N(0, 1/fan_in) (the residual output projections W_o,
    /// W₂ additionally scaled by 1/√(2L), the head by 0.1 so the initial prediction is close to the
    /// prior marginal), biases 0, layer-norm gains 1. Deterministic given the seed.
    /// Precondition: a valid architecture (see ``PFNArchitecture/validate()``).
    public init(architecture: PFNArchitecture, seed: UInt64) {
        precondition((try? architecture.validate()) != nil, "PFNTransformer: invalid architecture")
        self.architecture = architecture
        var g = SeededGenerator(seed: seed)
        let shapes = architecture.tensorShapes
        let depthScale = 1 / (2 * Double(architecture.layers)).squareRoot()
        var tensors: [Matrix] = []
        for (i, s) in shapes.enumerated() {
            var m = Matrix(rows: s.rows, columns: s.columns)
            let isGain: Bool
            let local: Int
            if i >= 4 && i < TensorIndex.final(architecture.layers) {
                local = (i - 4) % TensorIndex.perLayer
                isGain = local == TensorIndex.ln1Gain || local == TensorIndex.ln2Gain
            } else {
                local = -1
                isGain = i == TensorIndex.final(architecture.layers) + TensorIndex.finalGain
            }
            if isGain {
                m = Matrix(rows: s.rows, columns: 1, repeating: 1)
            } else if s.columns > 1 || i == TensorIndex.targetWeight || (i == TensorIndex.inputWeight) {
                var std = 1 / Double(s.columns).squareRoot()
                if local == TensorIndex.outWeight || local == TensorIndex.mlpWeight2 { std *= depthScale }
                if i == TensorIndex.final(architecture.layers) + TensorIndex.headWeight { std *= 0.1 }
                for k in m.storage.indices { m.storage[k] = std * g.standardNormal() }
            }
            tensors.append(m)
        }
        self.parameters = tensors
    }

    /// A network with the given parameters. - Throws: ``PFNError/invalidInput(_:)`` when the number
    /// or shapes of the tensors do not match the architecture, or a value is not finite.
    public init(architecture: PFNArchitecture, parameters: [Matrix]) throws {
        try architecture.validate()
        let shapes = architecture.tensorShapes
        guard parameters.count == shapes.count else {
            throw PFNError.invalidInput("expected \(shapes.count) parameter tensors, got \(parameters.count)")
        }
        for (i, (p, s)) in zip(parameters, shapes).enumerated() where p.rows != s.rows || p.columns != s.columns {
            throw PFNError.invalidInput("parameter tensor \(i) is \(p.rows)×\(p.columns), expected \(s.rows)×\(s.columns)")
        }
        guard parameters.allSatisfy({ $0.isFinite }) else { throw PFNError.invalidInput("parameters must be finite") }
        self.architecture = architecture
        self.parameters = parameters
    }

    /// Logits (K × Q, one column per query token in batch order) for a batch. Cost: see the type.
    public func logits(_ batch: PFNBatch) -> Matrix {
        var cache = ForwardCache()
        return forward(batch, cache: &cache, keep: false)
    }

    /// Mean over datasets with queries of the mean negative log density (under the bar
    /// distribution) of their query targets, and its gradient with respect to every parameter.
    /// Returns loss 0 and zero gradients when no dataset has a query.
    public func lossAndGradient(_ batch: PFNBatch, bar: BarDistribution) -> (loss: Double, gradient: [Matrix]) {
        precondition(bar.bucketCount == architecture.buckets, "lossAndGradient: bucket count mismatch")
        var cache = ForwardCache()
        let logits = forward(batch, cache: &cache, keep: true)
        let (loss, dLogits) = Self.barLoss(logits, batch: batch, bar: bar)
        return (loss, backward(batch, cache: cache, dLogits: dLogits))
    }

    /// Mean negative log density of the query targets (same weighting as ``lossAndGradient(_:bar:)``).
    public func loss(_ batch: PFNBatch, bar: BarDistribution) -> Double {
        Self.barLoss(logits(batch), batch: batch, bar: bar).loss
    }

    /// Per-dataset-mean NLL and its gradient with respect to the logits.
    static func barLoss(_ logits: Matrix, batch: PFNBatch, bar: BarDistribution) -> (loss: Double, dLogits: Matrix) {
        let k = logits.rows
        var d = Matrix(rows: k, columns: logits.columns)
        let targets = batch.queryTargets
        let used = batch.queryCounts.filter { $0 > 0 }.count
        guard used > 0 else { return (0, d) }
        var total = 0.0
        var q = 0
        for b in 0..<batch.datasetCount {
            let nq = batch.queryCounts[b]
            guard nq > 0 else { continue }
            let weight = 1 / (Double(nq) * Double(used))
            for _ in 0..<nq {
                let column = logits.storage[(q * k)..<((q + 1) * k)]
                let p = BarDistribution.probabilities(logits: column)
                let (bucket, within) = bar.logDensityWithinBucket(targets[q])
                total -= weight * (Foundation.log(p[bucket]) + within)
                for i in 0..<k { d.storage[q * k + i] = weight * (p[i] - (i == bucket ? 1 : 0)) }
                q += 1
            }
        }
        return (total, d)
    }

    // MARK: Forward

    /// Activations kept for the backward pass.
    struct LayerCache {
        var input = Matrix(rows: 0, columns: 0)
        var norm1 = Matrix(rows: 0, columns: 0), rstd1: [Double] = [], h1 = Matrix(rows: 0, columns: 0)
        var qkv = Matrix(rows: 0, columns: 0)
        var probabilities: [[Double]] = [], selfProbabilities: [[Double]] = []
        var attention = Matrix(rows: 0, columns: 0)
        var middle = Matrix(rows: 0, columns: 0)
        var norm2 = Matrix(rows: 0, columns: 0), rstd2: [Double] = [], h2 = Matrix(rows: 0, columns: 0)
        var preActivation = Matrix(rows: 0, columns: 0), activation = Matrix(rows: 0, columns: 0)
    }

    struct ForwardCache {
        var layers: [LayerCache] = []
        var finalNorm = Matrix(rows: 0, columns: 0), finalRstd: [Double] = []
        var queryFeatures = Matrix(rows: 0, columns: 0)
    }

    /// Column indices of the query tokens.
    static func queryColumns(_ batch: PFNBatch) -> [Int] {
        var out: [Int] = []
        for b in 0..<batch.datasetCount {
            let start = batch.offsets[b] + batch.contextCounts[b]
            out += Array(start..<(start + batch.queryCounts[b]))
        }
        return out
    }

    func forward(_ batch: PFNBatch, cache: inout ForwardCache, keep: Bool) -> Matrix {
        let a = architecture
        let d = a.modelDimension, t = batch.tokenCount
        precondition(batch.inputDimension == a.inputDimension, "PFNTransformer: batch input dimension mismatch")
        // Encoders.
        let x = Matrix(rows: a.inputDimension, columns: t, columnMajor: batch.inputs)
        var tokens = Matrix(rows: d, columns: t)
        BLAS.gemm(.none, .none, parameters[TensorIndex.inputWeight], x, &tokens)
        let bx = parameters[TensorIndex.inputBias].storage
        let wy = parameters[TensorIndex.targetWeight].storage, by = parameters[TensorIndex.targetBias].storage
        for b in 0..<batch.datasetCount {
            let start = batch.offsets[b], nc = batch.contextCounts[b], n = nc + batch.queryCounts[b]
            for j in start..<(start + n) {
                let base = j * d
                if j < start + nc {
                    let y = batch.targets[j]
                    for i in 0..<d { tokens.storage[base + i] += bx[i] + wy[i] * y + by[i] }
                } else {
                    for i in 0..<d { tokens.storage[base + i] += bx[i] }
                }
            }
        }
        if keep { cache.layers.reserveCapacity(a.layers) }
        for l in 0..<a.layers {
            let p = TensorIndex.layer(l)
            var lc = LayerCache()
            if keep { lc.input = tokens }
            let (n1, r1) = Self.normalize(tokens)
            let h1 = Self.affine(n1, gain: parameters[p + TensorIndex.ln1Gain], bias: parameters[p + TensorIndex.ln1Bias])
            var qkv = Matrix(rows: 3 * d, columns: t)
            BLAS.gemm(.none, .none, parameters[p + TensorIndex.qkvWeight], h1, &qkv)
            Self.addBias(&qkv, parameters[p + TensorIndex.qkvBias])
            let (attention, probabilities, selfProbabilities) = attend(qkv, batch)
            var u = tokens
            BLAS.gemm(.none, .none, parameters[p + TensorIndex.outWeight], attention, beta: 1, &u)
            Self.addBias(&u, parameters[p + TensorIndex.outBias])
            let (n2, r2) = Self.normalize(u)
            let h2 = Self.affine(n2, gain: parameters[p + TensorIndex.ln2Gain], bias: parameters[p + TensorIndex.ln2Bias])
            var pre = Matrix(rows: a.hiddenDimension, columns: t)
            BLAS.gemm(.none, .none, parameters[p + TensorIndex.mlpWeight1], h2, &pre)
            Self.addBias(&pre, parameters[p + TensorIndex.mlpBias1])
            let act = Self.gelu(pre)
            tokens = u
            BLAS.gemm(.none, .none, parameters[p + TensorIndex.mlpWeight2], act, beta: 1, &tokens)
            Self.addBias(&tokens, parameters[p + TensorIndex.mlpBias2])
            if keep {
                lc.norm1 = n1; lc.rstd1 = r1; lc.h1 = h1; lc.qkv = qkv
                lc.probabilities = probabilities; lc.selfProbabilities = selfProbabilities
                lc.attention = attention; lc.middle = u; lc.norm2 = n2; lc.rstd2 = r2; lc.h2 = h2
                lc.preActivation = pre; lc.activation = act
                cache.layers.append(lc)
            }
        }
        // Head on the query tokens only.
        let f = TensorIndex.final(a.layers)
        let columns = Self.queryColumns(batch)
        var queryTokens = Matrix(rows: d, columns: columns.count)
        for (c, j) in columns.enumerated() {
            for i in 0..<d { queryTokens.storage[c * d + i] = tokens.storage[j * d + i] }
        }
        let (nf, rf) = Self.normalize(queryTokens)
        let z = Self.affine(nf, gain: parameters[f + TensorIndex.finalGain], bias: parameters[f + TensorIndex.finalBias])
        var logits = Matrix(rows: a.buckets, columns: columns.count)
        BLAS.gemm(.none, .none, parameters[f + TensorIndex.headWeight], z, &logits)
        Self.addBias(&logits, parameters[f + TensorIndex.headBias])
        if keep { cache.finalNorm = nf; cache.finalRstd = rf; cache.queryFeatures = z }
        return logits
    }

    /// Masked multi-head attention over qkv (3d × T): returns the concatenated head outputs
    /// (d × T), and per (dataset, head) the probabilities over context keys (nc × n, column i for
    /// token i) and the self-probabilities of the query tokens.
    func attend(_ qkv: Matrix, _ batch: PFNBatch) -> (Matrix, [[Double]], [[Double]]) {
        let d = architecture.modelDimension, heads = architecture.heads, dh = architecture.headDimension
        let scale = 1 / Double(dh).squareRoot()
        var out = Matrix(rows: d, columns: qkv.columns)
        var probabilities: [[Double]] = [], selfProbabilities: [[Double]] = []
        probabilities.reserveCapacity(batch.datasetCount * heads)
        var qb: [Double] = [], kb: [Double] = [], vb: [Double] = []
        for b in 0..<batch.datasetCount {
            let start = batch.offsets[b], nc = batch.contextCounts[b], nq = batch.queryCounts[b], n = nc + nq
            let cols = start..<(start + n)
            for h in 0..<heads {
                qkv.copyBlock(rows: (h * dh)..<((h + 1) * dh), columns: cols, into: &qb)
                qkv.copyBlock(rows: (d + h * dh)..<(d + (h + 1) * dh), columns: cols, into: &kb)
                qkv.copyBlock(rows: (2 * d + h * dh)..<(2 * d + (h + 1) * dh), columns: cols, into: &vb)
                let q = Matrix(rows: dh, columns: n, columnMajor: qb)
                let kc = Matrix(rows: dh, columns: nc, columnMajor: Array(kb[0..<(dh * nc)]))
                let vc = Matrix(rows: dh, columns: nc, columnMajor: Array(vb[0..<(dh * nc)]))
                var s = Matrix(rows: nc, columns: n)
                BLAS.gemm(.transpose, .none, alpha: scale, kc, q, &s)
                var selfP = [Double](repeating: 0, count: nq)
                for i in 0..<n {
                    let base = i * nc
                    var m = -Double.infinity
                    for k in 0..<nc { m = max(m, s.storage[base + k]) }
                    var selfScore = -Double.infinity
                    if i >= nc {
                        var dot = 0.0
                        for r in 0..<dh { dot += qb[i * dh + r] * kb[i * dh + r] }
                        selfScore = scale * dot
                        m = max(m, selfScore)
                    }
                    var sum = 0.0
                    for k in 0..<nc {
                        let e = Foundation.exp(s.storage[base + k] - m)
                        s.storage[base + k] = e
                        sum += e
                    }
                    var eSelf = 0.0
                    if i >= nc { eSelf = Foundation.exp(selfScore - m); sum += eSelf }
                    let inv = 1 / sum
                    for k in 0..<nc { s.storage[base + k] *= inv }
                    if i >= nc { selfP[i - nc] = eSelf * inv }
                }
                var o = Matrix(rows: dh, columns: n)
                BLAS.gemm(.none, .none, vc, s, &o)
                for j in 0..<nq {
                    let i = nc + j, w = selfP[j]
                    for r in 0..<dh { o.storage[i * dh + r] += w * vb[i * dh + r] }
                }
                out.setBlock(rows: (h * dh)..<((h + 1) * dh), columns: cols, from: o.storage)
                probabilities.append(s.storage)
                selfProbabilities.append(selfP)
            }
        }
        return (out, probabilities, selfProbabilities)
    }

    // MARK: Backward

    func backward(_ batch: PFNBatch, cache: ForwardCache, dLogits: Matrix) -> [Matrix] {
        let a = architecture
        let d = a.modelDimension, t = batch.tokenCount
        var grads = parameters.map { Matrix(rows: $0.rows, columns: $0.columns) }
        let f = TensorIndex.final(a.layers)
        // Head.
        BLAS.gemm(.none, .transpose, dLogits, cache.queryFeatures, &grads[f + TensorIndex.headWeight])
        Self.accumulateBias(&grads[f + TensorIndex.headBias], dLogits)
        var dz = Matrix(rows: d, columns: dLogits.columns)
        BLAS.gemm(.transpose, .none, parameters[f + TensorIndex.headWeight], dLogits, &dz)
        let dQueryTokens = Self.affineNormalizeBackward(dz, normalized: cache.finalNorm, rstd: cache.finalRstd,
                                                        gain: parameters[f + TensorIndex.finalGain],
                                                        gradients: &grads, gainIndex: f + TensorIndex.finalGain, biasIndex: f + TensorIndex.finalBias)
        var dTokens = Matrix(rows: d, columns: t)
        for (c, j) in Self.queryColumns(batch).enumerated() {
            for i in 0..<d { dTokens.storage[j * d + i] = dQueryTokens.storage[c * d + i] }
        }
        for l in stride(from: a.layers - 1, through: 0, by: -1) {
            let p = TensorIndex.layer(l)
            let lc = cache.layers[l]
            // MLP: tokens = u + W₂ act + b₂.
            BLAS.gemm(.none, .transpose, dTokens, lc.activation, &grads[p + TensorIndex.mlpWeight2])
            Self.accumulateBias(&grads[p + TensorIndex.mlpBias2], dTokens)
            var dAct = Matrix(rows: a.hiddenDimension, columns: t)
            BLAS.gemm(.transpose, .none, parameters[p + TensorIndex.mlpWeight2], dTokens, &dAct)
            let dPre = Self.geluBackward(dAct, lc.preActivation)
            BLAS.gemm(.none, .transpose, dPre, lc.h2, &grads[p + TensorIndex.mlpWeight1])
            Self.accumulateBias(&grads[p + TensorIndex.mlpBias1], dPre)
            var dh2 = Matrix(rows: d, columns: t)
            BLAS.gemm(.transpose, .none, parameters[p + TensorIndex.mlpWeight1], dPre, &dh2)
            let dU2 = Self.affineNormalizeBackward(dh2, normalized: lc.norm2, rstd: lc.rstd2,
                                                   gain: parameters[p + TensorIndex.ln2Gain],
                                                   gradients: &grads, gainIndex: p + TensorIndex.ln2Gain, biasIndex: p + TensorIndex.ln2Bias)
            var dU = dTokens
            for i in dU.storage.indices { dU.storage[i] += dU2.storage[i] }
            // Attention: u = input + W_o attention + b_o.
            BLAS.gemm(.none, .transpose, dU, lc.attention, &grads[p + TensorIndex.outWeight])
            Self.accumulateBias(&grads[p + TensorIndex.outBias], dU)
            var dAttention = Matrix(rows: d, columns: t)
            BLAS.gemm(.transpose, .none, parameters[p + TensorIndex.outWeight], dU, &dAttention)
            let dQKV = attendBackward(dAttention, lc, batch)
            BLAS.gemm(.none, .transpose, dQKV, lc.h1, &grads[p + TensorIndex.qkvWeight])
            Self.accumulateBias(&grads[p + TensorIndex.qkvBias], dQKV)
            var dh1 = Matrix(rows: d, columns: t)
            BLAS.gemm(.transpose, .none, parameters[p + TensorIndex.qkvWeight], dQKV, &dh1)
            let dIn1 = Self.affineNormalizeBackward(dh1, normalized: lc.norm1, rstd: lc.rstd1,
                                                    gain: parameters[p + TensorIndex.ln1Gain],
                                                    gradients: &grads, gainIndex: p + TensorIndex.ln1Gain, biasIndex: p + TensorIndex.ln1Bias)
            dTokens = dU
            for i in dTokens.storage.indices { dTokens.storage[i] += dIn1.storage[i] }
        }
        // Encoders.
        let x = Matrix(rows: a.inputDimension, columns: t, columnMajor: batch.inputs)
        BLAS.gemm(.none, .transpose, dTokens, x, &grads[TensorIndex.inputWeight])
        Self.accumulateBias(&grads[TensorIndex.inputBias], dTokens)
        for b in 0..<batch.datasetCount {
            let start = batch.offsets[b]
            for j in start..<(start + batch.contextCounts[b]) {
                let y = batch.targets[j]
                for i in 0..<d {
                    let g = dTokens.storage[j * d + i]
                    grads[TensorIndex.targetWeight].storage[i] += g * y
                    grads[TensorIndex.targetBias].storage[i] += g
                }
            }
        }
        return grads
    }

    /// Gradient with respect to qkv (3d × T) of the masked attention, given the gradient of its output.
    func attendBackward(_ dOut: Matrix, _ lc: LayerCache, _ batch: PFNBatch) -> Matrix {
        let d = architecture.modelDimension, heads = architecture.heads, dh = architecture.headDimension
        let scale = 1 / Double(dh).squareRoot()
        var dqkv = Matrix(rows: 3 * d, columns: dOut.columns)
        var qb: [Double] = [], kb: [Double] = [], vb: [Double] = [], db: [Double] = []
        var index = 0
        for b in 0..<batch.datasetCount {
            let start = batch.offsets[b], nc = batch.contextCounts[b], nq = batch.queryCounts[b], n = nc + nq
            let cols = start..<(start + n)
            for h in 0..<heads {
                defer { index += 1 }
                lc.qkv.copyBlock(rows: (h * dh)..<((h + 1) * dh), columns: cols, into: &qb)
                lc.qkv.copyBlock(rows: (d + h * dh)..<(d + (h + 1) * dh), columns: cols, into: &kb)
                lc.qkv.copyBlock(rows: (2 * d + h * dh)..<(2 * d + (h + 1) * dh), columns: cols, into: &vb)
                dOut.copyBlock(rows: (h * dh)..<((h + 1) * dh), columns: cols, into: &db)
                let q = Matrix(rows: dh, columns: n, columnMajor: qb)
                let kc = Matrix(rows: dh, columns: nc, columnMajor: Array(kb[0..<(dh * nc)]))
                let vc = Matrix(rows: dh, columns: nc, columnMajor: Array(vb[0..<(dh * nc)]))
                let dO = Matrix(rows: dh, columns: n, columnMajor: db)
                let pc = Matrix(rows: nc, columns: n, columnMajor: lc.probabilities[index])
                let selfP = lc.selfProbabilities[index]
                // O = V_c P + self terms.
                var dP = Matrix(rows: nc, columns: n)
                BLAS.gemm(.transpose, .none, vc, dO, &dP)
                var dVc = Matrix(rows: dh, columns: nc)
                BLAS.gemm(.none, .transpose, dO, pc, &dVc)
                var dq = [Double](repeating: 0, count: dh * n)
                var dk = [Double](repeating: 0, count: dh * n)
                var dv = [Double](repeating: 0, count: dh * n)
                for i in 0..<(dh * nc) { dv[i] = dVc.storage[i] }
                // Softmax backward, column by column.
                var dS = dP
                var dSelf = [Double](repeating: 0, count: nq)
                for i in 0..<n {
                    let base = i * nc
                    var c = 0.0
                    for k in 0..<nc { c += pc.storage[base + k] * dP.storage[base + k] }
                    var dpSelf = 0.0
                    if i >= nc {
                        for r in 0..<dh { dpSelf += vb[i * dh + r] * db[i * dh + r] }
                        c += selfP[i - nc] * dpSelf
                        for r in 0..<dh { dv[i * dh + r] += selfP[i - nc] * db[i * dh + r] }
                    }
                    for k in 0..<nc { dS.storage[base + k] = pc.storage[base + k] * (dP.storage[base + k] - c) }
                    if i >= nc { dSelf[i - nc] = selfP[i - nc] * (dpSelf - c) }
                }
                // S = scale K_cᵀ Q.
                var dQ = Matrix(rows: dh, columns: n)
                BLAS.gemm(.none, .none, alpha: scale, kc, dS, &dQ)
                var dKc = Matrix(rows: dh, columns: nc)
                BLAS.gemm(.none, .transpose, alpha: scale, q, dS, &dKc)
                for i in 0..<(dh * n) { dq[i] = dQ.storage[i] }
                for i in 0..<(dh * nc) { dk[i] = dKc.storage[i] }
                for j in 0..<nq {
                    let i = nc + j, g = scale * dSelf[j]
                    for r in 0..<dh {
                        dq[i * dh + r] += g * kb[i * dh + r]
                        dk[i * dh + r] += g * qb[i * dh + r]
                    }
                }
                dqkv.setBlock(rows: (h * dh)..<((h + 1) * dh), columns: cols, from: dq)
                dqkv.setBlock(rows: (d + h * dh)..<(d + (h + 1) * dh), columns: cols, from: dk)
                dqkv.setBlock(rows: (2 * d + h * dh)..<(2 * d + (h + 1) * dh), columns: cols, from: dv)
            }
        }
        return dqkv
    }

    // MARK: Elementwise pieces

    static let layerNormEpsilon = 1e-5

    /// Column-wise standardisation (x − mean)/√(var + ε) and the reciprocal standard deviations.
    static func normalize(_ x: Matrix) -> (Matrix, [Double]) {
        let d = x.rows
        var out = x
        var rstd = [Double](repeating: 0, count: x.columns)
        for j in 0..<x.columns {
            let base = j * d
            var mean = 0.0
            for i in 0..<d { mean += x.storage[base + i] }
            mean /= Double(d)
            var variance = 0.0
            for i in 0..<d { let c = x.storage[base + i] - mean; variance += c * c }
            variance /= Double(d)
            let r = 1 / (variance + layerNormEpsilon).squareRoot()
            rstd[j] = r
            for i in 0..<d { out.storage[base + i] = (x.storage[base + i] - mean) * r }
        }
        return (out, rstd)
    }

    /// γ ⊙ x̂ + β column by column.
    static func affine(_ normalized: Matrix, gain: Matrix, bias: Matrix) -> Matrix {
        let d = normalized.rows
        var out = normalized
        for j in 0..<normalized.columns {
            let base = j * d
            for i in 0..<d { out.storage[base + i] = gain.storage[i] * normalized.storage[base + i] + bias.storage[i] }
        }
        return out
    }

    /// Backward of y = γ ⊙ LN(x) + β: accumulates dγ, dβ and returns
    /// dx = rstd·(g − mean(g) − x̂·mean(g ⊙ x̂)) with g = γ ⊙ dy.
    static func affineNormalizeBackward(_ dy: Matrix, normalized: Matrix, rstd: [Double], gain: Matrix,
                                        gradients: inout [Matrix], gainIndex: Int, biasIndex: Int) -> Matrix {
        let d = dy.rows
        var dGain = gradients[gainIndex], dBias = gradients[biasIndex]
        defer { gradients[gainIndex] = dGain; gradients[biasIndex] = dBias }
        var dx = Matrix(rows: d, columns: dy.columns)
        var g = [Double](repeating: 0, count: d)
        for j in 0..<dy.columns {
            let base = j * d
            var meanG = 0.0, meanGX = 0.0
            for i in 0..<d {
                let dyi = dy.storage[base + i], xh = normalized.storage[base + i]
                dGain.storage[i] += dyi * xh
                dBias.storage[i] += dyi
                g[i] = gain.storage[i] * dyi
                meanG += g[i]
                meanGX += g[i] * xh
            }
            meanG /= Double(d)
            meanGX /= Double(d)
            for i in 0..<d {
                dx.storage[base + i] = rstd[j] * (g[i] - meanG - normalized.storage[base + i] * meanGX)
            }
        }
        return dx
    }

    static func addBias(_ y: inout Matrix, _ bias: Matrix) {
        let r = y.rows
        for j in 0..<y.columns {
            for i in 0..<r { y.storage[j * r + i] += bias.storage[i] }
        }
    }

    static func accumulateBias(_ db: inout Matrix, _ dy: Matrix) {
        let r = dy.rows
        for j in 0..<dy.columns {
            for i in 0..<r { db.storage[i] += dy.storage[j * r + i] }
        }
    }

    /// GELU(z) = z Φ(z) = ½ z (1 + erf(z/√2)), vectorised erf.
    static func gelu(_ z: Matrix) -> Matrix {
        var e = z.storage.map { $0 * 0.5.squareRoot() }
        VectorMath.erf(&e)
        var out = z
        for i in out.storage.indices { out.storage[i] = 0.5 * z.storage[i] * (1 + e[i]) }
        return out
    }

    /// d GELU/dz = Φ(z) + z φ(z), times the incoming gradient.
    static func geluBackward(_ dy: Matrix, _ z: Matrix) -> Matrix {
        var e = z.storage.map { $0 * 0.5.squareRoot() }
        VectorMath.erf(&e)
        var g = z.storage.map { -0.5 * $0 * $0 }
        VectorMath.exp(&g)
        let c = 1 / (2 * Double.pi).squareRoot()
        var out = dy
        for i in out.storage.indices {
            let zi = z.storage[i]
            out.storage[i] = dy.storage[i] * (0.5 * (1 + e[i]) + zi * c * g[i])
        }
        return out
    }
}
