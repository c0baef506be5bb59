import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing

/// A random symmetric (generally indefinite) matrix (G + Gᵀ)/2.
private func randomSymmetric(_ n: Int, using rng: inout TestRNG) -> Matrix {
    let g = randomGaussianMatrix(rows: n, columns: n, using: &rng)
    return 0.5 * (g + g.transposed)
}

@Suite("Symmetric eigendecomposition")
struct SymmetricEigenTests {
    @Test("V Λ Vᵀ = A, VᵀV = I, eigenvalues ascending (random symmetric, n = 1…30)")
    func reconstructionAndOrthogonality() async {
        await propertyCheck(input: Gen.int(in: 1...30), Gen.int(in: 0...1_000_000)) { n, seed in
            var rng = TestRNG(seed: UInt64(seed))
            let a = randomSymmetric(n, using: &rng)
            let e = try SymmetricEigen(a)
            // Backward stability of dsyevd: ‖A − VΛVᵀ‖ = O(nε‖A‖); 1e-13·n·max|A| is ≈ 450nε.
            expectClose(e.reconstructed(), a, rtol: 0, atol: 1e-13 * Double(n) * a.maxAbs, "VΛVᵀ")
            expectClose(BLAS.matmul(e.eigenvectors, e.eigenvectors, .transpose), .identity(n),
                        rtol: 0, atol: 1e-13 * Double(n), "VᵀV")
            #expect(zip(e.eigenvalues.dropFirst(), e.eigenvalues).allSatisfy { $0 >= $1 })
        }
    }

    @Test("eigenvalues of tridiag(−1, 2, −1) equal 2 − 2cos(kπ/(n+1))", arguments: [1, 2, 5, 33])
    func closedFormEigenvalues(n: Int) throws {
        let a = Matrix(rows: n, columns: n) { i, j in i == j ? 2 : (abs(i - j) == 1 ? -1 : 0) }
        let e = try SymmetricEigen(a)
        let expected = (1...n).map { 2 - 2 * cos(Double($0) * .pi / Double(n + 1)) }
        // Absolute eigenvalue error O(ε‖A‖₂) with ‖A‖₂ ≤ 4.
        expectClose(e.eigenvalues.elements, expected, rtol: 0, atol: 1e-14 * 4 * Double(n))
    }

    @Test("only the requested triangle is read")
    func readsOneTriangle() throws {
        let a = Matrix([[2, 1], [1, 2]])
        var upperGarbage = a
        upperGarbage[0, 1] = 100
        var lowerGarbage = a
        lowerGarbage[1, 0] = -100
        // Eigenvalues 1 and 3 exactly.
        expectClose(try SymmetricEigen(upperGarbage).eigenvalues.elements, [1, 3], rtol: 1e-15, atol: 1e-15)
        expectClose(try SymmetricEigen(lowerGarbage, triangle: .upper).eigenvalues.elements, [1, 3],
                    rtol: 1e-15, atol: 1e-15)
    }

    @Test("matrixFunction(sqrt) squares back to A, and log of a non-positive eigenvalue throws")
    func matrixFunction() throws {
        var rng = TestRNG(seed: 7)
        let a = randomSPDMatrix(12, using: &rng)
        let root = try SymmetricEigen(a).matrixFunction { $0.squareRoot() }
        // cond(A) = O(10): products of the root reproduce A to ≈ 1e-13 relative.
        expectClose(root * root, a, rtol: 0, atol: 1e-12 * a.maxAbs)
        let indefinite = Matrix([[1, 2], [2, 1]])  // eigenvalues −1, 3
        #expect(throws: LinalgError.self) { try SymmetricEigen(indefinite).matrixFunction { log($0) } }
    }

    @Test("NaN input throws nonFinite")
    func nanThrows() {
        var a = Matrix.identity(3)
        a[2, 1] = .nan
        #expect(throws: LinalgError.nonFinite(what: "matrix to eigendecompose")) { try SymmetricEigen(a) }
    }
}

@Suite("Singular value decomposition")
struct SVDTests {
    @Test("U Σ Vᵀ = A, orthonormal U and Vᵀ, σ descending ≥ 0 (random m, n = 1…15)")
    func reconstruction() async {
        await propertyCheck(input: Gen.int(in: 1...15), Gen.int(in: 1...15), Gen.int(in: 0...1_000_000)) { m, n, seed in
            var rng = TestRNG(seed: UInt64(seed))
            let a = randomGaussianMatrix(rows: m, columns: n, using: &rng)
            let svd = try SVD(a)
            let k = min(m, n)
            #expect(svd.u.rows == m && svd.u.columns == k && svd.vt.rows == k && svd.vt.columns == n)
            // Backward stable: ‖A − UΣVᵀ‖ = O(max(m,n) ε ‖A‖).
            expectClose(svd.reconstructed(), a, rtol: 0, atol: 1e-13 * Double(max(m, n)) * a.maxAbs, "UΣVᵀ")
            expectClose(BLAS.matmul(svd.u, svd.u, .transpose), .identity(k), rtol: 0, atol: 1e-13 * Double(m), "UᵀU")
            expectClose(BLAS.matmul(svd.vt, svd.vt, .none, .transpose), .identity(k),
                        rtol: 0, atol: 1e-13 * Double(n), "VᵀV")
            let s = svd.singularValues.elements
            #expect(s.allSatisfy { $0 >= 0 } && zip(s.dropFirst(), s).allSatisfy { $0 <= $1 })
        }
    }

