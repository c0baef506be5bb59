import Foundation
import KernelKitKDE
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing

/// Points, queries and exact kernel means of Fixtures/dpkde_small.json.
struct DPKDESmall {
    let points: Matrix
    let queries: Matrix
    let exact: [Double]

    init() throws {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/dpkde_small", withExtension: "json"))
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        points = Matrix(try #require((obj["data"] as? [String: Any])?["points"] as? [[Double]]))
        queries = Matrix(try #require((obj["queries"] as? [String: Any])?["points"] as? [[Double]]))
        exact = try #require((obj["exact"] as? [String: Any])?["kernel_mean"] as? [Double])
    }

    /// Mean over seeds 0..<seeds of the MAE over the 50 queries.
    func mae(seeds: Int, _ estimate: (UInt64) throws -> [Double]) rethrows -> Double {
        var total = 0.0
        for s in 0..<seeds {
            let e: [Double] = try estimate(UInt64(s))
            total += meanAbsoluteDifference(e, exact)
        }
        return total / Double(seeds)
    }
}

private func meanAbsoluteDifference(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(a.count)
}

@Suite("Noisy grid sketch (ε-DP)")
struct NoisyGridSketchTests {
    /// References: 50-seed means and sds over seeds measured with `kernelkit-bench kde dp` (seeds 0…49):
    /// ε = 1: 0.003305 (sd 0.000544); ε = 0.1: 0.02448 (sd 0.00365). Tolerance: 4 standard errors of a
    /// 10-seed mean, 4·sd/√10. A noise scale off by 2× moves the ε = 1 MAE to ≈ 0.006, outside it.
    @Test("dpkde_small MAE at ε = 1 meets the goal (≤ 0.014) and matches the 50-seed reference within MC error",
          arguments: [(1.0, 0.003305, 0.000544), (0.1, 0.02448, 0.00365)])
    func maeOnReference(epsilon: Double, reference: Double, sd: Double) throws {
        let ref = try DPKDESmall()
        let box = try BoundingBox.cube(-6, 6, dimension: 2)
        let mae = try ref.mae(seeds: 10) { s in
            try NoisyGridSketchMechanism(data: ref.points, domain: box, bandwidth: 0.5, epsilon: epsilon, seed: s)
                .kernelMean(at: ref.queries)
        }
        expectClose(mae, reference, rtol: 0, atol: 4 * sd / 10.0.squareRoot(), "ε = \(epsilon)")
        if epsilon == 1 { #expect(mae <= 0.014) }
        // Better than answering 0 (MAE 0.0319 = mean kernel mean) at every ε tested.
        #expect(mae < ref.exact.reduce(0, +) / Double(ref.exact.count))
    }

    @Test("linear binning: counts sum to n and a substitution moves them by ≤ 2 in L1 (= 2 for far moves)")
    func sensitivity() async throws {
        let box = try BoundingBox.cube(-1, 1, dimension: 2)
        await propertyCheck(input: Gen.double(in: -1.5...1.5).array(of: 4...4), Gen.double(in: 0.05...0.7)) { p, delta in
            let a = Matrix(rows: 1, columns: 2, columnMajor: [p[0], p[1]])
            let b = Matrix(rows: 1, columns: 2, columnMajor: [p[2], p[3]])
            let ca = try NoisyGridSketchMechanism.linearBinningCounts(a, domain: box, gridSpacing: delta)
            let cb = try NoisyGridSketchMechanism.linearBinningCounts(b, domain: box, gridSpacing: delta)
            expectClose(ca.reduce(0, +), 1, rtol: 1e-14)
            #expect(ca.allSatisfy { $0 >= 0 })
            #expect(zip(ca, cb).reduce(0) { $0 + abs($1.0 - $1.1) } <= 2 + 1e-12)
        }
        let far = try NoisyGridSketchMechanism.linearBinningCounts(Matrix([[-0.93, -0.88]]), domain: box, gridSpacing: 0.25)
        let other = try NoisyGridSketchMechanism.linearBinningCounts(Matrix([[0.61, 0.77]]), domain: box, gridSpacing: 0.25)
        expectClose(zip(far, other).reduce(0) { $0 + abs($1.0 - $1.1) }, 2, rtol: 1e-14)
    }

    /// The noise on each count is Laplace(0, 2/ε): E|L| = b and E L² = 2b². Over 4001 cells the sample
    /// mean of |L|/b has sd 1/√4001 = 0.016 and that of L²/(2b²) has sd √5/√4001 = 0.035: tolerance 5 sd.
    @Test("count noise has the stated Laplace scale b = 2/ε (5-sd tolerance)", arguments: [0.5, 4.0])
    func noiseScale(epsilon: Double) throws {
        var g = SeededGenerator(seed: 2)
        let x = Matrix(rows: 300, columns: 1) { _, _ in g.uniform() }
        let box = try BoundingBox.cube(0, 1, dimension: 1)
        let mech = try NoisyGridSketchMechanism(data: x, domain: box, bandwidth: 1, epsilon: epsilon, gridSpacing: 0.00025, seed: 9)
        #expect(mech.noiseScale == 2 / epsilon)
        let exact = try NoisyGridSketchMechanism.linearBinningCounts(x, domain: box, gridSpacing: 0.00025)
        let noise = zip(mech.noisyCounts, exact).map { ($0 - $1) / mech.noiseScale }
        #expect(noise.count == 4001)
        expectClose(noise.reduce(0) { $0 + abs($1) } / 4001, 1, rtol: 0, atol: 5 * 0.016)
        expectClose(noise.reduce(0) { $0 + $1 * $1 } / (2 * 4001), 1, rtol: 0, atol: 5 * 0.035)
    }

    /// (ε, δ) variant: N(0, σ²) per count with σ = √2·√(2 log(1.25/δ))/ε. Over 4001 cells the sample
    /// variance / σ² has sd √(2/4001) = 0.022 and the mean |L|/σ (expected √(2/π)) sd 0.6/√4001 = 0.0095:
    /// tolerance 5 sd.
    @Test("Gaussian (ε, δ) variant has the stated noise scale; ε ≥ 1 or δ ∉ (0, 1) throw")
    func gaussianNoiseScale() throws {
        var g = SeededGenerator(seed: 3)
        let x = Matrix(rows: 300, columns: 1) { _, _ in g.uniform() }
        let box = try BoundingBox.cube(0, 1, dimension: 1)
        let mech = try NoisyGridSketchMechanism(data: x, domain: box, bandwidth: 1, epsilon: 0.5, delta: 1e-5,
                                                gridSpacing: 0.00025, seed: 9)
        let sigma = 2.0.squareRoot() * (2 * log(1.25e5)).squareRoot() / 0.5
        expectClose(mech.noiseScale, sigma, rtol: 1e-14)
        let exact = try NoisyGridSketchMechanism.linearBinningCounts(x, domain: box, gridSpacing: 0.00025)
        let noise = zip(mech.noisyCounts, exact).map { ($0 - $1) / sigma }
        expectClose(noise.reduce(0) { $0 + $1 * $1 } / 4001, 1, rtol: 0, atol: 5 * 0.022)
        expectClose(noise.reduce(0) { $0 + abs($1) } / 4001, (2 / Double.pi).squareRoot(), rtol: 0, atol: 5 * 0.0095)
        #expect(throws: KernelDensityError.self) { try NoisyGridSketchMechanism(data: x, domain: box, bandwidth: 1, epsilon: 1, delta: 1e-5, seed: 1) }
        #expect(throws: KernelDensityError.self) { try NoisyGridSketchMechanism(data: x, domain: box, bandwidth: 1, epsilon: 0.5, delta: 1, seed: 1) }
    }

    @Test("error scales like 1/(εn): duplicating the data equals doubling ε exactly, and noise shrinks 10× with ε")
    func inverseEpsilonN() throws {
        let ref = try DPKDESmall()
        let box = try BoundingBox.cube(-6, 6, dimension: 2)
        let doubled = Matrix(rows: 2000, columns: 2) { i, j in ref.points[i % 1000, j] }
        let a = try NoisyGridSketchMechanism(data: doubled, domain: box, bandwidth: 0.5, epsilon: 1, gridSpacing: 0.5, seed: 4)
        let b = try NoisyGridSketchMechanism(data: ref.points, domain: box, bandwidth: 0.5, epsilon: 2, gridSpacing: 0.5, seed: 4)
        expectClose(try a.kernelMean(at: ref.queries), try b.kernelMean(at: ref.queries), rtol: 1e-12, atol: 1e-15)
        // Same seed → the same uniforms → noise exactly ∝ 1/ε; the queries with K > 0.05 are never clamped.
        let noiseless = try NoisyGridSketchMechanism(data: ref.points, domain: box, bandwidth: 0.5, epsilon: 1e12, gridSpacing: 0.5, seed: 4)
        let big = ref.exact.indices.filter { ref.exact[$0] > 0.05 }
        let q = ref.queries.rows(big)
        let base = try noiseless.kernelMean(at: q)
        let e1 = meanAbsoluteDifference(try NoisyGridSketchMechanism(data: ref.points, domain: box, bandwidth: 0.5, epsilon: 1, gridSpacing: 0.5, seed: 4).kernelMean(at: q), base)
        let e10 = meanAbsoluteDifference(try NoisyGridSketchMechanism(data: ref.points, domain: box, bandwidth: 0.5, epsilon: 10, gridSpacing: 0.5, seed: 4).kernelMean(at: q), base)
        expectClose(e1 / e10, 10, rtol: 1e-9)
        // The noiseless sketch is a good KDE: bias of the deconvolved smoothing ≤ 0.004 here (max K = 0.163).
        #expect(meanAbsoluteDifference(try noiseless.kernelMean(at: ref.queries), ref.exact) < 0.004)
    }

    @Test("bad parameters throw typed errors")
    func badInput() throws {
        let box = try BoundingBox.cube(0, 1, dimension: 2)
        let x = Matrix([[0.5, 0.5]])
        #expect(throws: KernelDensityError.invalidEpsilon(0)) { try NoisyGridSketchMechanism(data: x, domain: box, bandwidth: 1, epsilon: 0, seed: 1) }
        #expect(throws: KernelDensityError.self) { try NoisyGridSketchMechanism(data: x, domain: box, bandwidth: 0.1, epsilon: 1, gridSpacing: 0.5, seed: 1) }
        #expect(throws: KernelDensityError.self) { try NoisyGridSketchMechanism(data: Matrix([[1.0, 2, 3]]), domain: box, bandwidth: 1, epsilon: 1, seed: 1) }
        #expect(throws: KernelDensityError.self) { try BoundingBox(lower: [0, 1], upper: [1, 1]) }
    }
}

@Suite("RFF mechanism with tuned feature count")
struct TunedRandomFeatureTests {
    /// Reference (50 seeds 1000…1049, `kernelkit-bench kde dp`): ε = 1, D* = 177: MAE 0.0458 (sd 0.0065),
    /// between the fixture's D = 100 (0.0403) and D = 500 (0.0740) and far below D = 2000 (0.140).
    /// Tolerance 4 SE of a 6-seed mean.
    @Test("D* = round(εn/(4√2)); at ε = 1 its MAE is ≈ 0.046 (3× better than D = 2000)")
    func tuned() throws {
        #expect(RandomFeatureLaplaceMechanism.tunedFeatureCount(count: 1000, epsilon: 1) == 177)
        #expect(RandomFeatureLaplaceMechanism.tunedFeatureCount(count: 10, epsilon: 0.01) == 1)
        let ref = try DPKDESmall()
        let mae = try ref.mae(seeds: 6) { s in
            try RandomFeatureLaplaceMechanism(data: ref.points, bandwidth: 0.5, features: 177, epsilon: 1, seed: 1000 + s)
                .kernelMean(at: ref.queries)
        }
        expectClose(mae, 0.0458, rtol: 0, atol: 4 * 0.0065 / 6.0.squareRoot())
    }

    @Test("1/(εn): duplicated data at ε equals the original at 2ε exactly")
    func inverseEpsilonN() throws {
        var g = SeededGenerator(seed: 1)
        let x = Matrix(rows: 50, columns: 3) { _, _ in g.standardNormal() }
        let doubled = Matrix(rows: 100, columns: 3) { i, j in x[i % 50, j] }
        let q = Matrix(rows: 5, columns: 3) { _, _ in g.standardNormal() }
        let a = try RandomFeatureLaplaceMechanism(data: doubled, bandwidth: 1, features: 40, epsilon: 0.5, seed: 3)
        let b = try RandomFeatureLaplaceMechanism(data: x, bandwidth: 1, features: 40, epsilon: 1, seed: 3)
        expectClose(try a.kernelMean(at: q), try b.kernelMean(at: q), rtol: 1e-10, atol: 1e-13)
    }
}

@Suite("Privacy audit")
struct PrivacyAuditTests {
    /// Tiny 1-D problems keep each run cheap: 4 points in [0, 1]; the neighbour moves the point at 0 to 1.
    private static let data = Matrix(rows: 4, columns: 1, columnMajor: [0, 0.4, 0.6, 0.9])
    private static let neighbour = Matrix(rows: 4, columns: 1, columnMajor: [1, 0.4, 0.6, 0.9])
    private static let trials = 10_000

    private func gridStatistic(claimed epsilon: Double, noiseDivisor: Double) throws -> PrivacyAudit.Result {
        let box = try BoundingBox.cube(0, 1, dimension: 1)
        return try PrivacyAudit.audit(trials: Self.trials) { nb, seed in
            let m = try NoisyGridSketchMechanism(data: nb ? Self.neighbour : Self.data, domain: box, bandwidth: 1,
                                                 epsilon: epsilon * noiseDivisor, gridSpacing: 0.5, seed: seed)
            return m.noisyCounts[0] - m.noisyCounts[2]
        }
    }

    @Test("noisy grid sketch passes at ε = 1; with noise scale / 10 it fails (negative control)")
    func gridSketch() throws {
        let ok = try gridStatistic(claimed: 1, noiseDivisor: 1)
        #expect(ok.isConsistent(withEpsilon: 1), "L = \(ok.logRatioLowerBound)")
        let bad = try gridStatistic(claimed: 1, noiseDivisor: 10)
        #expect(!bad.isConsistent(withEpsilon: 1), "negative control not detected: L = \(bad.logRatioLowerBound)")
    }

    @Test("grid sketch query answers (after FFT smoothing and clamping) pass at ε = 1")
    func gridSketchQueryAnswer() throws {
        let box = try BoundingBox.cube(0, 1, dimension: 1)
        let y = Matrix(rows: 1, columns: 1, columnMajor: [0.25])
        let r = try PrivacyAudit.audit(trials: 3000) { nb, seed in
            try NoisyGridSketchMechanism(data: nb ? Self.neighbour : Self.data, domain: box, bandwidth: 1, epsilon: 1,
                                         gridSpacing: 0.5, seed: seed).kernelMean(at: y)[0]
        }
        #expect(r.isConsistent(withEpsilon: 1), "L = \(r.logRatioLowerBound)")
    }

    @Test("RFF + Laplace query answer passes at ε = 1; miscalibrated (noise / 10) fails")
    func randomFeatures() throws {
        let y = Matrix(rows: 1, columns: 1, columnMajor: [0])
        func run(_ divisor: Double) throws -> PrivacyAudit.Result {
            try PrivacyAudit.audit(trials: Self.trials) { nb, seed in
                try RandomFeatureLaplaceMechanism(data: nb ? Self.neighbour : Self.data, bandwidth: 0.3, features: 1,
                                                  epsilon: divisor, seed: seed).kernelMean(at: y)[0]
            }
        }
        let ok = try run(1)
        #expect(ok.isConsistent(withEpsilon: 1), "L = \(ok.logRatioLowerBound)")
        let bad = try run(10)
        #expect(!bad.isConsistent(withEpsilon: 1), "negative control not detected: L = \(bad.logRatioLowerBound)")
    }

    @Test("private ℓ1 distance answer passes at ε = 1; miscalibrated (noise / 10) fails")
    func distance() throws {
        let box = try BoundingBox.cube(0, 1, dimension: 1)
        let y = Matrix(rows: 1, columns: 1, columnMajor: [0])
        func run(_ divisor: Double) throws -> PrivacyAudit.Result {
            try PrivacyAudit.audit(trials: Self.trials) { nb, seed in
                try PrivateDistanceQuery(data: nb ? Self.neighbour : Self.data, domain: box, norm: .l1, epsilon: divisor,
                                         nodes: 2, seed: seed).meanDistance(to: y)[0]
            }
        }
        let ok = try run(1)
        #expect(ok.isConsistent(withEpsilon: 1), "L = \(ok.logRatioLowerBound)")
        let bad = try run(10)
        #expect(!bad.isConsistent(withEpsilon: 1), "negative control not detected: L = \(bad.logRatioLowerBound)")
    }

    @Test("Chernoff bounds bracket the proportion and tighten with n")
    func chernoff() {
        // Same samples: the bound is 0 (no bin can show a ratio above 1 with confidence).
        let a = (0..<1000).map { Double($0 % 10) }
        #expect(PrivacyAudit.likelihoodRatioBound(a, a, bins: 10).logRatioLowerBound == 0)
        // Disjoint supports {0…4} and {5…9}, 10 bins of width 0.9 (one value each, p̂ = 0.2 or 0): with
        // confidence 0.99, log(1/α') = log(4000) = 8.29; Chernoff bounds (computed independently):
        // N = 300: p ≥ 0.1178 against p ≤ 0.02727, L = 1.4630; N = 3000: 0.1714 vs 0.002761, L = 4.1284.
        let c = (0..<3000).map { Double($0 % 5) }
        let b = (0..<3000).map { Double($0 % 5) + 5 }
        let small = PrivacyAudit.likelihoodRatioBound(Array(c.prefix(300)), Array(b.prefix(300)), bins: 10)
        let large = PrivacyAudit.likelihoodRatioBound(c, b, bins: 10)
        expectClose(small.logRatioLowerBound, 1.4630, rtol: 1e-4)
        expectClose(large.logRatioLowerBound, 4.1284, rtol: 1e-4)
    }
}

@Suite("Private distance queries")
struct PrivateDistanceTests {
    @Test("c_d = √π Γ((d+1)/2)/Γ(d/2): c₁ = 1, c₂ = π/2, c₃ = 2 (rtol 1e-14)")
    func projectionConstant() {
        expectClose(PrivateDistanceQuery.sphericalProjectionConstant(dimension: 1), 1, rtol: 1e-14)
        expectClose(PrivateDistanceQuery.sphericalProjectionConstant(dimension: 2), Double.pi / 2, rtol: 1e-14)
        expectClose(PrivateDistanceQuery.sphericalProjectionConstant(dimension: 3), 2, rtol: 1e-14)
    }

    @Test("ℓ1 without noise (ε = 1e12) is within the binning bound d·Δ/2 of the exact mean distance")
    func l1Bias() async throws {
        await propertyCheck(count: 30, input: Gen.int(in: 1...4), Gen.int(in: 2...20), Gen.int(in: 0...1_000_000)) { d, g, seed in
            var r = SeededGenerator(seed: UInt64(seed))
            let x = Matrix(rows: 60, columns: d) { _, _ in r.uniform(from: -2, to: 3) }
            let q = Matrix(rows: 8, columns: d) { _, _ in r.uniform(from: -3, to: 4) }
            let box = try BoundingBox.cube(-2, 3, dimension: d)
            let mech = try PrivateDistanceQuery(data: x, domain: box, norm: .l1, epsilon: 1e12, nodes: g, seed: 1)
            let exact = try PrivateDistanceQuery.exactMeanDistance(data: x, queries: q, norm: .l1)
            let bound = Double(d) * 5 / Double(g - 1) / 2 + 1e-9
            for (e, t) in zip(try mech.meanDistance(to: q), exact) { #expect(abs(e - t) <= bound) }
        }
    }

    /// With k = 4000 projections in d = 3, c₃|⟨θ, v⟩|/‖v‖ = 2U, U uniform: relative sd 0.577/√4000 = 0.009
    /// for one point (less for a mean over points); tolerance 5 sd plus the Δ/2 binning bias (200 nodes).
    @Test("ℓ2 without noise approaches the exact mean distance (projection Monte-Carlo error)")
    func l2Projection() throws {
        var r = SeededGenerator(seed: 5)
        let x = Matrix(rows: 200, columns: 3) { _, _ in r.uniform() }
        let q = Matrix(rows: 5, columns: 3) { _, _ in r.uniform(from: -0.5, to: 1.5) }
        let box = try BoundingBox.cube(0, 1, dimension: 3)
        let mech = try PrivateDistanceQuery(data: x, domain: box, norm: .l2, epsilon: 1e12, nodes: 200, projections: 4000, seed: 2)
        let exact = try PrivateDistanceQuery.exactMeanDistance(data: x, queries: q, norm: .l2)
        for (e, t) in zip(try mech.meanDistance(to: q), exact) {
            expectClose(e, t, rtol: 5 * 0.009, atol: 3.0.squareRoot() / 199 / 2)
        }
    }

    /// d = 2 uses the midpoint rule over k equally spaced angles: for |cos| (one kink per period) the
    /// error is O((π/k)²); k = 64 gives < 1e-3 relative here, plus the Δ/2 = √2/399/2 binning bias (400 nodes).
    /// d = 1 uses one direction and equals ℓ1 exactly.
    @Test("ℓ2 in d = 2 (equally spaced angles) and d = 1 (one direction) without noise")
    func l2LowDimension() throws {
        var r = SeededGenerator(seed: 7)
        let x = Matrix(rows: 300, columns: 2) { _, _ in r.uniform() }
        let q = Matrix(rows: 6, columns: 2) { _, _ in r.uniform(from: -0.5, to: 1.5) }
        let box = try BoundingBox.cube(0, 1, dimension: 2)
        let mech = try PrivateDistanceQuery(data: x, domain: box, norm: .l2, epsilon: 1e12, nodes: 400, projections: 64, seed: 1)
        let exact = try PrivateDistanceQuery.exactMeanDistance(data: x, queries: q, norm: .l2)
        for (e, t) in zip(try mech.meanDistance(to: q), exact) { expectClose(e, t, rtol: 1e-3, atol: 2.0.squareRoot() / 399 / 2) }
        #expect(PrivateDistanceQuery.defaultProjections(dimension: 1, epsilonN: 1000) == 1)
        let x1 = x.columns(0..<1), q1 = q.columns(0..<1), box1 = try BoundingBox.cube(0, 1, dimension: 1)
        let a = try PrivateDistanceQuery(data: x1, domain: box1, norm: .l2, epsilon: 1e12, nodes: 101, seed: 1).meanDistance(to: q1)
        let b = try PrivateDistanceQuery.exactMeanDistance(data: x1, queries: q1, norm: .l1)
        for (e, t) in zip(a, b) { expectClose(e, t, rtol: 0, atol: 1.0 / 100 / 2 + 1e-9) }
    }

    @Test("noise scales are 2d/ε (ℓ1) and 2k/ε (ℓ2); duplicating data equals doubling ε")
    func noiseScale() throws {
        var r = SeededGenerator(seed: 6)
        let x = Matrix(rows: 40, columns: 3) { _, _ in r.uniform() }
        let box = try BoundingBox.cube(0, 1, dimension: 3)
        #expect(try PrivateDistanceQuery(data: x, domain: box, norm: .l1, epsilon: 0.5, seed: 1).noiseScale == 12)
        #expect(try PrivateDistanceQuery(data: x, domain: box, norm: .l2, epsilon: 2, projections: 7, seed: 1).noiseScale == 7)
        let doubled = Matrix(rows: 80, columns: 3) { i, j in x[i % 40, j] }
        let q = Matrix(rows: 4, columns: 3) { _, _ in r.uniform() }
        for norm in PrivateDistanceQuery.Norm.allCases {
            let a = try PrivateDistanceQuery(data: doubled, domain: box, norm: norm, epsilon: 1, nodes: 9, projections: 5, seed: 3)
            let b = try PrivateDistanceQuery(data: x, domain: box, norm: norm, epsilon: 2, nodes: 9, projections: 5, seed: 3)
            expectClose(try a.meanDistance(to: q), try b.meanDistance(to: q), rtol: 1e-12, atol: 1e-14)
        }
    }
}

@Suite("Private classification by average similarity")
struct PrivateClassifierTests {
    @Test("two separated Gaussian classes in 5-D: ≥ 95 % accuracy at ε = 10 (Bayes 97.7 %); label count mismatch throws")
    func separatedClasses() throws {
        var g = SeededGenerator(seed: 8)
        let n = 400
        let labels = (0..<n).map { $0 % 2 }
        let x = Matrix(rows: n, columns: 5) { i, j in (j == 0 ? (labels[i] == 0 ? -2.0 : 2.0) : 0) + g.standardNormal() }
        let testLabels = (0..<200).map { $0 % 2 }
        let q = Matrix(rows: 200, columns: 5) { i, j in (j == 0 ? (testLabels[i] == 0 ? -2.0 : 2.0) : 0) + g.standardNormal() }
        let clf = try PrivateKernelClassifier(data: x, labels: labels, bandwidth: 2, epsilon: 10, seed: 1)
        #expect(clf.classes == [0, 1])
        let accuracy = Double(zip(try clf.predict(q), testLabels).filter { $0 == $1 }.count) / 200
        // Bayes accuracy Φ(2) = 0.977; the private classifier gets close at ε = 10 (measured 0.985 for this seed).
        #expect(accuracy >= 0.95, "accuracy \(accuracy)")
        #expect(throws: KernelDensityError.self) { try PrivateKernelClassifier(data: x, labels: Array(labels.prefix(3)), bandwidth: 1, epsilon: 1, seed: 1) }
    }
}
