import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing

/// A badly scaled, strictly diagonally dominant SPD matrix: diag d with dᵢ = 10^U(−3, 3) plus a
/// symmetric off-diagonal part with |Eᵢⱼ| ≤ 0.5·min(dᵢ, dⱼ)/n, so D^{-1/2} A D^{-1/2} is within 0.5 of I.
private func badlyScaledDominant(_ n: Int, using rng: inout TestRNG) -> Matrix {
    let d = (0..<n).map { _ in pow(10, Double.random(in: -3...3, using: &rng)) }
    var a = Matrix(rows: n, columns: n)
    for j in 0..<n {
        a[j, j] = d[j]
        for i in (j + 1)..<max(j + 1, n) {
            let e = Double.random(in: -0.5...0.5, using: &rng) * min(d[i], d[j]) / Double(n)
            a[i, j] = e
            a[j, i] = e
        }
    }
    return a
}

@Suite("Conjugate gradients")
struct ConjugateGradientTests {
    @Test("CG equals the Cholesky solution on random SPD systems (n = 1…40)")
    func matchesCholesky() async {
        await propertyCheck(input: Gen.int(in: 1...40), Gen.int(in: 0...1_000_000)) { n, seed in
            var rng = TestRNG(seed: UInt64(seed))
            let a = randomSPDMatrix(n, using: &rng)
            let b = Vector((0..<n).map { _ in standardNormal(using: &rng) })
            let result = try ConjugateGradient.solve(b, relativeTolerance: 1e-12) { a * $0 }
            let expected = try Cholesky(a, jitter: .none).solve(b)
            #expect(result.converged && result.relativeResidual <= 1e-12)
            // cond(A) = O(10): ‖x − x*‖ ≤ cond · 1e-12 · ‖x*‖ plus the recursive-residual drift.
            expectClose(result.solution.elements, expected.elements, rtol: 0, atol: 1e-10 * expected.maxAbs)
            // The true residual is within a small factor of the reported one.
            #expect((a * result.solution - b).norm <= 1e-11 * b.norm)
        }
    }

    @Test("with k distinct eigenvalues CG converges in k iterations")
    func finiteTermination() throws {
        // diag with values {1, 4, 9} repeated: the Krylov space has dimension 3.
        let d = (0..<30).map { Double([1, 4, 9][$0 % 3]) }
        let b = Vector((0..<30).map { sin(Double($0) + 1) })
        let result = try ConjugateGradient.solve(b, relativeTolerance: 1e-10) { $0.hadamard(Vector(d)) }
        #expect(result.iterations == 3)
        expectClose(result.solution.elements, zip(b, d).map { $0 / $1 }, rtol: 1e-9)
    }

    @Test("Jacobi-preconditioned CG needs fewer iterations on a badly scaled dominant system", arguments: [1, 2, 3])
    func jacobiPreconditioner(seed: UInt64) throws {
        var rng = TestRNG(seed: seed)
        let n = 80
        let a = badlyScaledDominant(n, using: &rng)
        let b = Vector((0..<n).map { _ in standardNormal(using: &rng) })
        let inverseDiagonal = Vector(a.diagonal.elements.map { 1 / $0 })
        let plain = try ConjugateGradient.solve(b, relativeTolerance: 1e-10, maxIterations: 5000) { a * $0 }
        let jacobi = try ConjugateGradient.solve(b, relativeTolerance: 1e-10,
                                                 preconditioner: { $0.hadamard(inverseDiagonal) }) { a * $0 }
        // κ(D^{-1/2} A D^{-1/2}) ≤ 3, so PCG needs ≲ log(2e10)/log(1/0.27) ≈ 18 iterations; plain CG sees κ ≈ 1e6.
        #expect(jacobi.iterations <= 25)
        #expect(jacobi.iterations < plain.iterations, "PCG \(jacobi.iterations) vs CG \(plain.iterations)")
        let expected = try Cholesky(a, jitter: .none).solve(b)
        expectClose(jacobi.solution.elements, expected.elements, rtol: 0, atol: 1e-7 * expected.maxAbs)
    }

    @Test("too few iterations: throws noConvergence, or flags it under .returnLastIterate")
    func nonConvergence() throws {
        var rng = TestRNG(seed: 9)
        let a = randomSPDMatrix(50, using: &rng)
        let b = Vector((0..<50).map { _ in standardNormal(using: &rng) })
        #expect {
            try ConjugateGradient.solve(b, relativeTolerance: 1e-12, maxIterations: 2) { a * $0 }
        } throws: { error in
            guard case let LinalgError.noConvergence(_, iterations, residual)? = error as? LinalgError else { return false }
            return iterations == 2 && residual > 1e-12 && residual < 1
        }
        let partial = try ConjugateGradient.solve(b, relativeTolerance: 1e-12, maxIterations: 2,
                                                  onNonConvergence: .returnLastIterate) { a * $0 }
        #expect(!partial.converged && partial.iterations == 2 && partial.relativeResidual > 1e-12)
        #expect(abs((a * partial.solution - b).norm / b.norm - partial.relativeResidual) <= 1e-10)
    }

    @Test("initial guess, zero right-hand side, indefinite operator and NaN")
    func edgeCases() throws {
        let a = Matrix([[4, 1], [1, 3]])
        let b = Vector([1, 2])
        let exact = try Cholesky(a).solve(b)
        let warm = try ConjugateGradient.solve(b, initialGuess: exact) { a * $0 }
        #expect(warm.iterations == 0)
        let zero = try ConjugateGradient.solve(.zeros(2)) { a * $0 }
        #expect(zero.solution == .zeros(2) && zero.iterations == 0)
        #expect(throws: LinalgError.self) { try ConjugateGradient.solve(b) { -$0 } }
        #expect(throws: LinalgError.nonFinite(what: "CG matrix-vector product output")) {
            try ConjugateGradient.solve(b) { _ in Vector([.nan, 0]) }
        }
    }
}
