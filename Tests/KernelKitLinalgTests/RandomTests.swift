import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import Testing

/// Check the sample means of X and X² against exact moments: |mean_k − E[X^k]| ≤ 5 standard errors,
/// SE_k = √((E[X^{2k}] − E[X^k]²)/n) (CLT; a correct generator fails one check with probability
/// ≈ 6e-7, and the seeds are fixed, so the test is deterministic).
/// `rawMoments[j]` is E[X^{j+1}], j = 0…3.
private func expectMoments(_ draws: [Double], rawMoments m: [Double], _ label: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    let n = Double(draws.count)
    let mean1 = draws.reduce(0, +) / n
    let mean2 = draws.reduce(0) { $0 + $1 * $1 } / n
    let se1 = ((m[1] - m[0] * m[0]) / n).squareRoot()
    let se2 = ((m[3] - m[1] * m[1]) / n).squareRoot()
    #expect(abs(mean1 - m[0]) <= 5 * se1, "\(label): mean \(mean1) vs \(m[0]) (5 SE = \(5 * se1))",
            sourceLocation: sourceLocation)
    #expect(abs(mean2 - m[1]) <= 5 * se2, "\(label): E[X²] \(mean2) vs \(m[1]) (5 SE = \(5 * se2))",
            sourceLocation: sourceLocation)
}

/// E[X^j] = θʲ k(k+1)…(k+j−1) for X ~ Gamma(k, θ), j = 1…4.
private func gammaMoments(shape k: Double, scale t: Double) -> [Double] {
    var m: [Double] = []
    var p = 1.0
    for j in 0..<4 {
        p *= (k + Double(j)) * t
        m.append(p)
    }
    return m
}

/// E[X^j] = Π_{r<j} (a + r)/(a + b + r) for X ~ Beta(a, b), j = 1…4.
private func betaMoments(_ a: Double, _ b: Double) -> [Double] {
    var m: [Double] = []
    var p = 1.0
    for r in 0..<4 {
        p *= (a + Double(r)) / (a + b + Double(r))
        m.append(p)
    }
    return m
}

/// Digamma ψ(x) and trigamma ψ'(x) for x > 0: recurrence up to x ≥ 20, then the asymptotic series
/// (first omitted terms 1/(240x⁸) and 5/(66x¹¹): < 2e-13 there). Checked below against ψ(1) = −γ and ψ'(1) = π²/6.
private func digammaTrigamma(_ x0: Double) -> (psi: Double, psi1: Double) {
    var x = x0, psi = 0.0, psi1 = 0.0
    while x < 20 {
        psi -= 1 / x
        psi1 += 1 / (x * x)
        x += 1
    }
    let r = 1 / x, r2 = r * r
    psi += log(x) - 0.5 * r - r2 * (1.0 / 12 - r2 * (1.0 / 120 - r2 / 252))
    psi1 += r + 0.5 * r2 + r * r2 * (1.0 / 6 - r2 * (1.0 / 30 - r2 * (1.0 / 42 - r2 / 30)))
    return (psi, psi1)
}

/// |mean(log X) − E log X| ≤ 5·√(Var log X / n): a sharp check of the small-value behaviour (the
/// shape < 1 boost), where raw moments have little power.
private func expectLogMoment(_ draws: [Double], mean: Double, variance: Double, _ label: String,
                             sourceLocation: SourceLocation = #_sourceLocation) {
    let n = Double(draws.count)
    let m = draws.reduce(0) { $0 + log($1) } / n
    let se = (variance / n).squareRoot()
    #expect(abs(m - mean) <= 5 * se, "\(label): mean log \(m) vs \(mean) (5 SE = \(5 * se))",
            sourceLocation: sourceLocation)
}

@Suite("SeededGenerator")
struct RandomTests {
    @Test("SplitMix64 seeding and xoshiro256** match the reference outputs")
    func referenceStreams() {
        // SplitMix64 from 0: first outputs 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4 (Vigna's splitmix64.c).
        let g = SeededGenerator(seed: 0)
        #expect(g.rawState[0] == 0xE220_A839_7B1D_CDAF)
        #expect(g.rawState[1] == 0x6E78_9E6A_A1B9_65F4)
        // xoshiro256** from state (1, 2, 3, 4): 11520, 0, 1509978240, 1215971899390074240
        // (the first two follow by hand: rotl(2·5, 7)·9 = 11520; s₁ becomes 0).
        var x = SeededGenerator(rawState: [1, 2, 3, 4])
        #expect([x.next(), x.next(), x.next(), x.next()] == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
    }

