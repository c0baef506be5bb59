import Foundation
import KernelKitLinalg

/// A second-order differential operator with constant coefficients and an optional cubic term,
///   E(u) = Σₖ aₖ ∂²u/∂xₖ² + Σₖ bₖ ∂u/∂xₖ + c u + γ u³,
/// covering the benchmark families: Poisson (aₖ = 1), advection (bₖ), Allen–Cahn (c = −1, γ = 1).
public struct DifferentialOperator: Sendable, Equatable {
    /// aₖ, one per dimension.
    public var secondOrder: [Double]
    /// bₖ, one per dimension.
    public var firstOrder: [Double]
    /// c.
    public var linear: Double
    /// γ (0 for a linear PDE).
    public var cubic: Double

    /// The operator with the given coefficients (`secondOrder` and `firstOrder` of equal length 1…3).
    public init(secondOrder: [Double], firstOrder: [Double], linear: Double = 0, cubic: Double = 0) {
        precondition(secondOrder.count == firstOrder.count && (1...3).contains(secondOrder.count),
                     "DifferentialOperator: one coefficient per dimension (1 to 3)")
        self.secondOrder = secondOrder
        self.firstOrder = firstOrder
        self.linear = linear
        self.cubic = cubic
    }

    /// The Laplacian Σₖ ∂²/∂xₖ² in `dimension` dimensions.
    public static func laplacian(dimension: Int) -> DifferentialOperator {
        DifferentialOperator(secondOrder: Array(repeating: 1, count: dimension),
                             firstOrder: Array(repeating: 0, count: dimension))
    }

    /// The Allen–Cahn operator Δu + u(u² − 1) = Δu − u + u³.
    public static func allenCahn(dimension: Int) -> DifferentialOperator {
        DifferentialOperator(secondOrder: Array(repeating: 1, count: dimension),
                             firstOrder: Array(repeating: 0, count: dimension), linear: -1, cubic: 1)
    }

    /// The number of dimensions.
    public var dimension: Int { secondOrder.count }
    /// True when γ = 0.
    public var isLinear: Bool { cubic == 0 }
}

/// A PDE E(u) = f on a tensor grid with Dirichlet values g on the boundary, as collocation data:
/// the source at every grid point and the boundary values at `grid.boundaryIndices` (that order).
public struct PDEProblem: Sendable {
    /// The collocation grid.
    public let grid: TensorGrid
    /// The differential operator E.
    public let equation: DifferentialOperator
    /// f at every grid point (C order, N values).
    public let source: [Double]
    /// g at the boundary points, in `grid.boundaryIndices` order.
    public let boundaryValues: [Double]

    /// Checks and stores the problem.
    /// - Throws: `PDEError.invalidProblem` for sizes that do not match the grid or an operator of
    ///   another dimension; `PDEError.nonFinite` for NaN/∞ in the source or the boundary values.
    public init(grid: TensorGrid, equation: DifferentialOperator, source: [Double], boundaryValues: [Double]) throws {
        guard equation.dimension == grid.dimension else {
            throw PDEError.invalidProblem("the operator is \(equation.dimension)-D but the grid is \(grid.dimension)-D")
        }
        guard source.count == grid.count else {
            throw PDEError.invalidProblem("the source has \(source.count) values but the grid has \(grid.count) points (\(grid.shape.map(String.init).joined(separator: " x ")))")
        }
        let nb = grid.boundaryIndices.count
        guard boundaryValues.count == nb else {
            throw PDEError.invalidProblem("\(boundaryValues.count) boundary values given, the grid has \(nb) boundary entries")
        }
        guard source.allSatisfy({ $0.isFinite }) else { throw PDEError.nonFinite("the source term") }
        guard boundaryValues.allSatisfy({ $0.isFinite }) else { throw PDEError.nonFinite("the boundary values") }
        self.grid = grid
        self.equation = equation
        self.source = source
        self.boundaryValues = boundaryValues
    }
}

