/// Conjugate gradients (CG) and preconditioned conjugate gradients (PCG) for `A x = b` with A symmetric
/// positive definite, given only as a matrix-vector product `v ↦ A v`.
///
/// Iteration k minimises the A-norm error over x₀ + the Krylov space K_k(M⁻¹A, M⁻¹r₀); the error
/// contracts at least like 2((√κ − 1)/(√κ + 1))ᵏ with κ the condition number of M⁻¹A, and in exact
/// arithmetic CG terminates after as many steps as A has distinct eigenvalues.
/// Stopping rule: ‖rₖ‖₂ ≤ `relativeTolerance` · ‖b‖₂ on the recursively updated residual
/// rₖ = b − A xₖ (the rule of `scipy.sparse.linalg.cg` with `atol = 0`). In floating point the recursive
/// residual can drift below the true one by about ε κ ‖b‖, so tolerances below that are not meaningful.
///
/// Cost per iteration: one product with A, one application of the preconditioner, 2 dot products and
/// 3 axpy-like updates (O(n)); memory: 4 vectors of length n plus what the closures allocate.
/// Reference: Hestenes & Stiefel (1952); Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed.,
/// Alg. 6.18 (CG) and Alg. 9.1 (PCG); Golub & Van Loan, 4th ed., §11.3–11.5.
public enum ConjugateGradient {
    /// What `solve` does when `maxIterations` is reached before the tolerance.
    public enum NonConvergencePolicy: Sendable, Equatable {
        /// Throw `LinalgError.noConvergence` (the default: an unconverged iterate is not a solution).
        case throwError
        /// Return the last iterate with `Result.converged == false` (fixed-budget CG, as GPyTorch does).
        case returnLastIterate
    }

    /// The outcome of a CG solve.
    public struct Result: Sendable {
        /// The final iterate x_k.
        public let solution: Vector
        /// Number of iterations k, i.e. products with A after the initial residual.
        public let iterations: Int
        /// ‖r_k‖₂ / ‖b‖₂ for the recursively updated residual (0 when b = 0).
        public let relativeResidual: Double
        /// Whether `relativeResidual ≤ relativeTolerance`.
        public let converged: Bool
    }

