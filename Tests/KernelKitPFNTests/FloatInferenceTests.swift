import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import Testing
@testable import KernelKitPFN

@Suite struct FloatInferenceTests {
    /// The Float32 forward pass against the Float64 one for the shipped GP model on prior datasets
    /// with context sizes 0, 7, 14, …, 49 (one dataset of every fourth size band, the rest of the 50
    /// points as queries): every query target's log density within 1e-4 nat. Float32 round-off through
    /// 4 blocks of width 64 moves the logits by ≈ 1e-5, the log densities by ≈ 1e-5 nat.
    @Test func shippedGPModelMatchesFloat64Pass() throws {
        let model = try PFNShippedModels.gaussianProcess()
        let prior = try #require(try model.prior.makePrior() as? GaussianProcessPrior)
        var g = SeededGenerator(seed: 42)
        var batch = PFNBatch(inputDimension: 1)
        for nc in stride(from: 0, through: 49, by: 7) {
            let s = try prior.sampleDataset(using: &g)
            batch.append(contextInputs: Array(s.inputs[0..<nc]), contextTargets: Array(s.targets[0..<nc]),
                         queryInputs: Array(s.inputs[nc...]), queryTargets: Array(s.targets[nc...]))
        }
        let single = model.predict(batch), double = model.predictFloat64(batch)
        let targets = batch.queryTargets
        #expect(single.count == targets.count && double.count == targets.count)
        var worst = 0.0
        for (q, y) in targets.enumerated() {
            worst = max(worst, abs(single[q].logDensity(y) - double[q].logDensity(y)))
        }
        #expect(worst <= 1e-4, "largest log-density difference \(worst) nat")
        #expect(worst > 0, "the two passes should differ by Float32 round-off")
    }

    /// Chunking is only a memory layout: splitting the batch into chunks of ≤ 5 tokens (one dataset
    /// each, the largest alone) gives the same logits as one chunk, up to sgemm round-off (1e-5
    /// relative to the logits' scale), and a query never sees another query in the Float32 pass.
    @Test func chunkingAndMaskDoNotChangeLogits() {
        let transformer = PFNTransformer(architecture: tinyArchitecture, seed: 5)
        let batch = tinyBatch()
        let one = PFNFloatTransformer(transformer, chunkTokens: 1000).logits(batch)
        let many = PFNFloatTransformer(transformer, chunkTokens: 5).logits(batch)
        let scale = max(1, one.maxAbs)
        expectClose(one, many, rtol: 0, atol: 1e-5 * scale)
        expectClose(one, transformer.logits(batch), rtol: 0, atol: 1e-4 * scale)
        var changed = PFNBatch(inputDimension: 1)
        changed.append(contextInputs: [0.1, 0.5, 0.6], contextTargets: [0.7, -0.4, 0.2], queryInputs: [0.9, 0.77, 0.01])
        var alone = PFNBatch(inputDimension: 1)
        alone.append(contextInputs: [0.1, 0.5, 0.6], contextTargets: [0.7, -0.4, 0.2], queryInputs: [0.9])
        let f = PFNFloatTransformer(transformer)
        let a = f.logits(changed), b = f.logits(alone)
        for i in 0..<a.rows { #expect(abs(a[i, 0] - b[i, 0]) <= 1e-6 * max(1, abs(b[i, 0]))) }
    }

    /// Bucket probabilities in Float against a Float64 softmax of the same pass's logits: relative
    /// 1e-5 per entry (exp 4e-7 plus the Float shift u·|logit − max| ≤ 6e-8·60, plus the
    /// normalisation), entries below 1e-30 absolute; every column sums to 1 within 1e-6.
    @Test func bucketProbabilitiesAreTheSoftmaxOfTheLogits() {
        let transformer = PFNTransformer(architecture: tinyArchitecture, seed: 5)
        let engine = PFNFloatTransformer(transformer)
        let batch = tinyBatch()
        let logits = engine.logits(batch), p = engine.bucketProbabilities(batch)
        #expect(p.rows == logits.rows && p.columns == logits.columns && p.columns > 0)
        for q in 0..<p.columns {
            let column = (0..<p.rows).map { logits[$0, q] }
            let top = column.max()!
            let total = column.reduce(0) { $0 + Foundation.exp($1 - top) }
            var sum = 0.0
            for i in 0..<p.rows {
                let expected = Foundation.exp(column[i] - top) / total
                #expect(abs(p[i, q] - expected) <= 1e-5 * expected + 1e-30, "p[\(i), \(q)] = \(p[i, q]), expected \(expected)")
                sum += p[i, q]
            }
            #expect(abs(sum - 1) <= 1e-6)
        }
    }
}
