import Foundation
@testable import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing

/// Reference C[cb] ← α op(A[ab]) op(B[bb]) + β C[cb] by a naive triple loop in Float64 (exact
/// products of the Float inputs), and the elementwise error bound of a length-k Float32 dot product
/// (Higham, Accuracy and Stability of Numerical Algorithms, §3.5): |ĉ − c| ≤ γ_{k+2} (|α| |A||B| + |β| |C|)
/// with γ_n = n u/(1 − n u), u = 2⁻²⁴, plus the rounding of the result itself.
private func referenceGEMM(_ ta: BLAS.Transpose, _ tb: BLAS.Transpose, alpha: Float,
                           _ a: FloatMatrix, _ ab: FloatMatrix.Block, _ b: FloatMatrix, _ bb: FloatMatrix.Block,
                           beta: Float, _ c: FloatMatrix, _ cb: FloatMatrix.Block) -> (value: Matrix, bound: Matrix) {
    let m = cb.rows.count, n = cb.columns.count
    let k = ta == .none ? ab.columns.count : ab.rows.count
    func aAt(_ i: Int, _ l: Int) -> Double {
        ta == .none ? Double(a[ab.rows.lowerBound + i, ab.columns.lowerBound + l])
                    : Double(a[ab.rows.lowerBound + l, ab.columns.lowerBound + i])
    }
    func bAt(_ l: Int, _ j: Int) -> Double {
        tb == .none ? Double(b[bb.rows.lowerBound + l, bb.columns.lowerBound + j])
                    : Double(b[bb.rows.lowerBound + j, bb.columns.lowerBound + l])
    }
    let u = Double(Float.ulpOfOne) / 2
    let gamma = Double(k + 2) * u / (1 - Double(k + 2) * u)
    var value = Matrix(rows: m, columns: n), bound = Matrix(rows: m, columns: n)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0, magnitude = 0.0
            for l in 0..<k { s += aAt(i, l) * bAt(l, j); magnitude += abs(aAt(i, l) * bAt(l, j)) }
            let old = Double(c[cb.rows.lowerBound + i, cb.columns.lowerBound + j])
            let r = Double(alpha) * s + (beta == 0 ? 0 : Double(beta) * old)
            value[i, j] = r
            bound[i, j] = gamma * (abs(Double(alpha)) * magnitude + abs(Double(beta) * old)) + u * abs(r)
        }
    }
    return (value, bound)
}

private func randomFloatMatrix(_ rows: Int, _ columns: Int, _ rng: inout TestRNG) -> FloatMatrix {
    FloatMatrix(rows: rows, columns: columns, columnMajor: (0..<(rows * columns)).map { _ in Float(standardNormal(using: &rng)) })
}

@Suite("Single-precision BLAS")
struct SingleBLASTests {
    @Test("sgemm on blocks with transposes, α and β matches a Float64 triple loop within the Float32 dot-product bound")
    func blocksMatchNaiveLoop() async {
        await propertyCheck(input: Gen.int(in: 1...9), Gen.int(in: 1...9), Gen.int(in: 0...9), Gen.int(in: 0...3),
                            Gen.int(in: 0...10_000)) { m, n, k, flags, seed in
            var rng = TestRNG(seed: UInt64(seed))
            let ta: BLAS.Transpose = flags & 1 == 0 ? .none : .transpose
            let tb: BLAS.Transpose = flags & 2 == 0 ? .none : .transpose
            // Blocks at offsets (1, 2) inside larger parents, so leading dimensions differ from block sizes.
            let (ar, ac) = ta == .none ? (m, k) : (k, m)
            let (br, bc) = tb == .none ? (k, n) : (n, k)
            let a = randomFloatMatrix(ar + 3, ac + 2, &rng), b = randomFloatMatrix(br + 2, bc + 4, &rng)
            var c = randomFloatMatrix(m + 4, n + 3, &rng)
            let ab = FloatMatrix.Block(rows: 1..<(1 + ar), columns: 2..<(2 + ac))
            let bb = FloatMatrix.Block(rows: 2..<(2 + br), columns: 1..<(1 + bc))
            let cb = FloatMatrix.Block(rows: 3..<(3 + m), columns: 1..<(1 + n))
            let alpha = Float(1 + (seed % 3)) * 0.5, beta: Float = seed % 2 == 0 ? 0 : -0.75
            let before = c
            let (expected, bound) = referenceGEMM(ta, tb, alpha: alpha, a, ab, b, bb, beta: beta, c, cb)
            BLAS.sgemm(ta, tb, alpha: alpha, a, ab, b, bb, beta: beta, &c, cb)
            for i in 0..<c.rows {
                for j in 0..<c.columns {
                    if cb.rows.contains(i) && cb.columns.contains(j) {
                        let e = expected[i - cb.rows.lowerBound, j - cb.columns.lowerBound]
                        let tol = bound[i - cb.rows.lowerBound, j - cb.columns.lowerBound]
                        #expect(abs(Double(c[i, j]) - e) <= tol, "C[\(i),\(j)] = \(c[i, j]), reference \(e) ± \(tol)")
                    } else {
                        #expect(c[i, j] == before[i, j], "element (\(i), \(j)) outside the block changed")
                    }
                }
            }
        }
    }

