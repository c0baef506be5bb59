import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import Testing

private func gaussians(_ n: Int, _ rng: inout TestRNG) -> [Double] { (0..<n).map { _ in standardNormal(using: &rng) } }

/// FFT products carry absolute round-off O(ε log L)·(Σ|c| + Σ|r|)·‖x‖_∞; 1e-13 × that is ≈ 500 ε × the scale.
private func fftTolerance(_ c: [Double], _ r: [Double], _ x: Vector) -> Double {
    1e-13 * (c.reduce(0) { $0 + abs($1) } + r.reduce(0) { $0 + abs($1) }) * max(x.maxAbs, 1e-300)
}

@Suite("Toeplitz and circulant products")
struct ToeplitzTests {
    @Test("symmetric Toeplitz product equals the dense product", arguments: [1, 2, 5, 17, 64, 100])
    func symmetric(n: Int) {
        var rng = TestRNG(seed: UInt64(n))
        // A squared-exponential kernel on a grid (the typical use) plus noise so entries are not all positive.
        let c = (0..<n).map { k in exp(-0.5 * Double(k * k) / 9) + 0.1 * standardNormal(using: &rng) }
        let t = ToeplitzMatrix(symmetricFirstColumn: c)
        let x = Vector(gaussians(n, &rng))
        #expect(t.dense == t.dense.transposed)
        expectClose((t * x).elements, (t.dense * x).elements, rtol: 0, atol: fftTolerance(c, c, x), "n = \(n)")
    }

    /// 2·T₁x − 0.5·T₂ᵀy through one embedding equals the dense combination (the transpose from the
    /// conjugate spectrum), within the FFT round-off bound of both terms.
    @Test("fused sum of Toeplitz products and transposes equals the dense combination", arguments: [1, 2, 7, 31, 100])
    func fusedSum(n: Int) {
        var rng = TestRNG(seed: UInt64(500 + n))
        let c1 = gaussians(n, &rng), r1 = gaussians(n, &rng), c2 = gaussians(n, &rng), r2 = gaussians(n, &rng)
        let x = Vector(gaussians(n, &rng)), y = Vector(gaussians(n, &rng))
        let e = ToeplitzEmbedding(order: n)
        let sum = e.apply([.init(e.spectrum(column: c1, row: r1), e.transform(x.elements), coefficient: 2),
                           .init(e.spectrum(column: c2, row: r2), e.transform(y.elements), coefficient: -0.5, transpose: true)])
        let t1 = ToeplitzMatrix(firstColumn: c1, firstRow: r1).dense, t2 = ToeplitzMatrix(firstColumn: c2, firstRow: r2).dense
        let dense = zip((t1 * x).elements, (t2.transposed * y).elements).map { 2 * $0 - 0.5 * $1 }
        let tolerance = 2 * fftTolerance(c1, r1, x) + 0.5 * fftTolerance(c2, r2, y)
        expectClose(sum, dense, rtol: 0, atol: tolerance, "n = \(n)")
    }

    @Test("general rectangular Toeplitz product equals the dense product",
          arguments: [(1, 1), (1, 4), (4, 1), (3, 5), (7, 2), (16, 16), (33, 20), (20, 33)])
    func general(shape: (Int, Int)) {
        let (m, n) = shape
        var rng = TestRNG(seed: UInt64(100 * m + n))
        let c = gaussians(m, &rng), r = gaussians(n, &rng)
        let t = ToeplitzMatrix(firstColumn: c, firstRow: r)
        #expect(t.rows == m && t.columns == n)
        let d = t.dense
        // Structure: constant along diagonals, first column c, first row r (r[0] replaced by c[0]).
        for i in 0..<m { #expect(d[i, 0] == c[i]) }
        for j in 1..<n { #expect(d[0, j] == r[j]) }
        for i in 1..<m { for j in 1..<n { #expect(d[i, j] == d[i - 1, j - 1]) } }
        let x = Vector(gaussians(n, &rng))
        expectClose(t.multiply(x).elements, (d * x).elements, rtol: 0, atol: fftTolerance(c, r, x), "\(m)×\(n)")
    }

    @Test("circulant product equals the dense product (scipy.linalg.circulant convention)", arguments: [1, 2, 3, 8, 31, 64])
    func circulant(n: Int) {
        var rng = TestRNG(seed: 7 + UInt64(n))
        let c = gaussians(n, &rng)
        let circ = CirculantMatrix(firstColumn: c)
        let d = circ.dense
        if n > 1 {
            #expect(d[1, 0] == c[1])
            #expect(d[0, 1] == c[n - 1])
        }
        let x = Vector(gaussians(n, &rng))
        expectClose((circ * x).elements, (d * x).elements, rtol: 0, atol: fftTolerance(c, [], x), "n = \(n)")
    }

    @Test("circulant eigenpairs: C v_k = λ_k v_k for the Fourier modes v_k[j] = e^{2πi jk/n}", arguments: [1, 4, 9, 16])
    func circulantEigenpairs(n: Int) {
        var rng = TestRNG(seed: 11 + UInt64(n))
        let c = gaussians(n, &rng)
        let circ = CirculantMatrix(firstColumn: c)
        let lambda = circ.eigenvalues, d = circ.dense
        let atol = 1e-13 * c.reduce(0) { $0 + abs($1) }
        for k in 0..<n {
            let angles = (0..<n).map { 2 * Double.pi * Double(($0 * k) % n) / Double(n) }
            let re = Vector(angles.map { cos($0) }), im = Vector(angles.map { sin($0) })
            // (C v)_j against (λ v)_j, real and imaginary parts, with the dense matrix as reference.
            expectClose((d * re).elements, zip(re, im).map { lambda.real[k] * $0 - lambda.imag[k] * $1 }, rtol: 0, atol: atol)
            expectClose((d * im).elements, zip(re, im).map { lambda.real[k] * $1 + lambda.imag[k] * $0 }, rtol: 0, atol: atol)
        }
    }

    @Test("a circulant whose first column is e₁ shifts the vector cyclically")
    func shift() {
        var c = [Double](repeating: 0, count: 6)
        c[1] = 1
        let y = CirculantMatrix(firstColumn: c) * Vector([1, 2, 3, 4, 5, 6])
        expectClose(y.elements, [6, 1, 2, 3, 4, 5], rtol: 0, atol: 1e-14)
    }
}
