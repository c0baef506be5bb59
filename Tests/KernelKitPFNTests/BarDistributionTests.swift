import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing
@testable import KernelKitPFN

/// Random increasing borders (K = count − 1 buckets) and logits from a seed.
func randomBar(buckets: Int, seed: Int) -> (BarDistribution, [Double]) {
    var g = SeededGenerator(seed: UInt64(seed))
    var borders = [g.uniform(from: -3, to: 0)]
    for _ in 0..<buckets { borders.append(borders.last! + g.uniform(from: 0.05, to: 1.5)) }
    let logits = (0..<buckets).map { _ in 2 * g.standardNormal() }
    return (try! BarDistribution(borders: borders), logits)
}

@Suite struct BarDistributionTests {
    /// ∫ p(y) dy = 1 by adaptive quadrature (GSL QAGS per bucket, QAGIL/QAGIU on the tails, relative
    /// tolerance 1e-10): the integral is computed from `density` alone, independently of the
    /// bucket probabilities' sum. Tolerance 1e-8.
    @Test func densityIntegratesToOne() async {
        await propertyCheck(count: 20, input: Gen.int(in: 2...12), Gen.int(in: 0...1_000_000)) { k, seed in
            let (bar, logits) = randomBar(buckets: k, seed: seed)
            let p = BarDistribution.probabilities(logits: logits[...])
            let f: (Double) -> Double = { bar.density($0, probabilities: p) }
            var total = try! Quadrature.integrate(f, from: -.infinity, to: bar.borders[1]).value
            for b in 1..<(k - 1) { total += try! Quadrature.integrate(f, from: bar.borders[b], to: bar.borders[b + 1]).value }
            total += try! Quadrature.integrate(f, from: bar.borders[k - 1], to: .infinity).value
            expectClose(total, 1, rtol: 0, atol: 1e-8)
            // The mean formula against ∫ y p(y) dy (same quadrature), 1e-7 absolute.
            let g: (Double) -> Double = { $0 * bar.density($0, probabilities: p) }
            var mean = try! Quadrature.integrate(g, from: -.infinity, to: bar.borders[1]).value
            for b in 1..<(k - 1) { mean += try! Quadrature.integrate(g, from: bar.borders[b], to: bar.borders[b + 1]).value }
            mean += try! Quadrature.integrate(g, from: bar.borders[k - 1], to: .infinity).value
            expectClose(bar.mean(probabilities: p), mean, rtol: 0, atol: 1e-7)
        }
    }

    /// −log p(y) against an independent evaluation: a naive softmax, pₖ/wₖ inside, and in the tails
    /// p₀ · 2φ(u/σ)/σ with σ = w/0.674489750196 (half of the end bucket's mass within its width).
    /// Relative tolerance 1e-12 (same formula, different operation order). The training loss of a
    /// one-dataset batch equals the mean of these NLLs to the same tolerance.
    @Test func negativeLogLikelihoodMatchesIndependentComputation() async {
        // The tails are written in log form: far out (u/s ≳ 37) exp(−u²/2s²) is subnormal and keeps only a
        // few significant bits, which made an earlier exp-then-log version of this check fail spuriously.
        await propertyCheck(count: 30, input: Gen.int(in: 2...12), Gen.int(in: 0...1_000_000), Gen.double(in: -6...12)) { k, seed, y in
            let (bar, logits) = randomBar(buckets: k, seed: seed)
            expectClose(-bar.logDensity(y, logits: logits[...]), independentNLL(bar, logits, y), rtol: 1e-12, atol: 1e-12)
        }
        // Regression: far in the right tail, where exp(−u²/2s²) would be subnormal.
        let (bar, logits) = randomBar(buckets: 4, seed: 119_437)
        expectClose(-bar.logDensity(8.561, logits: logits[...]), independentNLL(bar, logits, 8.561), rtol: 1e-12, atol: 1e-12)
    }