    @Test("whole-matrix sgemm agrees with dgemm on the rounded inputs (64 × 48 by 48 × 80)")
    func agreesWithDGEMM() {
        var rng = TestRNG(seed: 7)
        let a = randomFloatMatrix(64, 48, &rng), b = randomFloatMatrix(48, 80, &rng)
        var c = FloatMatrix(rows: 64, columns: 80, repeating: .nan)  // β = 0 must ignore C's contents
        BLAS.sgemm(.none, .none, a, b, &c)
        let exact = BLAS.matmul(a.doubleMatrix, b.doubleMatrix)
        // Entries are sums of 48 products of N(0,1)s: |c| ≲ 30 and Σ|a||b| ≲ 60; γ₅₀·60 ≈ 1.8e-4.
        expectClose(c.doubleMatrix, exact, rtol: 0, atol: 2e-4)
        #expect(FloatMatrix(exact).doubleMatrix.storage.allSatisfy { $0.isFinite })
    }

    @Test("conversion to and from Matrix rounds to nearest and round-trips Float values exactly")
    func conversions() {
        let m = Matrix(rows: 2, columns: 2, columnMajor: [1.0 / 3.0, 0.1, -2.5, 1e-8])
        let f = FloatMatrix(m)
        #expect(f[0, 0] == Float(1.0 / 3.0) && f[1, 0] == Float(0.1) && f[0, 1] == -2.5 && f[1, 1] == Float(1e-8))
        #expect(FloatMatrix(f.doubleMatrix) == f)
        #expect(abs(f.doubleMatrix[0, 0] - 1.0 / 3.0) <= 1.0 / 3.0 * Double(Float.ulpOfOne) / 2)
    }

    /// The softmax's libm-free exp on [−87, 0], through two-entry columns (0, x): the maximum is 0, so
    /// x − max is exact and p = eˣ/(1 + eˣ). Against Foundation.exp in Float64: relative error ≤ 6e-7
    /// (exp ≤ 4e-7, the sum and reciprocal a few 6e-8). Both C paths (AVX2 and portable).
    @Test func softmaxExpMatchesLibm() {
        var rng = TestRNG(seed: 9)
        let xs = [Float(-87), -1e-30, 0] + (0..<6_000).map { _ in Float(Double.random(in: -87...0, using: &rng)) }
        for vectorized in [true, false] {
            var a = FloatMatrix(rows: 2, columns: xs.count)
            for (j, x) in xs.enumerated() { a[0, j] = 0; a[1, j] = x }
            a.softmaxColumns(a.whole, vectorized: vectorized)
            var worst = 0.0, worstAt: Float = 0
            for (j, x) in xs.enumerated() {
                let e = Foundation.exp(Double(x)), p = e / (1 + e)
                let error = abs(Double(a[1, j]) - p) / p
                if error > worst { (worst, worstAt) = (error, x) }
            }
            #expect(worst <= 6e-7, "vectorized \(vectorized): worst relative error \(worst) at \(worstAt)")
        }
    }