/// The weights of the collocation objective's two misfit terms (GP-HM: w_bc = τ, the boundary
/// likelihood's precision; w_eq = v, the equation likelihood's precision).
public struct CollocationWeights: Sendable, Equatable {
    /// w_bc.
    public var boundary: Double
    /// w_eq.
    public var equation: Double
    /// The weights (both positive).
    public init(boundary: Double, equation: Double) {
        precondition(boundary > 0 && equation > 0, "CollocationWeights must be positive")
        self.boundary = boundary
        self.equation = equation
    }
}

/// How the linear systems are solved.
public enum LinearSolveMethod: Sendable, Equatable {
    /// Form the N × N normal matrix and factor it (Cholesky): exact, O(N³); for 1-D and small grids.
    case dense
    /// Preconditioned CG with Kronecker matrix-vector products, O(N Σ nₖ) per iteration, never forming
    /// an N × N matrix; stops at ‖r‖ ≤ tolerance ‖b‖.
    case conjugateGradient(tolerance: Double, maxIterations: Int)
    /// Dense up to N = 4096 unknowns (a Cholesky of ≈ 2e10 flops and 134 MB, with the structured
    /// assembly of `denseNormalMatrix`), CG (tolerance 1e-10) beyond.
    case automatic
}

/// A solution of the collocation objective.
public struct CollocationSolution: Sendable {
    /// u at the grid points (C order).
    public let values: [Double]
    /// The objective J at `values`.
    public let objective: Double
    /// CG iterations summed over all linear solves (0 for dense solves).
    public let conjugateGradientIterations: Int
    /// Gauss–Newton iterations (0 for a linear PDE).
    public let gaussNewtonIterations: Int
    /// False when Gauss–Newton used its iteration budget, or stopped because no step along its
    /// direction decreased J (a stationary point to rounding, or a poor linearisation); always true
    /// for a linear PDE.
    public var converged: Bool = true
}

/// GP collocation on a tensor grid with a product kernel k(x, x′) = Πₖ kₖ(xₖ, x′ₖ) (GP-HM, Fang et al.,
/// ICLR 2024). The prior covariance of u on the grid is K = K₁ ⊗ ⋯ ⊗ K_d and the derivative operators
/// act per axis (Dₖ = Kₖ″ Kₖ⁻¹ along axis k), so the objective
///   J(u) = ½ uᵀK⁻¹u + (w_bc/2) ‖S u − g‖² + (w_eq/2) ‖E(u) − f‖²
/// (S selects the boundary entries, E is the differential operator with derivatives replaced by the
/// Dₖ) is evaluated without forming any N × N matrix.
/// For a linear E its minimiser solves (K⁻¹ + w_bc SᵀS + w_eq AᵀA) u = w_bc Sᵀg + w_eq Aᵀf with A the
/// matrix of E; a cubic term is handled by Gauss–Newton with that solve inside.
public struct GPCollocation: Sendable {
    /// The grid.
    public let grid: TensorGrid
    /// The per-axis operators.
    public let axes: [AxisOperators]
    /// Boundary entries (with the multiplicity of `TensorGrid.boundaryIndices`).
    public let boundaryIndices: [Int]
    /// How many times each grid point appears in `boundaryIndices` (diag(SᵀS)).
    let boundaryMultiplicity: [Double]

    /// The collocation system for one kernel per axis.
    /// - Throws: as `AxisOperators.init`.
    public init(grid: TensorGrid, kernels: [SpectralMixtureKernel], jitter: Double = 1e-6) throws {
        precondition(kernels.count == grid.dimension, "GPCollocation: one kernel per axis")
        self.grid = grid
        self.axes = try (0..<grid.dimension).map { try AxisOperators(grid: grid.axes[$0], kernel: kernels[$0], jitter: jitter) }
        self.boundaryIndices = grid.boundaryIndices
        var m = [Double](repeating: 0, count: grid.count)
        for r in boundaryIndices { m[r] += 1 }
        self.boundaryMultiplicity = m
    }

