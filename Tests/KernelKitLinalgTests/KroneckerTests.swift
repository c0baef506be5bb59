import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing

/// The dense Kronecker product built independently of the library, from the definition
/// K[r, c] = Π_k F_k[i_k, j_k] with r = ((i₁ n₂ + i₂) n₃ + …) (first factor slowest, as numpy.kron).
private func denseKronecker(_ factors: [Matrix]) -> Matrix {
    let sizes = factors.map(\.rows)
    let n = sizes.reduce(1, *)
    func digits(_ r: Int) -> [Int] {
        var r = r
        var out = [Int](repeating: 0, count: sizes.count)
        for k in sizes.indices.reversed() {
            out[k] = r % sizes[k]
            r /= sizes[k]
        }
        return out
    }
    let table = (0..<n).map(digits)
    return Matrix(rows: n, columns: n) { r, c in
        let (i, j) = (table[r], table[c])
        return factors.indices.reduce(1.0) { $0 * factors[$1][i[$1], j[$1]] }
    }
}

@Suite("Kronecker algebra")
struct KroneckerTests {
    @Test("ordering matches numpy.kron on a worked example")
    func numpyOrdering() {
        let a = Matrix([[1, 2], [3, 4]])
        let b = Matrix([[0, 5], [6, 7]])
        // numpy.kron([[1,2],[3,4]], [[0,5],[6,7]])
        let expected = Matrix([[0, 5, 0, 10], [6, 7, 12, 14], [0, 15, 0, 20], [18, 21, 24, 28]])
        let k = KroneckerProduct(a, b)
        #expect(k.dense == expected)
        #expect(k.apply(Vector([1, 0, 0, 0])) == expected.column(0))
        #expect(k.apply(Vector([1, -1, 2, 0.5])) == expected * Vector([1, -1, 2, 0.5]))
        #expect(k.diagonal == Vector([0, 7, 0, 28]))
    }

    @Test("matvec, transposed matvec, dense and diagonal equal the definition (1–3 non-symmetric factors of size 1–6)")
    func matvecEqualsDense() async {
        await propertyCheck(input: Gen.int(in: 1...6).array(of: 1...3), Gen.int(in: 0...1_000_000)) { sizes, seed in
            var rng = TestRNG(seed: UInt64(seed))
            let factors = sizes.map { randomGaussianMatrix(rows: $0, columns: $0, using: &rng) }
            let k = KroneckerProduct(factors)
            let reference = denseKronecker(factors)
            let n = reference.rows
            #expect(k.count == n && k.sizes == sizes)
            // Same products, different association: agree to a few ulp of each element's magnitude.
            expectClose(k.dense, reference, rtol: 1e-14, atol: 0)
            expectClose(k.diagonal.elements, reference.diagonal.elements, rtol: 1e-14, atol: 0)
            let x = Vector((0..<n).map { _ in standardNormal(using: &rng) })
            // Summation-order differences: |Δy| ≤ c·d·n_max·ε·(|K||x|); bound |K||x| by N·max|K|·max|x|.
            let atol = 1e-14 * Double(n) * reference.maxAbs * x.maxAbs
            expectClose(k.apply(x).elements, (reference * x).elements, rtol: 0, atol: atol, "K x")
            expectClose(k.transposed.apply(x).elements, BLAS.matvec(reference, x, .transpose).elements,
                        rtol: 0, atol: atol, "Kᵀ x")
            // Reused buffers (wrongly sized on entry, then reused) give the same result.
            var y = Vector([1])
            var workspace = Vector([])
            k.apply(x, into: &y, workspace: &workspace)
            #expect(y == k.apply(x))
            let x2 = 2 * x
            k.apply(x2, into: &y, workspace: &workspace)
            #expect(y == k.apply(x2))
        }
    }

    @Test("larger middle axes (one dgemm per slab) and 2 × 2 chains (looped slabs) match the dense product",
          arguments: [[2, 16, 8], [2, 12, 16], [2, 2, 2, 2, 2, 2]])
    func slabPaths(sizes: [Int]) {
        var rng = TestRNG(seed: UInt64(sizes.reduce(0, +)))
        let factors = sizes.map { randomGaussianMatrix(rows: $0, columns: $0, using: &rng) }
        let k = KroneckerProduct(factors)
        let reference = denseKronecker(factors)
        let x = Vector((0..<k.count).map { _ in standardNormal(using: &rng) })
        let atol = 1e-14 * Double(k.count) * reference.maxAbs * x.maxAbs
        expectClose(k.apply(x).elements, (reference * x).elements, rtol: 0, atol: atol, "K x")
        expectClose(k.transposed.apply(x).elements, BLAS.matvec(reference, x, .transpose).elements,
                    rtol: 0, atol: atol, "Kᵀ x")
    }