    @Test("rank of a product of rank-r factors is r; A A⁺ A = A")
    func rankAndPseudoInverse() throws {
        var rng = TestRNG(seed: 11)
        for (m, n, r) in [(8, 5, 3), (5, 9, 2), (6, 6, 6), (7, 4, 1)] {
            let a = randomGaussianMatrix(rows: m, columns: r, using: &rng)
                * randomGaussianMatrix(rows: r, columns: n, using: &rng)
            let svd = try SVD(a)
            #expect(svd.rank() == r, "rank of \(m)×\(n) product of rank \(r)")
            let pinv = svd.pseudoInverse()
            #expect(pinv.rows == n && pinv.columns == m)
            // Penrose condition A A⁺ A = A; A⁺ amplifies by 1/σ_r = O(1) here.
            expectClose(a * pinv * a, a, rtol: 0, atol: 1e-12 * a.maxAbs)
        }
        #expect(try SVD(Matrix(rows: 3, columns: 4)).rank() == 0)
    }

    @Test("least squares on a tall full-rank system equals the normal-equations (Cholesky) solution")
    func leastSquares() throws {
        var rng = TestRNG(seed: 5)
        let a = randomGaussianMatrix(rows: 20, columns: 6, using: &rng)
        let b = Vector((0..<20).map { _ in standardNormal(using: &rng) })
        let x = try SVD(a).solveLeastSquares(b)
        let normal = try Cholesky(BLAS.matmul(a, a, .transpose), jitter: .none)
        let expected = normal.solve(BLAS.matvec(a, b, .transpose))
        // Gaussian 20×6: cond(AᵀA) = O(10), so both agree to ≈ 1e-14 relative.
        expectClose(x.elements, expected.elements, rtol: 1e-11, atol: 1e-12)
        // Minimum-norm solution of an underdetermined system satisfies A x = b exactly.
        let wide = randomGaussianMatrix(rows: 4, columns: 9, using: &rng)
        let c = Vector((0..<4).map { _ in standardNormal(using: &rng) })
        let y = try SVD(wide).solveLeastSquares(c)
        expectClose((wide * y).elements, c.elements, rtol: 0, atol: 1e-12 * c.maxAbs)
    }
}

@Suite("LU factorisation")
struct LUTests {
    @Test("solve residual is O(nε‖A‖‖x‖) and P A = L U (random n = 1…40)")
    func solveResidual() async {
        await propertyCheck(input: Gen.int(in: 1...40), Gen.int(in: 0...1_000_000)) { n, seed in
            var rng = TestRNG(seed: UInt64(seed))
            var a = randomGaussianMatrix(rows: n, columns: n, using: &rng)
            a.addToDiagonal(Double(n).squareRoot())  // keeps the condition number moderate
            let lu = try LU(a)
            let b = Vector((0..<n).map { _ in standardNormal(using: &rng) })
            let x = lu.solve(b)
            let scale = a.maxAbs * x.maxAbs * Double(n)
            #expect((a * x - b).maxAbs <= 1e-13 * scale, "‖Ax − b‖ vs backward-stable bound")
            let xt = lu.solve(b, transpose: true)
            #expect((BLAS.matvec(a, xt, .transpose) - b).maxAbs <= 1e-13 * a.maxAbs * xt.maxAbs * Double(n))
            let bm = randomGaussianMatrix(rows: n, columns: 3, using: &rng)
            let xm = lu.solve(bm)
            expectClose(a * xm, bm, rtol: 0, atol: 1e-13 * a.maxAbs * xm.maxAbs * Double(n))
            // Rebuild P A from LAPACK's row interchanges and compare with L U.
            var pa = a
            for (i, p) in lu.pivotRows.enumerated() {
                if p != i {
                    for j in 0..<n { let t = pa[i, j]; pa[i, j] = pa[p, j]; pa[p, j] = t }
                }
            }
            expectClose(lu.lower * lu.upper, pa, rtol: 0, atol: 1e-13 * a.maxAbs * Double(n))
        }
    }

