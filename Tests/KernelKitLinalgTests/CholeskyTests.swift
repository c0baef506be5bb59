import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing

@Suite("Cholesky")
struct CholeskyTests {
    @Test("L Lᵀ reconstructs A and solves have small residuals", arguments: [1, 2, 7, 40, 129])
    func reconstructionAndSolve(n: Int) throws {
        var rng = TestRNG(seed: UInt64(n))
        let a = randomSPDMatrix(n, using: &rng)
        let c = try Cholesky(a)
        #expect(c.jitter == 0)
        // Backward error of dpotrf: ‖A − LLᵀ‖ ≤ c·n·ε‖A‖.
        expectClose(BLAS.matmul(c.lower, c.lower, .none, .transpose), a, rtol: 0, atol: 1e-13 * a.maxAbs * Double(n))
        let b = Vector((0..<n).map { _ in standardNormal(using: &rng) })
        let x = c.solve(b)
        let r = a * x - b
        #expect(r.maxAbs <= 1e-12 * a.maxAbs * x.maxAbs * Double(n))
    }

    @Test("log-determinant equals the sum of log-eigenvalues of a diagonal matrix")
    func logDetDiagonal() async {
        await propertyCheck(input: Gen.double(in: 0.1...10).array(of: 1...20)) { d in
            let c = try! Cholesky(.diagonal(d))
            let expected = d.reduce(0) { $0 + _logForTest($1) }
            expectClose(c.logDeterminant, expected, rtol: 1e-13, atol: 1e-13)
        }
    }

    @Test("a rank-deficient PSD matrix needs jitter, and gets the smallest that works")
    func jitterEscalates() throws {
        // All-ones 3×3: PSD with rank 1.
        let a = Matrix(rows: 3, columns: 3, repeating: 1)
        let c = try Cholesky(a)
        #expect(c.jitter > 0 && c.jitter <= 1e-6)
        #expect(throws: LinalgError.self) { try Cholesky(a, jitter: .none) }
    }

    @Test("an indefinite matrix throws notPositiveDefinite after escalating jitter")
    func indefiniteThrows() {
        let a = Matrix([[1, 2], [2, 1]])  // eigenvalues 3, −1
        #expect {
            try Cholesky(a)
        } throws: { error in
            guard case LinalgError.notPositiveDefinite(_, let jitter)? = error as? LinalgError else { return false }
            return jitter > 0
        }
    }

    @Test("NaN input is rejected, not factored")
    func nanRejected() {
        var a = Matrix.identity(3)
        a[1, 1] = .nan
        #expect(throws: LinalgError.nonFinite(what: "matrix to factor")) { try Cholesky(a) }
    }
}

private func _logForTest(_ x: Double) -> Double { x.isZero ? -.infinity : Double(log(x)) }
#if canImport(Glibc)
import Glibc
#endif