    /// log det K = Σₖ (N/nₖ) log det Kₖ.
    public var logDeterminant: Double {
        let n = Double(grid.count)
        return axes.reduce(0) { $0 + n / Double($1.grid.count) * $1.logDeterminant }
    }

    /// K⁻¹ u = (K₁⁻¹ ⊗ ⋯ ⊗ K_d⁻¹) u. O(N Σ nₖ).
    public func applyInversePrior(_ u: [Double]) -> [Double] {
        var x = u
        for k in 0..<axes.count { x = modeProduct(axes[k].inverseGram, axis: k, shape: grid.shape, x) }
        return x
    }

    /// The derivative part of E applied to u: Σₖ aₖ D₂,ₖ u + bₖ D₁,ₖ u (or its transpose). O(N Σ nₖ).
    public func applyDerivatives(_ op: DifferentialOperator, _ u: [Double], transpose: Bool = false) -> [Double] {
        var y = [Double](repeating: 0, count: u.count)
        for k in 0..<axes.count {
            for (coefficient, matrix) in [(op.secondOrder[k], axes[k].secondDerivative),
                                          (op.firstOrder[k], axes[k].firstDerivative)] where coefficient != 0 {
                let t = modeProduct(matrix, axis: k, shape: grid.shape, u, transpose: transpose)
                for i in 0..<y.count { y[i] += coefficient * t[i] }
            }
        }
        return y
    }

    /// E(u) = Σ aₖ D₂,ₖ u + Σ bₖ D₁,ₖ u + c u + γ u³ at the grid points.
    public func applyOperator(_ op: DifferentialOperator, _ u: [Double]) -> [Double] {
        var y = applyDerivatives(op, u)
        for i in 0..<y.count { y[i] += op.linear * u[i] + op.cubic * u[i] * u[i] * u[i] }
        return y
    }

    /// How well u meets the problem's two conditions, as relative root-mean-square misfits:
    /// boundary = RMS(Su − g)/RMS(u), and equation = RMS(E(u) − f)/scale with scale the largest RMS of
    /// f and of E's separate terms (each aₖD₂,ₖu, bₖD₁,ₖu, cu, γu³), so that an equation whose terms
    /// cancel (advection, f ≡ 0) is measured against them (0/0 → 0). E's derivatives are this system's
    /// (Dₖ = Kₖ″Kₖ⁻¹). A large boundary misfit is the sign of a grid too coarse for the derivative
    /// operators: matching the exact solution's curvature then costs more than moving the boundary
    /// values (u = sin πx, fixed kernel: boundary misfit 0.42 and error 0.64 on 12 points, 1.3e-4 and
    /// 2.8e-3 on 24; the eleven benchmarks with their defaults ≤ 1.7e-4, except allencahn2d-mix's
    /// 4.4e-3, whose relative L2 error is 8.2e-4). O(N Σ nₖ).
    public func misfits(_ problem: PDEProblem, _ u: [Double]) -> (boundary: Double, equation: Double) {
        func rms(_ x: [Double]) -> Double { (x.reduce(0) { $0 + $1 * $1 } / Double(max(x.count, 1))).squareRoot() }
        func ratio(_ a: Double, _ b: Double) -> Double { a == 0 ? 0 : a / b }
        let op = problem.equation, d = op.dimension
        let boundaryResidual = boundaryIndices.enumerated().map { u[$0.element] - problem.boundaryValues[$0.offset] }
        let e = applyOperator(op, u)
        var scale = rms(problem.source)
        for k in 0..<d {
            for (second, first) in [(op.secondOrder[k], 0.0), (0.0, op.firstOrder[k])] where second != 0 || first != 0 {
                var secondOrder = [Double](repeating: 0, count: d), firstOrder = secondOrder
                secondOrder[k] = second
                firstOrder[k] = first
                scale = max(scale, rms(applyDerivatives(DifferentialOperator(secondOrder: secondOrder, firstOrder: firstOrder), u)))
            }
        }
        scale = max(scale, abs(op.linear) * rms(u), abs(op.cubic) * rms(u.map { $0 * $0 * $0 }))
        return (ratio(rms(boundaryResidual), rms(u)), ratio(rms(zip(e, problem.source).map { $0 - $1 }), scale))
    }