    /// Solve `A x = b` for symmetric positive definite A given by `matrixVectorProduct` (v ↦ A v).
    ///
    /// - Parameters:
    ///   - b: the right-hand side.
    ///   - initialGuess: x₀ (zero when nil); a good guess (e.g. the previous solution in an outer
    ///     optimisation loop) saves iterations and costs one extra product with A.
    ///   - relativeTolerance: stop when ‖b − A x‖₂ ≤ relativeTolerance · ‖b‖₂ (recursive residual).
    ///   - maxIterations: iteration budget; nil means 10 n (SciPy's default).
    ///   - onNonConvergence: throw (default) or return the last iterate flagged `converged == false`.
    ///   - preconditioner: r ↦ M⁻¹ r for a symmetric positive definite M ≈ A (e.g. Jacobi:
    ///     r ↦ r ./ diag(A)); nil for plain CG.
    ///   - matrixVectorProduct: v ↦ A v.
    /// - Returns: the solution, the iteration count and the final relative residual.
    /// - Throws: `LinalgError.nonFinite` for NaN/∞ in b or x₀, or when a product with A or M⁻¹ yields
    ///   NaN/∞; `LinalgError.domain` when pᵀAp ≤ 0 or rᵀM⁻¹r ≤ 0 (A or M⁻¹ is not positive definite);
    ///   `LinalgError.noConvergence` (with the iterations and relative residual reached) under the
    ///   `.throwError` policy; and whatever the closures throw.
    public static func solve(
        _ b: Vector,
        initialGuess: Vector? = nil,
        relativeTolerance: Double = 1e-8,
        maxIterations: Int? = nil,
        onNonConvergence: NonConvergencePolicy = .throwError,
        preconditioner: ((Vector) throws -> Vector)? = nil,
        matrixVectorProduct: (Vector) throws -> Vector
    ) throws -> Result {
        let n = b.count
        let budget = maxIterations ?? 10 * n
        precondition(relativeTolerance >= 0 && budget >= 0, "CG: tolerance and maxIterations must be ≥ 0")
        guard b.isFinite else { throw LinalgError.nonFinite(what: "right-hand side of the CG solve") }
        let bNorm = b.norm
        var x: Vector
        var r: Vector
        if let x0 = initialGuess {
            precondition(x0.count == n, "CG: initial guess has \(x0.count) elements, expected \(n)")
            guard x0.isFinite else { throw LinalgError.nonFinite(what: "initial guess of the CG solve") }
            x = x0
            r = b
            let ax = try checkedProduct(matrixVectorProduct, x, n, "matrix-vector product")
            BLAS.axpy(-1, ax, &r)
        } else {
            x = .zeros(n)
            r = b
        }
        guard bNorm > 0 else {
            return Result(solution: .zeros(n), iterations: 0, relativeResidual: 0, converged: true)
        }
        let threshold = relativeTolerance * bNorm
        var rNorm = r.norm
        if rNorm <= threshold {
            return Result(solution: x, iterations: 0, relativeResidual: rNorm / bNorm, converged: true)
        }
        var z = try preconditioner.map { try checkedProduct($0, r, n, "preconditioner") } ?? r
        var p = z
        var rz = BLAS.dot(r, z)
        guard rz > 0 else { throw notPositiveDefinite("the preconditioner", "rᵀM⁻¹r", rz, 0) }
        var iterations = 0
        while iterations < budget {
            iterations += 1
            let ap = try checkedProduct(matrixVectorProduct, p, n, "matrix-vector product")
            let pAp = BLAS.dot(p, ap)
            guard pAp > 0 else { throw notPositiveDefinite("the matrix", "pᵀAp", pAp, iterations) }
            let alpha = rz / pAp
            BLAS.axpy(alpha, p, &x)
            BLAS.axpy(-alpha, ap, &r)
            rNorm = r.norm
            if rNorm <= threshold {
                return Result(solution: x, iterations: iterations, relativeResidual: rNorm / bNorm, converged: true)
            }
            if let preconditioner {
                z = try checkedProduct(preconditioner, r, n, "preconditioner")
            } else {
                z = r
            }
            let rzNext = BLAS.dot(r, z)
            guard rzNext > 0 else { throw notPositiveDefinite("the preconditioner", "rᵀM⁻¹r", rzNext, iterations) }
            let beta = rzNext / rz
            rz = rzNext
            // p ← z + β p
            p.elements.withUnsafeMutableBufferPointer { pp in
                z.elements.withUnsafeBufferPointer { zp in
                    for i in 0..<n { pp[i] = zp[i] + beta * pp[i] }
                }
            }
        }
        let relative = rNorm / bNorm
        switch onNonConvergence {
        case .throwError:
            throw LinalgError.noConvergence(routine: preconditioner == nil ? "conjugate gradients"
                                                : "preconditioned conjugate gradients",
                                            iterations: iterations, residual: relative)
        case .returnLastIterate:
            return Result(solution: x, iterations: iterations, relativeResidual: relative, converged: false)
        }
    }

    /// `f(v)`, checked for length and finiteness.
    private static func checkedProduct(_ f: (Vector) throws -> Vector, _ v: Vector, _ n: Int,
                                       _ what: String) throws -> Vector {
        let y = try f(v)
        precondition(y.count == n, "CG: \(what) returned \(y.count) elements, expected \(n)")
        guard y.isFinite else { throw LinalgError.nonFinite(what: "CG \(what) output") }
        return y
    }

    private static func notPositiveDefinite(_ who: String, _ quantity: String, _ value: Double,
                                            _ iteration: Int) -> LinalgError {
        .domain("conjugate gradients: \(quantity) = \(value) ≤ 0 at iteration \(iteration), so \(who) is not "
            + "symmetric positive definite; CG needs an SPD operator and preconditioner")
    }
}