    /// The AVX2/FMA and the portable C versions of every column kernel agree within Float rounding
    /// (FMA contraction and summation order): layer norm and GELU 2e-6 absolute on O(1) outputs,
    /// softmax 1e-6 relative, the broadcast add exactly. Odd sizes exercise the masked tails.
    @Test func vectorAndPortableKernelsAgree() async {
        await propertyCheck(input: Gen.int(in: 1...70), Gen.int(in: 1...4), Gen.int(in: 0...10_000)) { d, m, seed in
            var rng = TestRNG(seed: UInt64(seed))
            let x = randomFloatMatrix(d, m, &rng)
            let gain = (0..<d).map { _ in Float(Double.random(in: 0.5...2, using: &rng)) }
            let bias = (0..<d).map { _ in Float(standardNormal(using: &rng)) }
            var outV = FloatMatrix(rows: d, columns: m), outP = FloatMatrix(rows: d, columns: m)
            x.normalizeColumns(gain: gain, bias: bias, epsilon: 1e-5, into: &outV, vectorized: true)
            x.normalizeColumns(gain: gain, bias: bias, epsilon: 1e-5, into: &outP, vectorized: false)
            var addV = x, addP = x, geluV = x, geluP = x
            addV.addToEachColumn(bias, vectorized: true)
            addP.addToEachColumn(bias, vectorized: false)
            for i in geluV.storage.indices { geluV.storage[i] *= 3; geluP.storage[i] *= 3 }
            geluV.applyGELU(vectorized: true)
            geluP.applyGELU(vectorized: false)
            var softV = x, softP = x
            for i in softV.storage.indices { softV.storage[i] *= 8; softP.storage[i] *= 8 }
            softV.softmaxColumns(softV.whole, vectorized: true)
            softP.softmaxColumns(softP.whole, vectorized: false)
            #expect(addV == addP)
            for i in x.storage.indices {
                #expect(abs(outV.storage[i] - outP.storage[i]) <= 2e-6, "layer norm \(outV.storage[i]) vs \(outP.storage[i])")
                #expect(abs(geluV.storage[i] - geluP.storage[i]) <= 2e-6, "GELU \(geluV.storage[i]) vs \(geluP.storage[i])")
                #expect(abs(softV.storage[i] - softP.storage[i]) <= 1e-6 * softP.storage[i], "softmax \(softV.storage[i]) vs \(softP.storage[i])")
            }
        }
    }

    /// GELU through the Abramowitz–Stegun erf (|error| ≤ 3e-7) against ½z(1 + erf(z/√2)) in Float64:
    /// |difference| ≤ 2e-7·(1 + |z|) on [−10, 10] (erf error ½|z|·3e-7 plus Float rounding), 0 at 0.
    /// Both C paths (AVX2 and portable).
    @Test func geluMatchesFloat64() {
        var rng = TestRNG(seed: 10)
        var z = (0..<20_001).map { _ in Float(Double.random(in: -10...10, using: &rng)) }
        z[0] = 0
        for vectorized in [true, false] {
            var m = FloatMatrix(rows: 3, columns: 6667, columnMajor: z)
            m.applyGELU(vectorized: vectorized)
            #expect(m.storage[0] == 0)
            var worst = 0.0
            for i in z.indices {
                let exact = 0.5 * Double(z[i]) * (1 + Foundation.erf(Double(z[i]) / 2.0.squareRoot()))
                worst = max(worst, abs(Double(m.storage[i]) - exact) / (1 + abs(Double(z[i]))))
            }
            #expect(worst <= 2e-7, "vectorized \(vectorized): worst scaled error \(worst)")
        }
    }