    /// J(u) for the problem and weights (see the type's documentation).
    public func objective(_ problem: PDEProblem, _ u: [Double], weights: CollocationWeights) -> Double {
        let alpha = applyInversePrior(u)
        var prior = 0.0
        for i in 0..<u.count { prior += u[i] * alpha[i] }
        var bc = 0.0
        for (j, r) in boundaryIndices.enumerated() { bc += (u[r] - problem.boundaryValues[j]) * (u[r] - problem.boundaryValues[j]) }
        let e = applyOperator(problem.equation, u)
        var eq = 0.0
        for i in 0..<u.count { eq += (e[i] - problem.source[i]) * (e[i] - problem.source[i]) }
        return 0.5 * prior + 0.5 * weights.boundary * bc + 0.5 * weights.equation * eq
    }

    /// The dense N × N matrix of the linear operator A = Σ aₖ D₂,ₖ + Σ bₖ D₁,ₖ + diag(`diagonal`).
    /// O(N² ) memory: for tests and small grids.
    public func denseOperator(_ op: DifferentialOperator, diagonal: [Double]) -> Matrix {
        let n = grid.count
        var a = Matrix(rows: n, columns: n)
        let indices = (0..<n).map { grid.multiIndex($0) }
        for r in 0..<n {
            a[r, r] += diagonal[r]
            for k in 0..<axes.count {
                let ik = indices[r][k]
                var other = indices[r]
                for j in 0..<axes[k].grid.count {
                    other[k] = j
                    let s = grid.flatIndex(other)
                    a[r, s] += op.secondOrder[k] * axes[k].secondDerivative[ik, j]
                        + op.firstOrder[k] * axes[k].firstDerivative[ik, j]
                }
            }
        }
        return a
    }

    /// The dense prior precision K⁻¹ = ⊗ Kₖ⁻¹ (N × N; tests and small grids).
    public var denseInversePrior: Matrix { KroneckerProduct(axes.map(\.inverseGram)).dense }

    /// Minimise J for the problem: one linear solve for a linear operator, Gauss–Newton otherwise.
    /// - Throws: `PDEError.solverFailed` when CG does not converge or a system is not numerically
    ///   positive definite; Gauss–Newton's convergence is reported in the result.
    public func solve(_ problem: PDEProblem, weights: CollocationWeights, method: LinearSolveMethod = .automatic,
                      initialGuess: [Double]? = nil) throws -> CollocationSolution {
        precondition(problem.grid == grid, "solve: the problem's grid differs from the collocation grid")
        let op = problem.equation
        let n = grid.count
        if op.isLinear {
            let (u, iterations) = try solveLinear(op, diagonal: [Double](repeating: op.linear, count: n),
                                                  source: problem.source, boundaryValues: problem.boundaryValues,
                                                  weights: weights, method: method, initialGuess: initialGuess)
            return CollocationSolution(values: u, objective: objective(problem, u, weights: weights),
                                       conjugateGradientIterations: iterations, gaussNewtonIterations: 0)
        }
        return try gaussNewton(problem, weights: weights, method: method, initialGuess: initialGuess)
    }

