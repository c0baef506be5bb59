import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing

@Suite("Matrix reductions")
struct MatrixReductionTests {
    @Test("one-pass row squared norms and column sums equal dnrm2² per row and dgemv with ones (rtol 1e-13)")
    func rowNormsAndColumnSums() async {
        await propertyCheck(input: Gen.int(in: 0...13), Gen.int(in: 1...9), Gen.int(in: 0...1000)) { rows, columns, seed in
            var rng = TestRNG(seed: UInt64(seed))
            let a = randomGaussianMatrix(rows: rows, columns: columns, using: &rng)
            let (squares, sums) = a.rowSquaredNormsAndColumnSums()
            #expect(squares.count == rows && sums.count == columns)
            for i in 0..<rows {
                let norm = a.row(i).norm
                expectClose(squares[i], norm * norm, rtol: 1e-13, atol: 1e-300)
            }
            var expected = Vector.zeros(columns)
            BLAS.gemv(.transpose, a, Vector(repeating: 1, count: rows), &expected)
            let scale = a.maxAbs * Double(max(rows, 1))
            expectClose(sums, expected.elements, rtol: 0, atol: 1e-14 * scale)
        }
    }

    @Test("symmetrizeByAveraging gives (A + Aᵀ)/2 exactly (entrywise, one rounding)")
    func symmetrizeByAveraging() async {
        await propertyCheck(input: Gen.int(in: 0...12), Gen.int(in: 0...1000)) { n, seed in
            var rng = TestRNG(seed: UInt64(seed))
            let a = randomGaussianMatrix(rows: n, columns: n, using: &rng)
            var s = a
            s.symmetrizeByAveraging()
            for j in 0..<n {
                for i in 0..<n { #expect(s[i, j] == 0.5 * (a[i, j] + a[j, i])) }
            }
        }
    }
}