    @Test("solve and log-determinant of K + σ²I equal the dense Cholesky results (1–3 SPD factors of size 1–6)")
    func solveAndLogDetEqualDense() async {
        await propertyCheck(input: Gen.int(in: 1...6).array(of: 1...3), Gen.double(in: 1e-3...1),
                            Gen.int(in: 0...1_000_000)) { sizes, sigma2, seed in
            var rng = TestRNG(seed: UInt64(seed))
            let factors = sizes.map { n -> Matrix in
                // randomSPDMatrix has cond O(10); scale so factor norms vary.
                (1 / Double(n)) * randomSPDMatrix(n, using: &rng)
            }
            let k = KroneckerProduct(factors)
            let eig = try KroneckerEigen(k, shift: sigma2)
            var dense = denseKronecker(factors)
            let n = dense.rows
            dense.addToDiagonal(sigma2)
            let chol = try Cholesky(dense, jitter: .none)
            let b = Vector((0..<n).map { _ in standardNormal(using: &rng) })
            let expected = chol.solve(b)
            // cond(K + σ²I) ≤ 10³ here; both solves are backward stable: relative error ≲ cond·N·ε.
            expectClose(eig.solve(b).elements, expected.elements, rtol: 0, atol: 1e-11 * expected.maxAbs, "solve")
            expectClose(eig.logDeterminant, chol.logDeterminant, rtol: 1e-12, atol: 1e-12 * Double(n), "log det")
            // The product eigenvalues are the eigenvalues of the dense product.
            let denseEigenvalues = try SymmetricEigen(denseKronecker(factors)).eigenvalues.elements
            expectClose(eig.eigenvalues.elements.sorted(), denseEigenvalues, rtol: 0,
                        atol: 1e-13 * Double(n) * (denseEigenvalues.last ?? 1), "eigenvalues")
            // Q is orthogonal: Qᵀ Q x = x; and withShift matches a fresh decomposition.
            expectClose(eig.applyEigenvectors(eig.applyEigenvectorsTransposed(b)).elements, b.elements,
                        rtol: 0, atol: 1e-13 * b.maxAbs * Double(n))
            let other = try eig.withShift(2 * sigma2)
            let fresh = try KroneckerEigen(k, shift: 2 * sigma2)
            #expect(other.logDeterminant == fresh.logDeterminant)
            #expect(other.solve(b) == fresh.solve(b))
        }
    }

    @Test("in-place solve reuses buffers and matches the allocating solve")
    func inPlaceSolve() throws {
        var rng = TestRNG(seed: 21)
        let k = KroneckerProduct((0..<3).map { _ in randomSPDMatrix(4, using: &rng) })
        let eig = try KroneckerEigen(k, shift: 0.1)
        var x = Vector([])
        var workspace = Vector([])
        for _ in 0..<3 {
            let b = Vector((0..<64).map { _ in standardNormal(using: &rng) })
            eig.solve(b, into: &x, workspace: &workspace)
            #expect(x == eig.solve(b))
            // (K + σ²I) x = b through the factored matvec.
            let residual = k.apply(x) + 0.1 * x - b
            #expect(residual.maxAbs <= 1e-12 * b.maxAbs)
        }
    }

    @Test("an indefinite shifted product throws notPositiveDefinite; a large enough shift fixes it")
    func notPositiveDefinite() throws {
        let indefinite = Matrix([[1, 2], [2, 1]])  // eigenvalues −1, 3
        let k = KroneckerProduct(indefinite, .identity(2))
        #expect {
            try KroneckerEigen(k, shift: 0.5)
        } throws: { error in
            guard case LinalgError.notPositiveDefinite(_, let shift)? = error as? LinalgError else { return false }
            return shift == 0.5
        }
        // Eigenvalues {−1, 3} ⊗ {1, 1} shifted by 2: {1, 1, 5, 5}, log det = 2 log 5.
        let eig = try KroneckerEigen(k, shift: 2)
        expectClose(eig.logDeterminant, 2 * log(5.0), rtol: 1e-14)
        #expect(throws: LinalgError.self) { try KroneckerEigen(k, shift: .nan) }
    }
}