    /// −log density of the bar distribution at y, written directly from the definition (softmax
    /// probabilities; half-normal tails in log form, since far out (u/s ≳ 37) exp(−u²/2s²) is subnormal
    /// and keeps only a few significant bits).
    func independentNLL(_ bar: BarDistribution, _ logits: [Double], _ y: Double) -> Double {
        let k = logits.count
        let e = logits.map { Foundation.exp($0) }
        let p = e.map { $0 / e.reduce(0, +) }
        let b = bar.borders
        if y < b[1] {
            let s = (b[1] - b[0]) / 0.674_489_750_196_081_7, u = b[1] - y
            return -Foundation.log(p[0] * 2 / (s * (2 * Double.pi).squareRoot())) + u * u / (2 * s * s)
        } else if y >= b[k - 1] {
            let s = (b[k] - b[k - 1]) / 0.674_489_750_196_081_7, u = y - b[k - 1]
            return -Foundation.log(p[k - 1] * 2 / (s * (2 * Double.pi).squareRoot())) + u * u / (2 * s * s)
        }
        let j = (1..<(k - 1)).first { b[$0] <= y && y < b[$0 + 1] }!
        return -Foundation.log(p[j] / (b[j + 1] - b[j]))
    }

    /// cdf(quantile(q)) = q (bisection in the tails to 1e-12 relative), 1e-9.
    @Test func quantileInvertsCDF() async {
        await propertyCheck(count: 20, input: Gen.int(in: 2...12), Gen.int(in: 0...1_000_000), Gen.double(in: 0.001...0.999)) { k, seed, q in
            let (bar, logits) = randomBar(buckets: k, seed: seed)
            let p = BarDistribution.probabilities(logits: logits[...])
            expectClose(bar.cdf(bar.quantile(q, probabilities: p), probabilities: p), q, rtol: 0, atol: 1e-9)
        }
    }

    /// Equal-mass borders put (up to interpolation, 1/n) a fraction 1/K of the samples in each bucket.
    @Test func equalMassBordersSplitSamplesEvenly() throws {
        var g = SeededGenerator(seed: 4)
        let samples = (0..<10_000).map { _ in g.standardNormal() }
        let bar = try BarDistribution.equalMass(samples: samples, buckets: 20)
        var counts = [Int](repeating: 0, count: 20)
        for s in samples { counts[bar.bucket(of: s)] += 1 }
        for c in counts { #expect(abs(c - 500) <= 2) }
        // The tails: half of each end bucket's samples lie within its width (the half-normal's median).
        let leftWithin = samples.filter { $0 >= bar.borders[0] && $0 < bar.borders[1] }.count
        let rightWithin = samples.filter { $0 >= bar.borders[19] && $0 <= bar.borders[20] }.count
        #expect(abs(leftWithin - 250) <= 1 && abs(rightWithin - 250) <= 1)
        // Closed form for N(0, 1), K = 20: b₁ = Φ⁻¹(0.05), the tail median is at Φ⁻¹(0.025) = −1.960
        // (10,000 samples: the 0.025 quantile has standard error ≈ 0.03; tolerance 0.1).
        expectClose(bar.borders[0], -1.959_964, rtol: 0, atol: 0.1)
        expectClose(bar.borders[20], 1.959_964, rtol: 0, atol: 0.1)
        #expect(throws: PFNError.self) { try BarDistribution(borders: [0, 1, 1, 2]) }
        #expect(throws: PFNError.self) { try BarDistribution.equalMass(samples: [1, 2, 3], buckets: 10) }
    }

    /// The batch loss is the per-dataset mean of the per-query NLLs (independent recomputation, 1e-12).
    @Test func batchLossIsPerDatasetMean() {
        let model = PFNTransformer(architecture: tinyArchitecture, seed: 2)
        let batch = tinyBatch()
        let logits = model.logits(batch)
        let targets = batch.queryTargets
        var q = 0, total = 0.0
        for b in 0..<batch.datasetCount {
            var s = 0.0
            for _ in 0..<batch.queryCounts[b] {
                s -= tinyBar.logDensity(targets[q], logits: logits.storage[(q * 6)..<((q + 1) * 6)])
                q += 1
            }
            total += s / Double(batch.queryCounts[b])
        }
        expectClose(model.loss(batch, bar: tinyBar), total / 3, rtol: 1e-12)
    }
}