    /// Column softmax on a block against a Float64 softmax of the same Float inputs: relative 5e-6 per
    /// entry (the Float difference x − max, |x − max| ≤ 60 here, is rounded by up to 60·2⁻²⁴ ≈ 3.6e-6,
    /// exp adds ≤ 4e-7, the normalisation a few 6e-8); entries outside the block unchanged; each
    /// column sums to 1 within 1e-6.
    @Test func softmaxColumnsMatchesFloat64() async {
        await propertyCheck(input: Gen.int(in: 1...40), Gen.int(in: 1...5), Gen.int(in: 0...10_000)) { n, m, seed in
            var rng = TestRNG(seed: UInt64(seed))
            var a = randomFloatMatrix(n + 2, m + 1, &rng)
            for i in a.storage.indices { a.storage[i] *= 8 }  // spreads of ±30 exercise small probabilities
            let before = a
            let block = FloatMatrix.Block(rows: 1..<(1 + n), columns: 1..<(1 + m))
            a.softmaxColumns(block)
            for j in 0..<a.columns {
                for i in 0..<a.rows where !(block.rows.contains(i) && block.columns.contains(j)) {
                    #expect(a[i, j] == before[i, j])
                }
            }
            for j in block.columns {
                let x = block.rows.map { Double(before[$0, j]) }
                let top = x.max()!
                let total = x.reduce(0) { $0 + Foundation.exp($1 - top) }
                var sum = 0.0
                for (k, i) in block.rows.enumerated() {
                    let p = Foundation.exp(x[k] - top) / total
                    #expect(abs(Double(a[i, j]) - p) <= 5e-6 * p + 1e-30, "p[\(i), \(j)] = \(a[i, j]), expected \(p)")
                    sum += Double(a[i, j])
                }
                #expect(abs(sum - 1) <= 1e-6)
            }
        }
    }

    /// Layer normalisation of columns against a Float64 two-pass computation, and the broadcasts:
    /// |difference| ≤ 1e-5 (Float rounding of O(d) sums over d ≤ 70 values of order 1, times γ ≤ 2).
    @Test func normalizeAndBroadcastColumns() async {
        await propertyCheck(input: Gen.int(in: 1...70), Gen.int(in: 1...4), Gen.int(in: 0...10_000)) { d, m, seed in
            var rng = TestRNG(seed: UInt64(seed))
            let x = randomFloatMatrix(d, m, &rng)
            let gain = (0..<d).map { _ in Float(Double.random(in: 0.5...2, using: &rng)) }
            let bias = (0..<d).map { _ in Float(standardNormal(using: &rng)) }
            var out = FloatMatrix(rows: d, columns: m)
            x.normalizeColumns(gain: gain, bias: bias, epsilon: 1e-5, into: &out)
            for j in 0..<m {
                let col = (0..<d).map { Double(x[$0, j]) }
                let mean = col.reduce(0, +) / Double(d)
                let variance = col.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(d)
                for i in 0..<d {
                    let expected = Double(gain[i]) * (col[i] - mean) / (variance + 1e-5).squareRoot() + Double(bias[i])
                    #expect(abs(Double(out[i, j]) - expected) <= 1e-5, "(\(i), \(j)): \(out[i, j]) vs \(expected)")
                }
            }
            var b = x
            b.addToEachColumn(bias)
            var c = x
            c.setEachColumn(to: bias)
            for j in 0..<m {
                for i in 0..<d {
                    #expect(b[i, j] == x[i, j] + bias[i])
                    #expect(c[i, j] == bias[i])
                }
            }
        }
    }

