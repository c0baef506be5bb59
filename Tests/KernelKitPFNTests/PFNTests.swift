import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import Testing
@testable import KernelKitPFN

/// A tiny architecture for exhaustive checks.
let tinyArchitecture = PFNArchitecture(inputDimension: 1, modelDimension: 8, heads: 2, layers: 2, hiddenDimension: 12, buckets: 6)
let tinyBar = try! BarDistribution(borders: [-2, -1, -0.5, 0, 0.5, 1, 2])

/// Three datasets: empty context, small context, larger context; targets in the tails and inside.
func tinyBatch() -> PFNBatch {
    var batch = PFNBatch(inputDimension: 1)
    batch.append(contextInputs: [], contextTargets: [], queryInputs: [0.3, 0.8], queryTargets: [-3.1, 0.2])
    batch.append(contextInputs: [0.1, 0.5], contextTargets: [0.7, -0.4], queryInputs: [0.9], queryTargets: [2.6])
    batch.append(contextInputs: [0.2, 0.4, 0.6, 0.7], contextTargets: [0.1, -1.2, 1.5, 0.3],
                 queryInputs: [0.05, 0.45, 0.95], queryTargets: [-0.7, 0.8, -1.9])
    return batch
}

@Suite struct PFNTransformerTests {
    /// Every analytic gradient entry against a central difference (h = 1e-5): truncation error
    /// O(h²) ≈ 1e-10 and round-off ≈ 1e-16/h ≈ 1e-11 relative to the loss, so |analytic − numeric|
    /// ≤ 1e-7 + 1e-5·|analytic| can only fail for a wrong derivative.
    @Test func gradientMatchesFiniteDifferences() {
        var model = PFNTransformer(architecture: tinyArchitecture, seed: 3)
        // Non-trivial gains and biases so that their derivatives are exercised.
        var g = SeededGenerator(seed: 11)
        for i in model.parameters.indices where model.parameters[i].columns == 1 {
            for j in model.parameters[i].storage.indices { model.parameters[i].storage[j] += 0.3 * g.standardNormal() }
        }
        let batch = tinyBatch()
        let (_, gradient) = model.lossAndGradient(batch, bar: tinyBar)
        let h = 1e-5
        var worst = 0.0
        for i in model.parameters.indices {
            for j in model.parameters[i].storage.indices {
                var plus = model, minus = model
                plus.parameters[i].storage[j] += h
                minus.parameters[i].storage[j] -= h
                let numeric = (plus.loss(batch, bar: tinyBar) - minus.loss(batch, bar: tinyBar)) / (2 * h)
                let analytic = gradient[i].storage[j]
                let excess = abs(analytic - numeric) - (1e-7 + 1e-5 * abs(analytic))
                worst = max(worst, excess)
                if excess > 0 { Issue.record("tensor \(i) entry \(j): analytic \(analytic), numeric \(numeric)") }
            }
        }
        #expect(worst <= 0)
    }

    /// The PFN mask: a query's prediction depends on the context and itself only. Changing or
    /// removing the other queries must leave its logits unchanged (up to dgemm round-off, 1e-12).
    @Test func queriesNeverSeeOtherQueries() {
        let model = PFNTransformer(architecture: tinyArchitecture, seed: 5)
        var full = PFNBatch(inputDimension: 1)
        full.append(contextInputs: [0.1, 0.5, 0.6], contextTargets: [0.7, -0.4, 0.2], queryInputs: [0.9, 0.3, 0.35])
        var changed = PFNBatch(inputDimension: 1)
        changed.append(contextInputs: [0.1, 0.5, 0.6], contextTargets: [0.7, -0.4, 0.2], queryInputs: [0.9, 0.77, 0.01])
        var alone = PFNBatch(inputDimension: 1)
        alone.append(contextInputs: [0.1, 0.5, 0.6], contextTargets: [0.7, -0.4, 0.2], queryInputs: [0.9])
        let a = model.logits(full), b = model.logits(changed), c = model.logits(alone)
        for k in 0..<tinyArchitecture.buckets {
            expectClose(a[k, 0], b[k, 0], rtol: 1e-12, atol: 1e-12)
            expectClose(a[k, 0], c[k, 0], rtol: 1e-12, atol: 1e-12)
        }
        // And the context does matter (the check above is not vacuous).
        var otherContext = PFNBatch(inputDimension: 1)
        otherContext.append(contextInputs: [0.1, 0.5, 0.6], contextTargets: [0.7, -0.4, 1.2], queryInputs: [0.9])
        let d = model.logits(otherContext)
        #expect((0..<tinyArchitecture.buckets).contains { abs(d[$0, 0] - c[$0, 0]) > 1e-6 })
    }

    /// Permuting the context leaves predictions unchanged (no positional encoding), 1e-12.
    @Test func contextOrderDoesNotMatter() {
        let model = PFNTransformer(architecture: tinyArchitecture, seed: 6)
        var a = PFNBatch(inputDimension: 1), b = PFNBatch(inputDimension: 1)
        a.append(contextInputs: [0.1, 0.5, 0.6], contextTargets: [0.7, -0.4, 0.2], queryInputs: [0.9, 0.2])
        b.append(contextInputs: [0.6, 0.1, 0.5], contextTargets: [0.2, 0.7, -0.4], queryInputs: [0.9, 0.2])
        let la = model.logits(a), lb = model.logits(b)
        for i in la.storage.indices { expectClose(la.storage[i], lb.storage[i], rtol: 1e-12, atol: 1e-12) }
    }

    /// A batch equals its datasets run one by one (datasets never see each other), 1e-12.
    @Test func datasetsAreIndependentInABatch() {
        let model = PFNTransformer(architecture: tinyArchitecture, seed: 7)
        let batch = tinyBatch()
        let all = model.logits(batch)
        var column = 0
        for b in 0..<batch.datasetCount {
            var single = PFNBatch(inputDimension: 1)
            let start = batch.offsets[b], nc = batch.contextCounts[b], nq = batch.queryCounts[b]
            single.append(contextInputs: Array(batch.inputs[start..<(start + nc)]),
                          contextTargets: Array(batch.targets[start..<(start + nc)]),
                          queryInputs: Array(batch.inputs[(start + nc)..<(start + nc + nq)]))
            let l = model.logits(single)
            for q in 0..<nq {
                for k in 0..<tinyArchitecture.buckets {
                    expectClose(l[k, q], all[k, column + q], rtol: 1e-12, atol: 1e-12)
                }
            }
            column += nq
        }
    }

    /// Same seed, same network; different seed, different network.
    @Test func initialisationIsDeterministic() {
        let a = PFNTransformer(architecture: tinyArchitecture, seed: 9)
        let b = PFNTransformer(architecture: tinyArchitecture, seed: 9)
        let c = PFNTransformer(architecture: tinyArchitecture, seed: 10)
        #expect(a.parameters == b.parameters)
        #expect(a.parameters != c.parameters)
        #expect(a.parameters.reduce(0) { $0 + $1.rows * $1.columns } == tinyArchitecture.parameterCount)
    }
}
