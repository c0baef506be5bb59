import Foundation

/// A seeded, reproducible pseudo-random generator: xoshiro256** (Blackman & Vigna, "Scrambled linear
/// pseudorandom number generators", ACM TOMS 47(4), 2021) with its 256-bit state filled from a `UInt64`
/// seed by SplitMix64 (Steele, Lea & Flood, OOPSLA 2014), the seeding its authors recommend.
///
/// Reproducibility contract: the same seed gives bit-identical `UInt64` outputs on every platform, and
/// every method below consumes them in a documented order, so the same seed and the same sequence of
/// calls give bit-identical draws. Floating-point draws use only IEEE-exact operations (+, ×, √) plus
/// `log` (normal, gamma) and `exp` (gamma with shape < 1, beta with a shape < 1) from the platform's libm,
/// whose last-ulp differences between libm versions are the only possible source of variation.
/// Swift's own `shuffle(using:)` / `randomElement(using:)` may change algorithm between Swift versions;
/// use this type's `shuffle`, `permutation` and `choose` for reproducible results.
///
/// Streams: the period is 2²⁵⁶ − 1. `jump()` advances the state by 2¹²⁸ outputs in O(256) steps, so
/// `independentStreams(seed:count:)` hands out non-overlapping subsequences of 2¹²⁸ draws each
/// (one per thread or per replicate). Generators seeded with different seeds are statistically
/// independent for practical purposes but not guaranteed non-overlapping.
///
/// A value type: copying a generator copies its state (the copy repeats the original's future draws).
/// Cost: `next()` is a handful of shifts, xors and one multiply.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64
    /// The second normal of the last polar-method pair, returned by the next `standardNormal()`.
    private var spareNormal: Double?

    /// A generator whose state is four consecutive SplitMix64 outputs started at `seed`.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
        // SplitMix64 is a bijection of its counter, so four zero outputs cannot occur; keep the
        // invariant explicit anyway (the all-zero state is xoshiro's only fixed point).
        if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }
    }

    /// A generator with the given raw xoshiro256** state (for reproducing a published reference stream).
    /// The state must not be all zeros (precondition).
    public init(rawState: [UInt64]) {
        precondition(rawState.count == 4, "xoshiro256** state has 4 words")
        precondition(rawState.contains { $0 != 0 }, "xoshiro256** state must not be all zeros")
        (s0, s1, s2, s3) = (rawState[0], rawState[1], rawState[2], rawState[3])
    }

    /// The raw 256-bit state (s₀, s₁, s₂, s₃).
    public var rawState: [UInt64] { [s0, s1, s2, s3] }

    /// Generators for `count` non-overlapping streams from one seed: stream i is `SeededGenerator(seed:)`
    /// advanced by i jumps of 2¹²⁸ outputs. O(count · 256) generator steps.
    public static func independentStreams(seed: UInt64, count: Int) -> [SeededGenerator] {
        precondition(count >= 0, "independentStreams: count must be ≥ 0")
        var g = SeededGenerator(seed: seed)
        var streams: [SeededGenerator] = []
        streams.reserveCapacity(count)
        for _ in 0..<count {
            streams.append(g)
            g.jump()
        }
        return streams
    }

    /// The next 64 random bits (xoshiro256**: output rotl(s₁·5, 7)·9, then the linear state update).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// Advance the state by 2¹²⁸ calls of `next()` (the reference jump polynomial of xoshiro256).
    /// Discards a cached spare normal. O(256) steps.
    public mutating func jump() {
        let polynomial: [UInt64] = [0x180E_C6D3_3CFD_0ABA, 0xD5A6_1266_F0C9_392C,
                                    0xA958_2618_E03F_C9AA, 0x39AB_DC45_29B1_661C]
        var (t0, t1, t2, t3): (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for word in polynomial {
            for bit in 0..<64 {
                if word & (1 << UInt64(bit)) != 0 {
                    t0 ^= s0
                    t1 ^= s1
                    t2 ^= s2
                    t3 ^= s3
                }
                _ = next()
            }
        }
        (s0, s1, s2, s3) = (t0, t1, t2, t3)
        spareNormal = nil
    }

    /// A copy advanced by `jump()`.
    public func jumped() -> SeededGenerator {
        var g = self
        g.jump()
        return g
    }

    // MARK: Uniform

    /// U ~ Uniform[0, 1): the top 53 bits of `next()` times 2⁻⁵³ (every multiple of 2⁻⁵³ in [0, 1)
    /// equally likely; one `next()` call).
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// U ~ Uniform(0, 1), never 0 or 1: (k + ½)·2⁻⁵³ for the top 53 bits k (safe for log U; one call).
    public mutating func uniformOpen() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1.0p-53
    }

    /// a + (b − a)·U with U ~ Uniform[0, 1). Requires finite a ≤ b (precondition).
    public mutating func uniform(from a: Double, to b: Double) -> Double {
        precondition(a.isFinite && b.isFinite && a <= b, "uniform(from:to:) needs finite a ≤ b")
        return a + (b - a) * uniform()
    }

    /// An integer uniform on {0, …, n − 1}, exactly (no modulo bias), by Lemire's multiply-and-reject
    /// method (ACM TOMS 2019). n > 0 (precondition). Usually one `next()` call.
    public mutating func integer(below n: Int) -> Int {
        precondition(n > 0, "integer(below:) needs n > 0")
        let bound = UInt64(n)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return Int(product.high)
    }

    // MARK: Normal

    /// Z ~ N(0, 1) by Marsaglia's polar method (Marsaglia & Bray, SIAM Review 6, 1964): draw
    /// (u, v) uniform on the square (−1, 1)² until 0 < s = u² + v² < 1, then u·√(−2 ln s / s) and
    /// v·√(−2 ln s / s) are independent normals. The second is cached and returned by the next call.
    /// Exact in distribution; uses only √ and log. Expected 4/π pairs of uniforms per pair of normals.
    public mutating func standardNormal() -> Double {
        if let z = spareNormal {
            spareNormal = nil
            return z
        }
        var u: Double, v: Double, s: Double
        repeat {
            u = 2 * uniform() - 1
            v = 2 * uniform() - 1
            s = u * u + v * v
        } while s >= 1 || s == 0
        let factor = (-2 * Foundation.log(s) / s).squareRoot()
        spareNormal = v * factor
        return u * factor
    }

    /// X ~ N(mean, sd²) as mean + sd·Z.
    /// - Throws: `LinalgError.domain` unless mean is finite and sd is finite and ≥ 0.
    public mutating func normal(mean: Double, standardDeviation sd: Double) throws -> Double {
        guard mean.isFinite, sd.isFinite, sd >= 0 else {
            throw LinalgError.domain("normal(mean:standardDeviation:) needs finite mean and sd ≥ 0, got \(mean), \(sd)")
        }
        return mean + sd * standardNormal()
    }

    /// A vector of `count` iid N(0, 1) draws, in index order. O(count).
    public mutating func normalVector(count: Int) -> Vector {
        precondition(count >= 0, "normalVector: count must be ≥ 0")
        var v = [Double](repeating: 0, count: count)
        for i in 0..<count { v[i] = standardNormal() }
        return Vector(v)
    }

    /// A `rows × columns` matrix of iid N(0, 1) draws, filled in column-major storage order. O(rows·columns).
    public mutating func normalMatrix(rows: Int, columns: Int) -> Matrix {
        precondition(rows >= 0 && columns >= 0, "normalMatrix: dimensions must be ≥ 0")
        var m = Matrix(rows: rows, columns: columns)
        for i in m.storage.indices { m.storage[i] = standardNormal() }
        return m
    }

    // MARK: Gamma and beta

    /// X ~ Gamma(shape k, scale θ), density x^{k−1} e^{−x/θ} / (Γ(k) θᵏ), mean kθ, variance kθ².
    ///
    /// Marsaglia & Tsang, "A simple method for generating gamma variables", ACM TOMS 26(3), 2000: for
    /// k ≥ 1 with d = k − ⅓, c = 1/√(9d), accept d·(1 + cZ)³ by a squeeze then a log test (≥ 95 %
    /// acceptance). For k < 1 the boost X = X_{k+1}·U^{1/k} (same paper, §6), evaluated as
    /// exp(log X_{k+1} + log(U)/k); it underflows to 0 only when the exact draw is below the smallest
    /// double (probability significant only for k ≲ 0.01).
    /// - Throws: `LinalgError.domain` unless shape and scale are finite and > 0.
    public mutating func gamma(shape: Double, scale: Double = 1) throws -> Double {
        guard shape > 0, shape.isFinite, scale > 0, scale.isFinite else {
            throw LinalgError.domain("gamma(shape:scale:) needs finite shape > 0 and scale > 0, got \(shape), \(scale)")
        }
        if shape >= 1 { return scale * marsagliaTsang(shape) }
        return scale * Foundation.exp(logGammaBelowOne(shape))
    }

    /// X ~ Beta(a, b), density x^{a−1}(1 − x)^{b−1}/B(a, b) on [0, 1], mean a/(a + b), as
    /// X = G_a/(G_a + G_b) with independent G ~ Gamma(·, 1) (a's draw first). When a shape is < 1 the
    /// ratio is formed from log-gammas, X = 1/(1 + exp(log G_b − log G_a)), so tiny shapes do not give 0/0.
    /// - Throws: `LinalgError.domain` unless a and b are finite and > 0.
    public mutating func beta(_ a: Double, _ b: Double) throws -> Double {
        guard a > 0, a.isFinite, b > 0, b.isFinite else {
            throw LinalgError.domain("beta(_:_:) needs finite shapes a > 0 and b > 0, got \(a), \(b)")
        }
        if a >= 1 && b >= 1 {
            let x = marsagliaTsang(a)
            let y = marsagliaTsang(b)
            return x / (x + y)
        }
        let logX = a >= 1 ? Foundation.log(marsagliaTsang(a)) : logGammaBelowOne(a)
        let logY = b >= 1 ? Foundation.log(marsagliaTsang(b)) : logGammaBelowOne(b)
        return 1 / (1 + Foundation.exp(logY - logX))
    }

    /// Gamma(k, 1) for k ≥ 1 (Marsaglia–Tsang). Each trial uses one normal and one uniform.
    private mutating func marsagliaTsang(_ k: Double) -> Double {
        let d = k - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var z: Double
            var v: Double
            repeat {
                z = standardNormal()
                v = 1 + c * z
            } while v <= 0
            v = v * v * v
            let u = uniformOpen()
            let z2 = z * z
            if u < 1 - 0.0331 * z2 * z2 { return d * v }
            if Foundation.log(u) < 0.5 * z2 + d * (1 - v + Foundation.log(v)) { return d * v }
        }
    }

    /// log of a Gamma(k, 1) draw for 0 < k < 1: log G_{k+1} + log(U)/k (boost, drawn in that order).
    private mutating func logGammaBelowOne(_ k: Double) -> Double {
        let g = marsagliaTsang(k + 1)
        return Foundation.log(g) + Foundation.log(uniformOpen()) / k
    }

    // MARK: Permutations and sampling

    /// Shuffle `array` in place uniformly at random (Fisher–Yates / Durstenfeld, from the last index down,
    /// j = integer(below: i + 1)). O(n).
    public mutating func shuffle<T>(_ array: inout [T]) {
        var i = array.count - 1
        while i > 0 {
            let j = integer(below: i + 1)
            if i != j { array.swapAt(i, j) }
            i -= 1
        }
    }

    /// A uniformly random permutation of 0..<n (the shuffle of [0, 1, …, n − 1]). O(n).
    public mutating func permutation(_ n: Int) -> [Int] {
        precondition(n >= 0, "permutation: n must be ≥ 0")
        var p = Array(0..<n)
        shuffle(&p)
        return p
    }

    /// k distinct indices from 0..<n drawn without replacement, in the order drawn (a uniformly random
    /// k-permutation): partial Fisher–Yates on a virtual array, slot i swapped with i + integer(below: n − i).
    /// O(k) time and memory, independent of n.
    /// - Throws: `LinalgError.domain` unless 0 ≤ k ≤ n.
    public mutating func choose(_ k: Int, from n: Int) throws -> [Int] {
        guard k >= 0, n >= 0, k <= n else {
            throw LinalgError.domain("choose: cannot draw \(k) items without replacement from \(n)")
        }
        var displaced: [Int: Int] = [:]  // virtual array: slot → value where it differs from the slot
        var chosen: [Int] = []
        chosen.reserveCapacity(k)
        for i in 0..<k {
            let j = i + integer(below: n - i)
            let valueAtJ = displaced[j] ?? j
            let valueAtI = displaced[i] ?? i
            displaced[j] = valueAtI
            chosen.append(valueAtJ)
        }
        return chosen
    }

    /// k distinct elements of `elements` drawn without replacement, in the order drawn (`choose(k, from:)`
    /// on the indices).
    /// - Throws: `LinalgError.domain` unless 0 ≤ k ≤ elements.count.
    public mutating func choose<T>(_ k: Int, from elements: [T]) throws -> [T] {
        try choose(k, from: elements.count).map { elements[$0] }
    }
}

@inline(__always) private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 - k))
}