    /// Gauss–Newton on J with the residual r(u) = E(u) − f linearised at each iterate:
    /// r(u + δ) ≈ r(u) + J_r δ, J_r = A + diag(c + 3γu²), so each step minimises a linear collocation
    /// objective with operator J_r and source J_r u − r(u). A step that does not decrease J is halved
    /// (up to 30 times). Stops when ‖Δu‖ ≤ 1e-10 ‖u‖ or J decreases by ≤ 1e-12 |J|; at most 100 iterations
    /// (then, or when no halved step decreases J, the last iterate is returned with `converged == false`).
    func gaussNewton(_ problem: PDEProblem, weights: CollocationWeights, method: LinearSolveMethod,
                     initialGuess: [Double]?) throws -> CollocationSolution {
        let op = problem.equation
        let n = grid.count
        var u = initialGuess ?? [Double](repeating: 0, count: n)
        var value = objective(problem, u, weights: weights)
        var cgIterations = 0
        for iteration in 1...100 {
            let e = applyOperator(op, u)
            let diagonal = u.map { op.linear + 3 * op.cubic * $0 * $0 }
            let jacobianU = applyDerivatives(op, u)
            var source = [Double](repeating: 0, count: n)
            for i in 0..<n { source[i] = jacobianU[i] + diagonal[i] * u[i] - (e[i] - problem.source[i]) }
            let (candidate, iterations) = try solveLinear(op, diagonal: diagonal, source: source,
                                                          boundaryValues: problem.boundaryValues, weights: weights,
                                                          method: method, initialGuess: u)
            cgIterations += iterations
            var step = 1.0, accepted = false
            var trial = candidate, trialValue = objective(problem, candidate, weights: weights)
            for _ in 0..<30 {
                if trialValue.isFinite && trialValue <= value { accepted = true; break }
                step /= 2
                trial = (0..<n).map { u[$0] + step * (candidate[$0] - u[$0]) }
                trialValue = objective(problem, trial, weights: weights)
            }
            guard accepted else {
                return CollocationSolution(values: u, objective: value, conjugateGradientIterations: cgIterations,
                                           gaussNewtonIterations: iteration, converged: false)
            }
            var change = 0.0, size = 0.0
            for i in 0..<n { change += (trial[i] - u[i]) * (trial[i] - u[i]); size += trial[i] * trial[i] }
            let stalled = value - trialValue <= 1e-12 * max(abs(value), 1)
            u = trial
            value = trialValue
            if change <= 1e-20 * size || stalled {
                return CollocationSolution(values: u, objective: value, conjugateGradientIterations: cgIterations,
                                           gaussNewtonIterations: iteration)
            }
        }
        return CollocationSolution(values: u, objective: value, conjugateGradientIterations: cgIterations,
                                   gaussNewtonIterations: 100, converged: false)
    }

