import Foundation
import KernelKit

// kernelkit-bench pfn accuracy [MODEL] [datasets] [seed]
//     NLL of the PFN vs the exact GP posterior predictive on fresh datasets of the model's GP prior
//     (context sizes i mod 50), overall and by context-size band; one JSON line per band + summary.
// kernelkit-bench pfn accuracy-sizes [MODEL] [datasets] [seed]
//     The same comparison per single context size (0 … 49): mean gap and its standard error.
// kernelkit-bench pfn speed [MODEL] [datasets] [reps]
//     CPU µs per 50-point dataset (25 context + 25 query points): PFN batched forward pass vs exact GP
//     (Cholesky of the context + predictive mean/variance at the queries); the Float32 logits alone
//     per chunk size; the floor set by the pass's sgemms alone (same shapes, OpenBLAS).
// kernelkit-bench pfn lc [MODEL] [curves] [seed] [chains] [burn-in] [samples per chain]
//     LC-PFN vs elliptical-slice MCMC (default 4 chains × (500 + 500)) on fresh curves of the
//     learning-curve prior, cut after 1 + (i mod 49) epochs: NLL of the remaining epochs and time per
//     curve (PFN: share of one batched pass). The curves depend only on the seed, not on the MCMC budget.
// kernelkit-bench pfn profile [MODEL] [datasets] [seconds]
//     The Float32 forward pass of `speed` (512-token chunks) repeated for the given CPU seconds
//     (default 10), for a sampling profiler (`perf record`); prints the µs per dataset.
// MODEL defaults to the shipped model of the prior ("-" also selects it).

