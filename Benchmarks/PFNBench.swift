import Foundation
import KernelKit

// kernelkit-bench pfn accuracy [MODEL] [datasets] [seed]
//     NLL of the PFN vs the exact GP posterior predictive on fresh datasets of the model's GP prior
//     (context sizes i mod 50), overall and by context-size band; one JSON line per band + summary.
// kernelkit-bench pfn speed [MODEL] [datasets] [reps]
//     CPU µs per 50-point dataset (25 context + 25 query points): PFN batched forward pass vs exact GP
//     (Cholesky of the context + predictive mean/variance at the queries).
// kernelkit-bench pfn lc [MODEL] [curves] [seed]
//     LC-PFN vs elliptical-slice MCMC (4 chains × 500 + 500) on fresh curves of the learning-curve prior,
//     cut after 1 + (i mod 49) epochs: NLL of the remaining epochs and wall time per curve.
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
        let rows = try PFNEvaluation.compareWithMCMC(model: model, prior: prior, curves: count, seed: seed,
                                                     mcmc: LearningCurveMCMC(prior: prior))
        for band in stride(from: 1, to: prior.epochs, by: 10) {
            let r = rows.filter { $0.observedEpochs >= band && $0.observedEpochs < band + 10 }
            guard !r.isEmpty else { continue }
            let m = Double(r.count)
            print(String(format: "{\"observed\": \"%d-%d\", \"curves\": %d, \"pfn_nll\": %.4f, \"mcmc_nll\": %.4f}",
                         band, band + 9, r.count, r.reduce(0) { $0 + $1.pfnNLL } / m, r.reduce(0) { $0 + $1.mcmcNLL } / m))
        }
        let m = Double(rows.count)
        let pfnTime = rows.reduce(0) { $0 + $1.pfnSeconds } / m, mcmcTime = rows.reduce(0) { $0 + $1.mcmcSeconds } / m
        print(String(format: "{\"name\": \"lc-pfn-vs-mcmc\", \"curves\": %d, \"pfn_nll\": %.4f, \"mcmc_nll\": %.4f, \"pfn_ms_per_curve\": %.3f, \"mcmc_ms_per_curve\": %.1f, \"speedup\": %.0f}",
                     rows.count, rows.reduce(0) { $0 + $1.pfnNLL } / m, rows.reduce(0) { $0 + $1.mcmcNLL } / m,
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
    case "speed":
        let count = args.count > 2 ? Int(args[2]) ?? 200 : 200
        let reps = args.count > 3 ? Int(args[3]) ?? 5 : 5
        var g = SeededGenerator(seed: 1)
        var data: [(x: [Double], y: [Double])] = []
        for _ in 0..<count { let s = try prior.sampleDataset(using: &g); data.append((s.inputs, s.targets)) }
        let nc = prior.pointsPerDataset / 2, d = prior.inputDimension
        var batch = PFNBatch(inputDimension: d)
        for (x, y) in data {
            batch.append(contextInputs: Array(x[0..<(nc * d)]), contextTargets: Array(y[0..<nc]), queryInputs: Array(x[(nc * d)...]))
        }
        let pfn = best(reps) { _ = model.predict(batch) }
        emit("pfn-forward-per-dataset-us", count, 1e6 * pfn / Double(count))
        let gp = try best(reps) {
            for (x, y) in data {
                _ = try prior.exactPredictive(contextInputs: Array(x[0..<(nc * d)]), contextTargets: Array(y[0..<nc]),
                                              queryInputs: Array(x[(nc * d)...]))
            }
        }
        emit("exact-gp-per-dataset-us", count, 1e6 * gp / Double(count))
    default:
        throw PFNError.invalidInput("usage: kernelkit-bench pfn accuracy|speed|lc [MODEL|-] [datasets] [seed|reps]")
    }
}