    /// Minimiser of ½uᵀK⁻¹u + (w_bc/2)‖Su − g‖² + (w_eq/2)‖Au − f‖² with A = derivatives of `op` +
    /// diag(`diagonal`): the solution of (K⁻¹ + w_bc SᵀS + w_eq AᵀA) u = w_bc Sᵀg + w_eq Aᵀf.
    /// Returns u and the CG iteration count.
    func solveLinear(_ op: DifferentialOperator, diagonal: [Double], source: [Double], boundaryValues: [Double],
                     weights: CollocationWeights, method: LinearSolveMethod,
                     initialGuess: [Double]? = nil) throws -> ([Double], Int) {
        let n = grid.count
        var rhs = applyDerivatives(op, source, transpose: true)
        for i in 0..<n { rhs[i] = weights.equation * (rhs[i] + diagonal[i] * source[i]) }
        for (j, r) in boundaryIndices.enumerated() { rhs[r] += weights.boundary * boundaryValues[j] }
        let useDense: Bool
        var tolerance = 1e-10, maxIterations = 20_000
        switch method {
        case .dense: useDense = true
        case .automatic: useDense = n <= 4096
        case let .conjugateGradient(tol, maxIt):
            useDense = false
            tolerance = tol
            maxIterations = maxIt
        }
        if useDense {
            let h: Matrix
            if axes.count == 1 {
                // One axis: A is a dense n × n matrix, and AᵀA by gemm (2n³ flops) beats the row sums.
                let a = denseOperator(op, diagonal: diagonal)
                var m = BLAS.matmul(a, a, .transpose, .none)
                let kinv = axes[0].inverseGram
                for j in 0..<n {
                    for i in 0..<n { m[i, j] = weights.equation * m[i, j] + 0.5 * (kinv[i, j] + kinv[j, i]) }
                    m[j, j] += weights.boundary * boundaryMultiplicity[j]
                }
                h = m
            } else {
                h = denseNormalMatrix(op, diagonal: diagonal, weights: weights)
            }
            let chol: Cholesky
            do { chol = try Cholesky(h, jitter: .none) } catch {
                throw PDEError.solverFailed("the collocation normal matrix is not numerically positive definite (\(error)); use smaller weights or a larger jitter")
            }
            return (chol.solve(Vector(rhs)).elements, 0)
        }
        let product = { (v: Vector) in Vector(applyNormalMatrix(op, diagonal: diagonal, weights: weights, v.elements)) }
        // 2-D: first the operator preconditioner (second derivatives only), on a small budget: it is exact
        // for the dominant w_eq AᵀA + w_bc SᵀS part, but its diagonal approximation of K⁻¹ holds only for
        // kernels whose band reaches the Nyquist frequency; then the Jacobi preconditioner (in 2-D in the
        // operator-adapted basis of `OperatorEigenbasisPreconditioner`) from the initial guess (restarting
        // from a stagnated iterate cost more: 1,944 against 1,462 iterations, sincos 150²).
        var spentIterations = 0
        if axes.count == 2 {
            let meanDiagonal = diagonal.reduce(0, +) / Double(n)
            let first: ((Vector) -> Vector)?
            if op.firstOrder.allSatisfy({ $0 == 0 }),
               let operatorPreconditioner = try? OperatorPreconditioner(
                axes: axes, secondOrder: op.secondOrder, meanDiagonal: meanDiagonal,
                weights: weights, boundaryIndices: boundaryIndices) {
                first = { Vector(operatorPreconditioner.apply($0.elements)) }
            } else {
                first = nil
            }
            if let first, let result = try? ConjugateGradient.solve(
                Vector(rhs), initialGuess: initialGuess.map(Vector.init), relativeTolerance: tolerance,
                maxIterations: min(maxIterations, Self.operatorPreconditionerBudget), onNonConvergence: .returnLastIterate,
                preconditioner: first, matrixVectorProduct: product) {
                if result.converged { return (result.solution.elements, result.iterations) }
                spentIterations = result.iterations
            }
        }
        let preconditioner = try eigenbasisPreconditioner(op, diagonal: diagonal, weights: weights)
        let result: ConjugateGradient.Result
        do {
            result = try ConjugateGradient.solve(
                Vector(rhs), initialGuess: initialGuess.map(Vector.init), relativeTolerance: tolerance,
                maxIterations: maxIterations, preconditioner: { Vector(preconditioner($0.elements)) },
                matrixVectorProduct: product)
        } catch {
            throw PDEError.solverFailed("the Kronecker CG solve failed: \(error)")
        }
        return (result.solution.elements, result.iterations + spentIterations)
    }

    /// CG iterations allowed with `OperatorPreconditioner` before falling back to the operator-eigenbasis
    /// Jacobi preconditioner. Where it applies it converges in 1–12 iterations (poisson2d-sin100, 400²,
    /// initial kernel: 1 iteration); on learned kernels where it does not, it stagnates, and the budget
    /// bounds the waste.
    static let operatorPreconditionerBudget = 20