    @Test("the digamma/trigamma helper used by the tests matches ψ(1) = −γ, ψ'(1) = π²/6, ψ(½) = −γ − 2 ln 2")
    func digammaHelper() {
        let gamma = 0.57721566490153286
        expectClose(digammaTrigamma(1).psi, -gamma, rtol: 1e-12)
        expectClose(digammaTrigamma(1).psi1, Double.pi * Double.pi / 6, rtol: 1e-12)
        expectClose(digammaTrigamma(0.5).psi, -gamma - 2 * log(2.0), rtol: 1e-12)
        expectClose(digammaTrigamma(0.5).psi1, Double.pi * Double.pi / 2, rtol: 1e-12)
    }

    @Test("the same seed reproduces every kind of draw bit for bit; different seeds differ")
    func reproducibility() throws {
        func draws(_ seed: UInt64) throws -> [Double] {
            var g = SeededGenerator(seed: seed)
            var out: [Double] = []
            for _ in 0..<50 {
                out.append(g.uniform())
                out.append(g.standardNormal())
                out.append(try g.gamma(shape: 0.3, scale: 2))
                out.append(try g.beta(2.5, 0.7))
                out.append(Double(g.integer(below: 17)))
            }
            out += g.normalVector(count: 5).elements + g.normalMatrix(rows: 2, columns: 3).storage
            out += g.permutation(10).map(Double.init) + (try g.choose(4, from: 1000)).map(Double.init)
            return out
        }
        let a = try draws(42), b = try draws(42), c = try draws(43)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        #expect(zip(a, c).filter { $0 == $1 }.count < 10, "seeds 42 and 43 should give different streams")
        var g = SeededGenerator(seed: 1), h = SeededGenerator(seed: 2)
        #expect((0..<100).map { _ in g.next() } != (0..<100).map { _ in h.next() })
    }

    @Test("jump commutes with stepping, and jumped streams differ from the original")
    func jumpStreams() {
        // J is a polynomial in the state-transition matrix T, so J(T s) = T(J s).
        var a = SeededGenerator(seed: 9)
        _ = a.next()
        a.jump()
        var b = SeededGenerator(seed: 9)
        b.jump()
        _ = b.next()
        #expect(a.rawState == b.rawState)
        let streams = SeededGenerator.independentStreams(seed: 9, count: 3)
        #expect(streams[0] == SeededGenerator(seed: 9))
        #expect(streams[1] == SeededGenerator(seed: 9).jumped())
        #expect(Set(streams.map(\.rawState)).count == 3)
    }