    @Test("log|det| and sign agree with Cholesky on SPD matrices; a row swap flips the sign")
    func determinant() throws {
        var rng = TestRNG(seed: 3)
        let a = randomSPDMatrix(10, using: &rng)
        let lu = try LU(a)
        let chol = try Cholesky(a, jitter: .none)
        expectClose(lu.logAbsDeterminant, chol.logDeterminant, rtol: 1e-13)
        #expect(lu.determinantSign == 1)
        expectClose(lu.determinant, exp(chol.logDeterminant), rtol: 1e-12)
        let swapped = a.rows([1, 0, 2, 3, 4, 5, 6, 7, 8, 9])
        let luSwapped = try LU(swapped)
        #expect(luSwapped.determinantSign == -1)
        expectClose(luSwapped.logAbsDeterminant, chol.logDeterminant, rtol: 1e-13)
        // Closed form: det [[0, 2], [3, 4]] = −6.
        expectClose(try LU(Matrix([[0, 2], [3, 4]])).determinant, -6, rtol: 1e-15)
    }

    @Test("singular matrices throw singular; reciprocal condition number flags near-singularity")
    func singular() throws {
        #expect(throws: LinalgError.singular(pivot: 2)) { try LU(Matrix([[1, 2], [2, 4]])) }
        #expect(throws: LinalgError.singular(pivot: 1)) { try LU(Matrix(rows: 3, columns: 3)) }
        #expect(throws: LinalgError.nonFinite(what: "matrix to factor (LU)")) {
            try LU(Matrix([[1, .infinity], [0, 1]]))
        }
        // κ₁(I) = 1 exactly; [[1, 1], [1, 1 + 1e-12]] has κ₁ ≈ 4e12.
        expectClose(try LU(.identity(5)).reciprocalConditionNumber, 1, rtol: 1e-15)
        let nearly = try LU(Matrix([[1, 1], [1, 1 + 1e-12]]))
        #expect(nearly.reciprocalConditionNumber < 1e-11)
    }
}

@Suite("Triangular solves")
struct TriangularSolveTests {
    @Test("op(T) x = b for lower/upper, transposed or not, unit diagonal (random n = 1…25)")
    func residuals() async {
        await propertyCheck(input: Gen.int(in: 1...25), Gen.int(in: 0...1_000_000)) { n, seed in
            var rng = TestRNG(seed: UInt64(seed))
            // Diagonal in ±[1, 2] and off-diagonal N(0, 1)/n: well conditioned.
            let full = Matrix(rows: n, columns: n) { i, j in
                i == j ? (1 + Double.random(in: 0...1, using: &rng)) * (Bool.random(using: &rng) ? 1 : -1)
                    : standardNormal(using: &rng) / Double(n)
            }
            let b = Vector((0..<n).map { _ in standardNormal(using: &rng) })
            for lower in [true, false] {
                for transpose in [false, true] {
                    for unit in [false, true] {
                        let t = Matrix(rows: n, columns: n) { i, j in
                            if i == j { return unit ? 1 : full[i, j] }
                            return (lower ? i > j : i < j) ? full[i, j] : 0
                        }
                        // Garbage in the unreferenced triangle and (for unit) on the diagonal must be ignored.
                        let stored = Matrix(rows: n, columns: n) { i, j in
                            if i == j { return unit ? 1e300 : t[i, j] }
                            return (lower ? i > j : i < j) ? t[i, j] : .nan
                        }
                        let x = try solveTriangular(stored, b, lower: lower, transpose: transpose, unitDiagonal: unit)
                        let tb = transpose ? t.transposed : t
                        expectClose((tb * x).elements, b.elements, rtol: 0, atol: 1e-13 * Double(n) * x.maxAbs * 2,
                                    "lower \(lower) transpose \(transpose) unit \(unit)")
                        let bm = Matrix(rows: n, columns: 2) { i, j in j == 0 ? b[i] : -2 * b[i] }
                        let xm = try solveTriangular(stored, bm, lower: lower, transpose: transpose, unitDiagonal: unit)
                        // dtrsm and dtrsv may round differently: agree to O(nε) relative to max|x|.
                        let atol = 1e-14 * Double(n) * x.maxAbs
                        expectClose(xm.column(0).elements, x.elements, rtol: 0, atol: atol)
                        expectClose(xm.column(1).elements, (-2 * x).elements, rtol: 0, atol: 2 * atol)
                    }
                }
            }
        }
    }

    @Test("a zero diagonal throws singular, NaN throws nonFinite, overflow throws domain")
    func failures() {
        let t = Matrix([[1, 0, 0], [2, 0, 0], [3, 4, 5]])
        #expect(throws: LinalgError.singular(pivot: 2)) { try solveTriangular(t, Vector([1, 1, 1]), lower: true) }
        #expect(throws: LinalgError.nonFinite(what: "triangular matrix")) {
            try solveTriangular(Matrix([[1, .nan], [0, 1]]), Vector([1, 1]), lower: false)
        }
        #expect(throws: LinalgError.self) {
            try solveTriangular(Matrix([[1e-300, 0], [1, 1e-300]]), Vector([1e10, 1]), lower: true)
        }
    }
}