    /// Masked attention of one dataset against a Float64 evaluation of its definition (scores
    /// q_tᵀk_j/√d_h over the keys t may see — the context, plus t itself for a query — softmax,
    /// weighted sum of values), for both C paths, with the dataset's columns and the output block
    /// offset inside larger matrices (columns outside them must not change). Sizes cover head widths
    /// that are not multiples of 8, empty contexts and more than 32 keys.
    /// Tolerance per output entry, from the rounding of each step: scores carry
    /// δ = γ_{d_h+1}·max_j Σ_r|q_r k_jr|/√d_h + u·max_j|s_j − max| (dot products, scaling, shift); the
    /// weights then a relative 2δ + 4·10⁻⁷ (exp) + γ_{n+1} (sum), doubled for the normalisation; the
    /// weighted sum γ_{n+2} more — all times max_j |v_j| (u = 2⁻²⁴, γ_k = k·u/(1 − k·u)).
    @Test func maskedAttentionMatchesFloat64() async {
        await propertyCheck(input: Gen.int(in: 1...3), Gen.int(in: 1...19), Gen.int(in: 0...40), Gen.int(in: 0...6),
                            Gen.int(in: 0...10_000)) { heads, dh, context, queries, seed in
            var rng = TestRNG(seed: UInt64(seed))
            let d = heads * dh, n = context + queries
            let first = seed % 2 == 0 ? 0 : context  // all tokens, or the queries only
            let qkv = randomFloatMatrix(3 * d, n + 3, &rng)  // the dataset is columns 2 ..< 2 + n
            let u = Double(Float.ulpOfOne) / 2
            func gamma(_ k: Int) -> Double { Double(k) * u / (1 - Double(k) * u) }
            for vectorized in [true, false] {
                var out = randomFloatMatrix(d, n - first + 2, &rng)
                let before = out
                var scratch: [Float] = []
                qkv.maskedAttention(heads: heads, tokens: 2..<(2 + n), context: context, from: first, into: &out, atColumn: 1,
                                    scratch: &scratch, vectorized: vectorized)
                for j in 0..<out.columns where j < 1 || j >= 1 + n - first {
                    #expect((0..<d).allSatisfy { out[$0, j] == before[$0, j] }, "column \(j) outside the output block changed")
                }
                let scale = 1 / Double(dh).squareRoot()
                for t in first..<n {
                    let keys = Array(0..<context) + (t >= context ? [t] : [])
                    for h in 0..<heads {
                        func q(_ r: Int) -> Double { Double(qkv[h * dh + r, 2 + t]) }
                        func k(_ j: Int, _ r: Int) -> Double { Double(qkv[d + h * dh + r, 2 + j]) }
                        func v(_ j: Int, _ r: Int) -> Double { Double(qkv[2 * d + h * dh + r, 2 + j]) }
                        let scores = keys.map { j in (0..<dh).reduce(0.0) { $0 + q($1) * k(j, $1) } * scale }
                        let top = scores.max()!
                        let weights = scores.map { Foundation.exp($0 - top) }
                        let total = weights.reduce(0, +)
                        let magnitude = keys.map { j in (0..<dh).reduce(0.0) { $0 + abs(q($1) * k(j, $1)) } * scale }.max()!
                        let delta = gamma(dh + 1) * magnitude + u * scores.map { abs($0 - top) }.max()!
                        let relative = 2 * (2 * delta + 4e-7 + gamma(keys.count + 1)) + gamma(keys.count + 2)
                        for r in 0..<dh {
                            let expected = zip(keys, weights).reduce(0.0) { $0 + $1.1 * v($1.0, r) } / total
                            let tolerance = relative * keys.map { abs(v($0, r)) }.max()! + 1e-30
                            let got = Double(out[h * dh + r, 1 + t - first])
                            #expect(abs(got - expected) <= tolerance,
                                    "vectorized \(vectorized), token \(t), head \(h), row \(r): \(got) vs \(expected) ± \(tolerance)")
                        }
                    }
                }
            }
        }
    }

    @Test("copyColumns copies a column range exactly and leaves the other columns alone")
    func copyColumnsIsExact() {
        var rng = TestRNG(seed: 11)
        let source = randomFloatMatrix(5, 7, &rng)
        var target = randomFloatMatrix(5, 6, &rng)
        let before = target
        target.copyColumns(2..<5, of: source, to: 1)
        for j in 0..<6 {
            for i in 0..<5 {
                #expect(target[i, j] == ((1..<4).contains(j) ? source[i, j + 1] : before[i, j]))
            }
        }
    }
}