    /// The dense normal matrix H = K⁻¹ + w_eq AᵀA + w_bc SᵀS (N × N), assembled from the structure
    /// instead of a product of dense N × N matrices: K⁻¹ = ⊗Kₖ⁻¹ entrywise (symmetrised), and AᵀA as the
    /// sum over rows r of aᵣaᵣᵀ, where row r of A = Σₖ (aₖD₂,ₖ + bₖD₁,ₖ along axis k) + diag has only
    /// m = Σₖ nₖ − d + 1 nonzeros (the points that differ from r in one coordinate).
    /// O(N² + N m²) flops — O(N²) in 2-D and 3-D (N m² ≈ 4N² resp. 9N^{5/3}) — against O(N³) for the
    /// product; memory N². In 1-D, where A is dense (m = N), the solve uses a gemm instead.
    func denseNormalMatrix(_ op: DifferentialOperator, diagonal: [Double], weights: CollocationWeights) -> Matrix {
        let n = grid.count, d = axes.count, shape = grid.shape
        var h = denseInversePrior
        let rowOperators = (0..<d).map { k in
            Matrix(rows: shape[k], columns: shape[k]) { i, j in
                op.secondOrder[k] * axes[k].secondDerivative[i, j] + op.firstOrder[k] * axes[k].firstDerivative[i, j]
            }
        }
        let strides = (0..<d).map { shape[($0 + 1)...].reduce(1, *) }
        let w = weights.equation
        h.storage.withUnsafeMutableBufferPointer { hp in
            for j in 0..<n {
                for i in 0..<j {
                    let v = 0.5 * (hp[i + j * n] + hp[j + i * n])
                    hp[i + j * n] = v
                    hp[j + i * n] = v
                }
            }
            var columns = [Int](), values = [Double]()
            for r in 0..<n {
                columns.removeAll(keepingCapacity: true)
                values.removeAll(keepingCapacity: true)
                columns.append(r)
                values.append(diagonal[r])
                var rest = r
                for k in stride(from: d - 1, through: 0, by: -1) {
                    let ik = rest % shape[k]
                    rest /= shape[k]
                    let base = r - ik * strides[k]
                    let m = rowOperators[k]
                    for j in 0..<shape[k] {
                        let v = m[ik, j]
                        if v != 0 {
                            columns.append(base + j * strides[k])
                            values.append(v)
                        }
                    }
                }
                for (a, ca) in columns.enumerated() {
                    let va = w * values[a]
                    for (b, cb) in columns.enumerated() { hp[ca + cb * n] += va * values[b] }
                }
            }
            for j in 0..<n { hp[j + j * n] += weights.boundary * boundaryMultiplicity[j] }
        }
        return h
    }

    /// (K⁻¹ + w_bc SᵀS + w_eq AᵀA) v by Kronecker mode products. O(N Σ nₖ).
    func applyNormalMatrix(_ op: DifferentialOperator, diagonal: [Double], weights: CollocationWeights,
                           _ v: [Double]) -> [Double] {
        let n = v.count
        var av = applyDerivatives(op, v)
        for i in 0..<n { av[i] += diagonal[i] * v[i] }
        var y = applyDerivatives(op, av, transpose: true)
        let kinv = applyInversePrior(v)
        for i in 0..<n {
            y[i] = weights.equation * (y[i] + diagonal[i] * av[i]) + kinv[i] + weights.boundary * boundaryMultiplicity[i] * v[i]
        }
        return y
    }