    @Test("uniform and integer draws have the right ranges and moments")
    func uniformMoments() {
        var g = SeededGenerator(seed: 3)
        let n = 100_000
        let u = (0..<n).map { _ in g.uniform() }
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        // E[U^j] = 1/(j + 1).
        expectMoments(u, rawMoments: [1 / 2, 1 / 3, 1 / 4, 1 / 5], "Uniform(0,1)")
        // Counts of integer(below: 7): each within 5 binomial SEs of n/7.
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<n { counts[g.integer(below: 7)] += 1 }
        let p = 1.0 / 7, se = (Double(n) * p * (1 - p)).squareRoot()
        for c in counts { #expect(abs(Double(c) - Double(n) * p) <= 5 * se) }
    }

    @Test("standard and shifted normal moments within 5 standard errors (n = 1e5)")
    func normalMoments() throws {
        var g = SeededGenerator(seed: 11)
        let n = 100_000
        expectMoments((0..<n).map { _ in g.standardNormal() }, rawMoments: [0, 1, 0, 3], "N(0,1)")
        // N(μ, σ²): E X = μ, E X² = μ² + σ², E X³ = μ³ + 3μσ², E X⁴ = μ⁴ + 6μ²σ² + 3σ⁴.
        let mu = -1.5, sd = 0.7, v = sd * sd
        let x = try (0..<n).map { _ in try g.normal(mean: mu, standardDeviation: sd) }
        expectMoments(x, rawMoments: [mu, mu * mu + v, mu * mu * mu + 3 * mu * v, mu * mu * mu * mu + 6 * mu * mu * v + 3 * v * v],
                      "N(−1.5, 0.49)")
    }

    @Test("Kolmogorov–Smirnov statistic of 1e4 normals is below the 0.1 % critical value")
    func normalKolmogorovSmirnov() {
        var g = SeededGenerator(seed: 2024)
        let n = 10_000
        let z = (0..<n).map { _ in g.standardNormal() }.sorted()
        var d = 0.0
        for (i, x) in z.enumerated() {
            let cdf = 0.5 * erfc(-x / 2.0.squareRoot())
            d = max(d, Double(i + 1) / Double(n) - cdf, cdf - Double(i) / Double(n))
        }
        // Asymptotic critical value of √n·D at level 0.001 is 1.9495 (Kolmogorov distribution).
        #expect(d * Double(n).squareRoot() < 1.9495, "KS statistic √n·D = \(d * Double(n).squareRoot())")
    }

    @Test("gamma moments within 5 standard errors for shapes below and above 1 (n = 1e5)",
          arguments: [(0.1, 1.0), (0.5, 2.0), (0.999, 1.0), (1.0, 0.5), (2.5, 1.0), (30.0, 0.1)])
    func gammaMomentsTest(shape: Double, scale: Double) throws {
        var g = SeededGenerator(seed: UInt64(shape * 1000) + 5)
        let x = try (0..<100_000).map { _ in try g.gamma(shape: shape, scale: scale) }
        #expect(x.allSatisfy { $0 >= 0 && $0.isFinite })
        expectMoments(x, rawMoments: gammaMoments(shape: shape, scale: scale), "Gamma(\(shape), \(scale))")
        // log X: mean ψ(k) + log θ, variance ψ'(k).
        let (psi, psi1) = digammaTrigamma(shape)
        expectLogMoment(x, mean: psi + log(scale), variance: psi1, "Gamma(\(shape), \(scale))")
    }

    @Test("beta moments within 5 standard errors (n = 1e5)",
          arguments: [(0.5, 0.5), (2.0, 5.0), (0.2, 3.0), (7.0, 0.9)])
    func betaMomentsTest(a: Double, b: Double) throws {
        var g = SeededGenerator(seed: UInt64(a * 100 + b * 10))
        let x = try (0..<100_000).map { _ in try g.beta(a, b) }
        #expect(x.allSatisfy { $0 >= 0 && $0 <= 1 })
        expectMoments(x, rawMoments: betaMoments(a, b), "Beta(\(a), \(b))")
        // log X: mean ψ(a) − ψ(a + b), variance ψ'(a) − ψ'(a + b).
        let (pa, pa1) = digammaTrigamma(a), (pab, pab1) = digammaTrigamma(a + b)
        expectLogMoment(x, mean: pa - pab, variance: pa1 - pab1, "Beta(\(a), \(b))")
    }

    @Test("tiny shapes stay finite: Beta(1e-3, 1e-3) draws are 0/1-like but never NaN")
    func tinyShapes() throws {
        var g = SeededGenerator(seed: 77)
        let x = try (0..<1000).map { _ in try g.beta(1e-3, 1e-3) }
        #expect(x.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
        // P(X < ½) = ½ by symmetry: 1000 draws within 5 binomial SEs (≈ 79) of 500.
        #expect(abs(x.filter { $0 < 0.5 }.count - 500) <= 79)
        #expect(try (0..<100).map { _ in try g.gamma(shape: 1e-3) }.allSatisfy { $0.isFinite && $0 >= 0 })
    }

    @Test("invalid distribution parameters throw LinalgError.domain")
    func invalidParameters() {
        var g = SeededGenerator(seed: 1)
        #expect(throws: LinalgError.self) { try g.gamma(shape: 0) }
        #expect(throws: LinalgError.self) { try g.gamma(shape: 1, scale: -1) }
        #expect(throws: LinalgError.self) { try g.beta(.nan, 1) }
        #expect(throws: LinalgError.self) { try g.normal(mean: 0, standardDeviation: -1) }
        #expect(throws: LinalgError.self) { try g.choose(5, from: 3) }
    }

    @Test("permutations, shuffles and choice without replacement are valid and uniform")
    func permutationsAndChoice() throws {
        var g = SeededGenerator(seed: 5)
        let p = g.permutation(50)
        #expect(p.sorted() == Array(0..<50))
        var words = ["a", "b", "c", "d", "e"]
        g.shuffle(&words)
        #expect(words.sorted() == ["a", "b", "c", "d", "e"])
        // Uniformity of the first position of a permutation of 4: each value with probability ¼.
        let trials = 40_000
        var first = [Int](repeating: 0, count: 4)
        for _ in 0..<trials { first[g.permutation(4)[0]] += 1 }
        let se = (Double(trials) * 0.25 * 0.75).squareRoot()
        for c in first { #expect(abs(Double(c) - Double(trials) / 4) <= 5 * se) }
        // choose(3, from: 10): distinct, in range; each index is included with probability 3/10.
        var included = [Int](repeating: 0, count: 10)
        for _ in 0..<trials {
            let s = try g.choose(3, from: 10)
            #expect(Set(s).count == 3 && s.allSatisfy { (0..<10).contains($0) })
            for i in s { included[i] += 1 }
        }
        let seIncl = (Double(trials) * 0.3 * 0.7).squareRoot()
        for c in included { #expect(abs(Double(c) - Double(trials) * 0.3) <= 5 * seIncl) }
        #expect(try g.choose(10, from: 10).sorted() == Array(0..<10))
        #expect(try g.choose(0, from: 0).isEmpty)
        #expect(try g.choose(2, from: ["x", "y"]).sorted() == ["x", "y"])
    }
}