func benchPFN(_ args: [String]) throws {
    MemoryTuning.keepLargeAllocationsOnHeap()
    let mode = args.first ?? "speed"
    if mode == "lc" {
        let model = try args.count > 1 && args[1] != "-" ? PFNModel(contentsOf: args[1]) : PFNShippedModels.learningCurve()
        guard let prior = try model.prior.makePrior() as? LearningCurvePrior else {
            throw PFNError.invalidInput("pfn lc needs a learning-curve model")
        }
        let count = args.count > 2 ? Int(args[2]) ?? 98 : 98
        let seed = args.count > 3 ? UInt64(args[3]) ?? 20_261_124 : 20_261_124
        let chains = args.count > 4 ? Int(args[4]) ?? 4 : 4
        let burnIn = args.count > 5 ? Int(args[5]) ?? 500 : 500
        let samples = args.count > 6 ? Int(args[6]) ?? 500 : 500
        let rows = try PFNEvaluation.compareWithMCMC(model: model, prior: prior, curves: count, seed: seed,
                                                     mcmc: LearningCurveMCMC(prior: prior, chains: chains, burnIn: burnIn,
                                                                             samplesPerChain: samples))
        for band in stride(from: 1, to: prior.epochs, by: 10) {
            let r = rows.filter { $0.observedEpochs >= band && $0.observedEpochs < band + 10 }
            guard !r.isEmpty else { continue }
            let m = Double(r.count)
            print(String(format: "{\"observed\": \"%d-%d\", \"curves\": %d, \"pfn_nll\": %.4f, \"mcmc_nll\": %.4f}",
                         band, band + 9, r.count, r.reduce(0) { $0 + $1.pfnNLL } / m, r.reduce(0) { $0 + $1.mcmcNLL } / m))
        }
        let m = Double(rows.count)
        let pfnTime = rows.reduce(0) { $0 + $1.pfnSeconds } / m, mcmcTime = rows.reduce(0) { $0 + $1.mcmcSeconds } / m
        print(String(format: "{\"name\": \"lc-pfn-vs-mcmc\", \"mcmc\": \"%dx(%d+%d)\", \"curves\": %d, \"pfn_nll\": %.4f, \"mcmc_nll\": %.4f, \"pfn_ms_per_curve\": %.3f, \"mcmc_ms_per_curve\": %.1f, \"speedup\": %.0f}",
                     chains, burnIn, samples, rows.count, rows.reduce(0) { $0 + $1.pfnNLL } / m, rows.reduce(0) { $0 + $1.mcmcNLL } / m,
                     1000 * pfnTime, 1000 * mcmcTime, mcmcTime / pfnTime))
        return
    }
    let model = try args.count > 1 && args[1] != "-" ? PFNModel(contentsOf: args[1]) : PFNShippedModels.gaussianProcess()
    guard let prior = try model.prior.makePrior() as? GaussianProcessPrior else {
        throw PFNError.invalidInput("the PFN benchmark needs a GP-prior model")
    }
    switch mode {
    case "accuracy":
        let count = args.count > 2 ? Int(args[2]) ?? 200 : 200
        let seed = args.count > 3 ? UInt64(args[3]) ?? 20_261_123 : 20_261_123
        let rows = try PFNEvaluation.compareWithExactGP(model: model, prior: prior, datasets: count, seed: seed)
        for band in stride(from: 0, to: prior.pointsPerDataset, by: 5) {
            let r = rows.filter { $0.contextSize >= band && $0.contextSize < band + 5 }
            let s = PFNEvaluation.summary(r)
            print(String(format: "{\"context\": \"%d-%d\", \"datasets\": %d, \"pfn_nll\": %.4f, \"gp_nll\": %.4f, \"gap\": %.4f}",
                         band, band + 4, r.count, s.pfn, s.exact, s.gap))
        }
        let worst = Dictionary(grouping: rows, by: \.contextSize).map { PFNEvaluation.summary($0.value).gap }.max() ?? 0
        let s = PFNEvaluation.summary(rows)
        print(String(format: "{\"name\": \"pfn-accuracy\", \"datasets\": %d, \"pfn_nll\": %.4f, \"gp_nll\": %.4f, \"gap\": %.4f, \"worst_context_gap\": %.4f}",
                     rows.count, s.pfn, s.exact, s.gap, worst))
    case "accuracy-sizes":
        // Per context size: mean gap (PFN − exact NLL) over its datasets and the standard error of
        // that mean, sd/√m; then the worst size and the mean gap.
        let count = args.count > 2 ? Int(args[2]) ?? 2000 : 2000
        let seed = args.count > 3 ? UInt64(args[3]) ?? 20_261_125 : 20_261_125
        let rows = try PFNEvaluation.compareWithExactGP(model: model, prior: prior, datasets: count, seed: seed)
        var worst = (size: 0, gap: -Double.infinity, se: 0.0)
        for size in 0..<prior.pointsPerDataset {
            let gaps = rows.filter { $0.contextSize == size }.map { $0.pfnNLL - $0.exactNLL }
            guard gaps.count > 1 else { continue }
            let m = Double(gaps.count)
            let mean = gaps.reduce(0, +) / m
            let se = (gaps.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (m - 1) / m).squareRoot()
            if mean > worst.gap { worst = (size, mean, se) }
            print(String(format: "{\"context\": %d, \"datasets\": %d, \"gap\": %.4f, \"se\": %.4f}", size, gaps.count, mean, se))
        }
        let s = PFNEvaluation.summary(rows)
        print(String(format: "{\"name\": \"pfn-accuracy-sizes\", \"datasets\": %d, \"pfn_nll\": %.4f, \"gp_nll\": %.4f, \"gap\": %.4f, \"worst_context\": %d, \"worst_gap\": %.4f, \"worst_se\": %.4f}",
                     rows.count, s.pfn, s.exact, s.gap, worst.size, worst.gap, worst.se))
    case "profile":
        let count = args.count > 2 ? Int(args[2]) ?? 200 : 200
        let seconds = args.count > 3 ? Double(args[3]) ?? 10 : 10
        let (_, batch) = try speedBatch(prior, count)
        let engine = PFNFloatTransformer(model.transformer)
        let start = cpuSeconds()
        var passes = 0
        while cpuSeconds() - start < seconds { _ = engine.logits(batch); passes += 1 }
        print(String(format: "{\"name\": \"pfn-float32-profile\", \"passes\": %d, \"us_per_dataset\": %.1f}",
                     passes, 1e6 * (cpuSeconds() - start) / Double(passes * count)))
    case "speed":
        let count = args.count > 2 ? Int(args[2]) ?? 200 : 200
        let reps = args.count > 3 ? Int(args[3]) ?? 5 : 5
        let (data, batch) = try speedBatch(prior, count)
        let nc = prior.pointsPerDataset / 2, d = prior.inputDimension
        let pfn = best(reps) { _ = model.predict(batch) }
        emit("pfn-forward-per-dataset-us", count, 1e6 * pfn / Double(count))
        // Work of one dataset (n = 50 tokens, nc = 25 context): linear layers 2n(4d² + 2dh) per block
        // (the first block's qkv projection folded into 2n·3d·(D + 3), see PFNFloatTransformer; the
        // last block: only the queries go past the qkv projection), attention 4·n·nc·d per block
        // (queries only in the last), head 2·K·d per query.
        let a = model.architecture, n = Double(prior.pointsPerDataset), c = Double(nc)
        let dm = Double(a.modelDimension), h = Double(a.hiddenDimension), layers = Double(a.layers)
        let folded = 2 * n * 3 * dm * (Double(a.inputDimension + 3) - dm)
        let linear = 2 * n * (4 * dm * dm + 2 * dm * h) * (layers - 1) + 2 * n * 3 * dm * dm + 2 * (n - c) * (dm * dm + 2 * dm * h) + folded
        let attention = 4 * n * c * dm * (layers - 1) + 4 * (n - c) * c * dm
        let flops = linear + attention + 2 * (n - c) * Double(a.buckets) * dm
        print(String(format: "{\"name\": \"pfn-forward-gflops\", \"mflop_per_dataset\": %.2f, \"gflop_per_s\": %.1f}",
                     flops / 1e6, flops * Double(count) / pfn / 1e9))
        // The Float32 copy of the weights that `predict` builds per call (shared by all its datasets).
        let setup = best(reps) { _ = PFNFloatTransformer(model.transformer) }
        print(String(format: "{\"name\": \"pfn-float32-setup-us-per-call\", \"us\": %.1f}", 1e6 * setup))
        for chunk in [256, 512, 1024, 2048, 4096] {
            let engine = PFNFloatTransformer(model.transformer, chunkTokens: chunk)
            let t = best(reps) { _ = engine.logits(batch) }
            print(String(format: "{\"name\": \"pfn-float32-logits-per-dataset-us\", \"chunk_tokens\": %d, \"us\": %.1f}", chunk, 1e6 * t / Double(count)))
        }
        // What `predict` would cost with the softmax taken in Float (PFNFloatTransformer.bucketProbabilities)
        // instead of Float64 on the logits: the probabilities plus one array per query.
        let engine = PFNFloatTransformer(model.transformer)
        let probabilities = best(reps) {
            let p = engine.bucketProbabilities(batch)
            let k = p.rows
            _ = (0..<p.columns).map { q in Array(p.storage[(q * k)..<((q + 1) * k)]) }
        }
        print(String(format: "{\"name\": \"pfn-float32-probabilities-per-dataset-us\", \"us\": %.1f}", 1e6 * probabilities / Double(count)))
        // Roofline: the forward pass's sgemms alone, with its shapes (m × k by k × columns) for a
        // 512-token chunk of these datasets (half of the tokens queries), on random operands: encoder,
        // folded first qkv projection, full blocks, the last block past its qkv projection on the
        // queries only, head — the floor for this architecture with OpenBLAS on this CPU.
        let chunk = 512, queryChunk = chunk * (prior.pointsPerDataset - nc) / prior.pointsPerDataset
        let dModel = a.modelDimension, hidden = a.hiddenDimension, features = a.inputDimension + 3
        var shapes = [(dModel, features, chunk), (3 * dModel, features, chunk)]
        for l in 0..<a.layers {
            if l > 0 { shapes.append((3 * dModel, dModel, chunk)) }
            let columns = l == a.layers - 1 ? queryChunk : chunk
            shapes += [(dModel, dModel, columns), (hidden, dModel, columns), (dModel, hidden, columns)]
        }
        shapes.append((a.buckets, dModel, queryChunk))
        // One buffer per operand size, as in the forward pass's workspace (the chunk stays in L2).
        var g2 = SeededGenerator(seed: 2)
        func random(_ rows: Int, _ columns: Int) -> FloatMatrix {
            FloatMatrix(rows: rows, columns: columns, columnMajor: (0..<(rows * columns)).map { _ in Float(g2.standardNormal()) })
        }
        var weightsBySize: [String: FloatMatrix] = [:], inputs: [Int: FloatMatrix] = [:], results: [Int: FloatMatrix] = [:]
        for (m, k, _) in shapes {
            weightsBySize["\(m)x\(k)"] = weightsBySize["\(m)x\(k)"] ?? random(m, k)
            inputs[k] = inputs[k] ?? random(k, chunk)
            results[m] = results[m] ?? FloatMatrix(rows: m, columns: chunk)
        }
        let gemm = best(reps * 5) {
            for (m, k, columns) in shapes {
                let w = weightsBySize["\(m)x\(k)"]!, b = inputs[k]!
                BLAS.sgemm(.none, .none, w, w.whole, b, .init(rows: 0..<k, columns: 0..<columns), beta: 1,
                           &results[m]!, .init(rows: 0..<m, columns: 0..<columns))
            }
        }
        let gemmFlops = shapes.reduce(0.0) { $0 + 2 * Double($1.0 * $1.1 * $1.2) }
        print(String(format: "{\"name\": \"sgemm-floor-per-dataset-us\", \"us\": %.1f, \"mflop_per_dataset\": %.2f, \"gflop_per_s\": %.1f}",
                     1e6 * gemm * n / Double(chunk), gemmFlops * n / Double(chunk) / 1e6, gemmFlops / gemm / 1e9))
        // Float32 vs Float64 forward pass on these datasets: largest |Δ log density| of the query targets.
        let single = model.predict(batch), double = model.predictFloat64(batch)
        let targets = data.flatMap { $0.y[nc...] }
        let deviation = targets.indices.map { abs(single[$0].logDensity(targets[$0]) - double[$0].logDensity(targets[$0])) }.max() ?? 0
        print(String(format: "{\"name\": \"pfn-float32-vs-float64-max-logdensity-diff\", \"queries\": %d, \"nat\": %.2e}", targets.count, deviation))
        let pfn64 = best(reps) { _ = model.predictFloat64(batch) }
        emit("pfn-forward-float64-per-dataset-us", count, 1e6 * pfn64 / Double(count))
        let gp = try best(reps) {
            for (x, y) in data {
                _ = try prior.exactPredictive(contextInputs: Array(x[0..<(nc * d)]), contextTargets: Array(y[0..<nc]),
                                              queryInputs: Array(x[(nc * d)...]))
            }
        }
        emit("exact-gp-per-dataset-us", count, 1e6 * gp / Double(count))
    default:
        throw PFNError.invalidInput("usage: kernelkit-bench pfn accuracy|accuracy-sizes|speed|profile|lc [MODEL|-] [datasets] [seed|reps|seconds]")
    }
}

/// `count` datasets of the prior (seed 1), each cut into its first half as context and its second
/// half as queries, and the batch of them — the workload of `pfn speed` and `pfn profile`.
func speedBatch(_ prior: GaussianProcessPrior, _ count: Int) throws -> (data: [(x: [Double], y: [Double])], batch: PFNBatch) {
    var g = SeededGenerator(seed: 1)
    var data: [(x: [Double], y: [Double])] = []
    for _ in 0..<count { let s = try prior.sampleDataset(using: &g); data.append((s.inputs, s.targets)) }
    let nc = prior.pointsPerDataset / 2, d = prior.inputDimension
    var batch = PFNBatch(inputDimension: d)
    for (x, y) in data {
        batch.append(contextInputs: Array(x[0..<(nc * d)]), contextTargets: Array(y[0..<nc]), queryInputs: Array(x[(nc * d)...]))
    }
    return (data, batch)
}