    /// The Jacobi preconditioner in the eigenbasis Q = ⊗Qₖ of K: r ↦ Q P⁻¹ Qᵀ r with P the diagonal
    /// of Qᵀ(K⁻¹ + w_bc SᵀS + w_eq AᵀA)Q, exact except that a varying diagonal term of A is replaced by
    /// its mean. In 2-D the operator-adapted basis of `OperatorEigenbasisPreconditioner` replaces Q and the
    /// boundary term is kept exactly (`BoundaryCorrectedPreconditioner`).
    /// P's diagonal:  1/λ + w_bc Σ_r m_r Q²_{r,·} + w_eq [Σₖ aₖ² ηₖ + Σ_{k≠l} aₖ aₗ γₖ γₗ + 2 c̄ Σ aₖ γₖ + c̄²
    /// + Σ bₖ² δₖ], with γₖ = diag(QₖᵀD₂,ₖQₖ), ηₖ = diag(QₖᵀD₂,ₖᵀD₂,ₖQₖ), δₖ = diag(QₖᵀD₁,ₖᵀD₁,ₖQₖ).
    func eigenbasisPreconditioner(_ op: DifferentialOperator, diagonal: [Double],
                                  weights: CollocationWeights) throws -> ([Double]) -> [Double] {
        let shape = grid.shape, n = grid.count, d = axes.count
        let cBar = diagonal.reduce(0, +) / Double(n)
        if d == 2 {
            let corrected = try OperatorEigenbasisPreconditioner.make(axes: axes, operator: op, meanDiagonal: cBar, weights: weights,
                                                                     boundaryIndices: boundaryIndices)
            return { corrected.apply($0) }
        }
        let eigen: [SymmetricEigen]
        do { eigen = try axes.map { try SymmetricEigen($0.gram) } } catch {
            throw PDEError.solverFailed("eigendecomposition of a grid axis' kernel matrix failed: \(error)")
        }
        let q = eigen.map(\.eigenvectors)
        func diagonalOf(_ m: Matrix, _ qk: Matrix) -> [Double] {
            let t = BLAS.matmul(qk, BLAS.matmul(m, qk), .transpose, .none)
            return t.diagonal.elements
        }
        let gamma = (0..<d).map { diagonalOf(axes[$0].secondDerivative, q[$0]) }
        let eta = (0..<d).map { diagonalOf(BLAS.matmul(axes[$0].secondDerivative, axes[$0].secondDerivative, .transpose, .none), q[$0]) }
        let delta = (0..<d).map { diagonalOf(BLAS.matmul(axes[$0].firstDerivative, axes[$0].firstDerivative, .transpose, .none), q[$0]) }
        // Boundary term: (⊗ Qₖ∘Qₖ)ᵀ m.
        var boundary = boundaryMultiplicity
        for k in 0..<d { boundary = modeProduct(q[k].map { $0 * $0 }, axis: k, shape: shape, boundary, transpose: true) }
        var p = [Double](repeating: 0, count: n)
        for r in 0..<n {
            let j = grid.multiIndex(r)
            var lambda = 1.0, sumA = 0.0, eq = 0.0
            for k in 0..<d {
                lambda *= eigen[k].eigenvalues[j[k]]
                sumA += op.secondOrder[k] * gamma[k][j[k]]
                eq += op.secondOrder[k] * op.secondOrder[k] * (eta[k][j[k]] - gamma[k][j[k]] * gamma[k][j[k]])
                eq += op.firstOrder[k] * op.firstOrder[k] * delta[k][j[k]]
            }
            eq += (sumA + cBar) * (sumA + cBar)
            p[r] = 1 / lambda + weights.equation * eq
        }
        for r in 0..<n { p[r] += weights.boundary * boundary[r] }
        return { r in
            var t = r
            for k in 0..<d { t = modeProduct(q[k], axis: k, shape: shape, t, transpose: true) }
            for i in 0..<n { t[i] /= p[i] }
            for k in 0..<d { t = modeProduct(q[k], axis: k, shape: shape, t) }
            return t
        }
    }

    /// The GP interpolant u(x*) = k(x*, X) K⁻¹ u on another tensor grid (same dimension), by mode
    /// products with the per-axis Kₖ⁻¹ and then the cross-covariances (K⁻¹ first, so that a fine target
    /// grid costs a product with the mₖ × nₖ cross-covariance, not an mₖ × nₖ × nₖ matrix product).
    /// O(Σ (nₖ + mₖ) N′) for the intermediate sizes N′.
    public func interpolate(_ u: [Double], to target: TensorGrid) -> [Double] {
        precondition(target.dimension == grid.dimension, "interpolate: dimensions differ")
        var x = u
        var shape = grid.shape
        for k in 0..<axes.count {
            x = modeProduct(axes[k].inverseGram, axis: k, shape: shape, x)
            let c = axes[k].crossCovariance(to: target.axes[k].points)
            x = modeProduct(c, axis: k, shape: shape, x)
            shape[k] = c.rows
        }
        return x
    }
}
