import CLAPACKE

/// Limited-memory BFGS minimisation, optionally subject to box bounds `lower ≤ x ≤ upper`
/// (L-BFGS-B: Byrd, Lu, Nocedal & Zhu, "A limited memory algorithm for bound constrained
/// optimization", SIAM J. Sci. Comput. 16(5), 1995; with the subspace-step projection of Morales &
/// Nocedal, ACM TOMS 38(1), 2011). Without bounds it reduces to L-BFGS (Liu & Nocedal 1989): the
/// step is then (in exact arithmetic) the two-loop quasi-Newton step −H g.
///
/// Each iteration, with the compact quasi-Newton matrix B = θI − W M Wᵀ built from the last `memory`
/// pairs (sᵢ, yᵢ):
/// 1. the generalized Cauchy point xᶜ minimises the quadratic model m(z) = gᵀ(z − x) + ½(z − x)ᵀB(z − x)
///    along the projected steepest-descent path P(x − t g), t ≥ 0, visiting its breakpoints in order;
/// 2. the variables not at a bound in xᶜ are moved to the unconstrained minimiser of m on that face
///    (direct primal method, Sherman–Morrison–Woodbury on B), and the result is projected onto the box;
///    when that projection is not a descent direction the step is truncated at the box instead;
/// 3. a Wolfe line search (sufficient decrease c₁ = 1e-3, curvature c₂ = 0.9, as in L-BFGS-B) runs
///    along d = x̄ − x within the box (bracketing and cubic zoom; where changes of f are below
///    1e-10·|f|, i.e. at its rounding level, the approximate Wolfe test of Hager & Zhang 2005 judges
///    trials by slopes). A pair (s, y) is stored only when sᵀy > ε·yᵀy, which keeps B positive definite.
///
/// Stopping (checked in this order):
/// - converged when the projected gradient ‖P(x − ∇f(x)) − x‖∞ ≤ `gradientTolerance` (P = projection on
///   the box; without bounds this is ‖∇f‖∞). This is SciPy's `pgtol`/`gtol`.
/// - converged when an accepted step reduces f by at most
///   `relativeValueTolerance · max(|fₖ|, |fₖ₊₁|, 1)` (SciPy's `factr·eps`; SciPy's default
///   `ftol` ≈ 2.2e-9 is looser than this type's 1e-12). A tolerance of 0 disables this criterion.
/// - not converged (`converged == false`, not an error) when `maxIterations` steps were taken, or when the
///   line search finds no decrease even after discarding the memory (restart along −∇f).
///
/// Numerical contract: f must be continuously differentiable on the box. A trial point where f or ∇f is
/// not finite is treated as a step that was too long and never accepted, so objectives that return NaN
/// or +∞ outside their domain are handled by backtracking. The starting point is projected onto the box.
///
/// Cost per iteration: O(n·m² + m³) arithmetic (the middle matrix M and WᵀZZᵀW by BLAS syrk), plus
/// O(b·m²) for b breakpoints passed by the Cauchy search and O(n log n) for sorting breakpoints;
/// memory O(n·m). Objective evaluations per iteration are usually 1.
public struct LBFGS: Sendable {
    /// Number m of stored correction pairs (SciPy's `maxcor`, default 10).
    public var memory: Int
    /// Maximum number of iterations (accepted steps).
    public var maxIterations: Int
    /// Stop when ‖P(x − ∇f) − x‖∞ ≤ this.
    public var gradientTolerance: Double
    /// Stop when a step reduces f by at most this times max(|fₖ|, |fₖ₊₁|, 1); 0 disables the criterion.
    public var relativeValueTolerance: Double
    /// Maximum objective evaluations in one line search (SciPy's `maxls`, default 20).
    public var maxLineSearchEvaluations: Int

    /// Configure the optimiser. All arguments must be non-negative and `memory`, `maxLineSearchEvaluations` ≥ 1
    /// (preconditions: these are constants chosen in code; validate user input before passing it).
    public init(memory: Int = 10, maxIterations: Int = 500, gradientTolerance: Double = 1e-6,
                relativeValueTolerance: Double = 1e-12, maxLineSearchEvaluations: Int = 20) {
        precondition(memory >= 1, "LBFGS memory must be ≥ 1")
        precondition(maxIterations >= 0, "LBFGS maxIterations must be ≥ 0")
        precondition(gradientTolerance >= 0 && relativeValueTolerance >= 0, "LBFGS tolerances must be ≥ 0")
        precondition(maxLineSearchEvaluations >= 1, "LBFGS maxLineSearchEvaluations must be ≥ 1")
        self.memory = memory
        self.maxIterations = maxIterations
        self.gradientTolerance = gradientTolerance
        self.relativeValueTolerance = relativeValueTolerance
        self.maxLineSearchEvaluations = maxLineSearchEvaluations
    }

    /// Minimise f from x0, optionally within box bounds lower ≤ x ≤ upper (nil = unbounded, or
    /// per-coordinate ±infinity). `f` returns the value and the gradient (length n) at its argument.
    ///
    /// - Throws: whatever `f` throws (propagated unchanged); `LinalgError.nonFinite` when x0 is not finite
    ///   or f / ∇f is not finite at (the projection of) x0; `LinalgError.domain` for NaN bounds or
    ///   lower > upper. Stopping without convergence is reported in the result, not thrown.
    public func minimize(from x0: [Double], lower: [Double]? = nil, upper: [Double]? = nil,
                         _ f: ([Double]) throws -> (value: Double, gradient: [Double])) throws -> OptimizationResult {
        let n = x0.count
        let (lo, hi) = try validatedBounds(count: n, lower: lower, upper: upper)
        guard x0.allSatisfy({ $0.isFinite }) else {
            throw LinalgError.nonFinite(what: "the starting point x0")
        }
        let constrained = (0..<n).contains { lo[$0] > -.infinity || hi[$0] < .infinity }
        let boxed = (0..<n).allSatisfy { lo[$0] > -.infinity && hi[$0] < .infinity }

        return try withoutActuallyEscaping(f) { f in
            var objective = CountedObjective(objective: f, dimension: n)
            var x = (0..<n).map { min(max(x0[$0], lo[$0]), hi[$0]) }
            var (value, gradient) = try objective(x)
            guard isFiniteEvaluation(value, gradient) else {
                throw LinalgError.nonFinite(what: "the objective's value or gradient at the starting point x0")
            }
            var model = CompactBFGS(dimension: n)
            var iterations = 0
            func result(_ converged: Bool, _ message: String) -> OptimizationResult {
                OptimizationResult(x: x, value: value, gradient: gradient, iterations: iterations,
                                   evaluations: objective.evaluations, converged: converged, message: message)
            }

            while true {
                let pg = projectedGradientNorm(x, gradient, lo, hi)
                if pg <= gradientTolerance {
                    return result(true, "projected gradient ∞-norm \(pg) ≤ gradientTolerance \(gradientTolerance)")
                }
                if iterations >= maxIterations {
                    return result(false, "reached maxIterations (\(maxIterations)) with projected gradient ∞-norm \(pg) > gradientTolerance \(gradientTolerance)")
                }
                if !model.isEmpty && !model.formMiddleMatrix() { model.reset() }

                // Search direction d = x̄ − x from the Cauchy point and the subspace minimisation.
                let (cauchy, c) = model.generalizedCauchyPoint(x: x, gradient: gradient, lower: lo, upper: hi)
                let target = model.subspaceMinimum(x: x, gradient: gradient, cauchy: cauchy, c: c, lower: lo, upper: hi)
                var d = [Double](repeating: 0, count: n)
                for i in 0..<n { d[i] = target[i] - x[i] }
                let slope = dotProduct(gradient, d)
                guard slope < 0 else {
                    if !model.isEmpty { model.reset(); continue }
                    return result(false, "no descent direction at projected gradient ∞-norm \(pg) (rounding level); gradientTolerance \(gradientTolerance) not met")
                }

                // Longest feasible step along d (≥ 1 since x̄ is feasible); L-BFGS-B's choices of
                // maximum and initial step.
                var feasible = Double.infinity
                for i in 0..<n where d[i] != 0 {
                    let bound = d[i] > 0 ? (hi[i] - x[i]) / d[i] : (lo[i] - x[i]) / d[i]
                    feasible = min(feasible, bound)
                }
                let maxStep = constrained && iterations == 0 ? 1 : min(max(feasible, 1), 1e10)
                let dNorm = dotProduct(d, d).squareRoot()
                let initialStep = iterations == 0 && !boxed ? min(1 / dNorm, maxStep) : 1

                guard let step = try wolfeLineSearch(
                    from: x, value: value, slope: slope, direction: d, initialStep: initialStep, maxStep: maxStep,
                    lower: lo, upper: hi, maxEvaluations: maxLineSearchEvaluations, objective: &objective)
                else {
                    if !model.isEmpty { model.reset(); continue }
                    return result(false, "line search found no decrease along the projected steepest-descent direction (projected gradient ∞-norm \(pg)); the objective may be non-smooth or its gradient inconsistent with its value")
                }

                var s = [Double](repeating: 0, count: n), y = [Double](repeating: 0, count: n)
                for i in 0..<n {
                    s[i] = step.x[i] - x[i]
                    y[i] = step.gradient[i] - gradient[i]
                }
                let previousValue = value
                x = step.x
                value = step.value
                gradient = step.gradient
                iterations += 1
                model.update(s: s, y: y, memory: memory)

                let reduction = previousValue - value
                let scale = max(abs(previousValue), abs(value), 1)
                if relativeValueTolerance > 0 && reduction <= relativeValueTolerance * scale {
                    return result(true, "relative reduction of f \(reduction / scale) ≤ relativeValueTolerance \(relativeValueTolerance)")
                }
            }
        }
    }
}

/// The compact representation B = θI − W M Wᵀ of the L-BFGS matrix (Byrd, Nocedal & Schnabel,
/// Math. Programming 63, 1994): W = [Y, θS] (n × 2k) and M = [[−D, Lᵀ], [L, θSᵀS]]⁻¹ with
/// D = diag(sᵢᵀyᵢ) and L the strictly lower triangle of SᵀY. Pairs are stored oldest first.
struct CompactBFGS {
    let dimension: Int
    private(set) var s: [[Double]] = []
    private(set) var y: [[Double]] = []
    private(set) var theta = 1.0
    /// M (2k × 2k, column-major), valid after `formMiddleMatrix()`.
    private var middle: [Double] = []

    init(dimension: Int) { self.dimension = dimension }

    var isEmpty: Bool { s.isEmpty }
    private var k: Int { s.count }

    mutating func reset() {
        s.removeAll()
        y.removeAll()
        theta = 1
        middle = []
    }

    /// Store (s, y) when sᵀy > ε·yᵀy (curvature condition; otherwise B could lose positive
    /// definiteness and the pair is skipped), dropping the oldest pair beyond `memory`.
    mutating func update(s newS: [Double], y newY: [Double], memory: Int) {
        let sy = dotProduct(newS, newY)
        let yy = dotProduct(newY, newY)
        guard sy > Double.ulpOfOne * yy, sy.isFinite, yy.isFinite, yy > 0 else { return }
        if s.count == memory {
            s.removeFirst()
            y.removeFirst()
        }
        s.append(newS)
        y.append(newY)
        theta = yy / sy
        middle = []
    }

    /// Compute M by LU (dgesv) of its 2k × 2k inverse. Returns false when that matrix is singular.
    /// O(k²n + k³).
    mutating func formMiddleMatrix() -> Bool {
        let k = self.k, m = 2 * k
        var a = [Double](repeating: 0, count: m * m)
        for i in 0..<k {
            for j in 0..<k {
                if i == j { a[i + i * m] = -dotProduct(s[i], y[i]) }
                if i > j {
                    let l = dotProduct(s[i], y[j])  // L(i, j)
                    a[(k + i) + j * m] = l           // lower-left block L
                    a[j + (k + i) * m] = l           // upper-right block Lᵀ
                }
                if i >= j {
                    let ss = theta * dotProduct(s[i], s[j])
                    a[(k + i) + (k + j) * m] = ss
                    a[(k + j) + (k + i) * m] = ss
                }
            }
        }
        guard let inverse = solveDense(a, order: m, rightHandSides: identityColumns(m)) else { return false }
        middle = inverse
        return inverse.allSatisfy { $0.isFinite }
    }

    /// Row i of W = [Y, θS]: (y₁ᵢ … yₖᵢ, θs₁ᵢ … θsₖᵢ).
    private func wRow(_ i: Int) -> [Double] {
        var w = [Double](repeating: 0, count: 2 * k)
        for j in 0..<k {
            w[j] = y[j][i]
            w[k + j] = theta * s[j][i]
        }
        return w
    }

    /// Wᵀv. O(nk).
    private func wTransposeTimes(_ v: [Double]) -> [Double] {
        var r = [Double](repeating: 0, count: 2 * k)
        for j in 0..<k {
            r[j] = dotProduct(y[j], v)
            r[k + j] = theta * dotProduct(s[j], v)
        }
        return r
    }

    /// M v. O(k²).
    private func middleTimes(_ v: [Double]) -> [Double] {
        let m = 2 * k
        var r = [Double](repeating: 0, count: m)
        for j in 0..<m where v[j] != 0 {
            for i in 0..<m { r[i] += middle[i + j * m] * v[j] }
        }
        return r
    }

    /// Generalized Cauchy point: the first local minimiser of the model along P(x − t g) (Byrd et al.
    /// 1995, Algorithm CP). Returns xᶜ and c = Wᵀ(xᶜ − x).
    func generalizedCauchyPoint(x: [Double], gradient g: [Double], lower: [Double], upper: [Double]) -> (point: [Double], c: [Double]) {
        let n = dimension
        var t = [Double](repeating: .infinity, count: n)
        var d = [Double](repeating: 0, count: n)
        var breakpoints: [Int] = []
        for i in 0..<n {
            if g[i] < 0 && upper[i] < .infinity {
                t[i] = (x[i] - upper[i]) / g[i]
            } else if g[i] > 0 && lower[i] > -.infinity {
                t[i] = (x[i] - lower[i]) / g[i]
            }
            if t[i] > 0 { d[i] = -g[i] }
            if t[i] > 0 && t[i] < .infinity { breakpoints.append(i) }
        }
        breakpoints.sort { t[$0] < t[$1] }

        var p = wTransposeTimes(d)
        var c = [Double](repeating: 0, count: 2 * k)
        let dd = dotProduct(d, d)
        var slope = -dd
        var curvature = theta * dd - (k > 0 ? dotProduct(p, middleTimes(p)) : 0)
        let minCurvature = Double.ulpOfOne * theta * dd
        curvature = max(curvature, minCurvature)
        var point = x
        guard dd > 0 else { return (point, c) }

        var stepToMinimum = -slope / curvature
        var tOld = 0.0
        for b in breakpoints {
            let dt = t[b] - tOld
            if stepToMinimum < dt { break }
            // Fix variable b at its bound and update the first and second derivatives of the model.
            point[b] = d[b] > 0 ? upper[b] : lower[b]
            let zb = point[b] - x[b]
            let gb = g[b]
            for j in c.indices { c[j] += dt * p[j] }
            if k > 0 {
                let wb = wRow(b)
                let mwb = middleTimes(wb)
                slope += dt * curvature + gb * gb + theta * gb * zb - gb * dotProduct(mwb, c)
                curvature -= theta * gb * gb + 2 * gb * dotProduct(mwb, p) + gb * gb * dotProduct(mwb, wb)
                for j in p.indices { p[j] += gb * wb[j] }
            } else {
                slope += dt * curvature + gb * gb + theta * gb * zb
                curvature -= theta * gb * gb
            }
            curvature = max(curvature, minCurvature)
            d[b] = 0
            stepToMinimum = -slope / curvature
            tOld = t[b]
        }
        stepToMinimum = max(stepToMinimum, 0)
        let tFinal = tOld + stepToMinimum
        for i in 0..<n where d[i] != 0 {
            point[i] = min(max(x[i] + tFinal * d[i], lower[i]), upper[i])
        }
        for j in c.indices { c[j] += stepToMinimum * p[j] }
        return (point, c)
    }

    /// Minimise the model over the variables that are free (strictly inside their bounds) at the
    /// Cauchy point, with the others fixed (Byrd et al. 1995, §5.1 direct primal method):
    ///   dᵘ = −B̂⁻¹ rᶜ,  B̂⁻¹ = I/θ + ZᵀW (I − M WᵀZZᵀW/θ)⁻¹ M WᵀZ / θ²,
    ///   rᶜ = Zᵀ(g + θ(xᶜ − x) − W M c).
    /// The candidate P(xᶜ + dᵘ) is returned when it gives a descent direction from x (Morales & Nocedal
    /// 2011); otherwise xᶜ + α*dᵘ with the largest α* ≤ 1 that stays in the box.
    func subspaceMinimum(x: [Double], gradient g: [Double], cauchy: [Double], c: [Double],
                         lower: [Double], upper: [Double]) -> [Double] {
        let free = (0..<dimension).filter { lower[$0] < cauchy[$0] && cauchy[$0] < upper[$0] }
        guard !free.isEmpty else { return cauchy }
        let m = 2 * k, nf = free.count
        var r = Vector(free.map { g[$0] + theta * (cauchy[$0] - x[$0]) })
        // ZᵀW (|free| × 2k), filled only when pairs are stored.
        var zw = Matrix(rows: nf, columns: m)
        if k > 0 {
            zw.storage.withUnsafeMutableBufferPointer { p in
                for j in 0..<k {
                    for (f, i) in free.enumerated() {
                        p[f + j * nf] = y[j][i]
                        p[f + (k + j) * nf] = theta * s[j][i]
                    }
                }
            }
            BLAS.gemv(.none, alpha: -1, zw, Vector(middleTimes(c)), beta: 1, &r)  // rᶜ −= ZᵀW M c
        }
        var du = Vector(r.elements.map { -$0 / theta })
        if k > 0 {
            // v = M WᵀZ rᶜ, A = WᵀZ ZᵀW (syrk), N = I − M A / θ; dᵘ −= ZᵀW N⁻¹v / θ². If N is singular
            // (degenerate memory) dᵘ keeps only the θI part of the model, still a descent candidate.
            let v = middleTimes(BLAS.matvec(zw, r, .transpose).elements)
            var a = Matrix(rows: m, columns: m)
            BLAS.syrk(.lower, .transpose, zw, &a)
            a.symmetrizeFromLower()
            var nMatrix = [Double](repeating: 0, count: m * m)
            for j in 0..<m {
                let mAj = middleTimes(Array(a.storage[(j * m)..<((j + 1) * m)]))
                for i in 0..<m { nMatrix[i + j * m] = (i == j ? 1 : 0) - mAj[i] / theta }
            }
            if let solved = solveDense(nMatrix, order: m, rightHandSides: v), solved.allSatisfy({ $0.isFinite }) {
                BLAS.gemv(.none, alpha: -1 / (theta * theta), zw, Vector(solved), beta: 1, &du)
            }
        }

        var projected = cauchy
        for (f, i) in free.enumerated() { projected[i] = min(max(cauchy[i] + du[f], lower[i]), upper[i]) }
        var descent = 0.0
        for i in 0..<dimension { descent += g[i] * (projected[i] - x[i]) }
        if descent < 0 { return projected }

        var alpha = 1.0
        for (f, i) in free.enumerated() where du[f] != 0 {
            let room = du[f] > 0 ? (upper[i] - cauchy[i]) / du[f] : (lower[i] - cauchy[i]) / du[f]
            alpha = min(alpha, room)
        }
        var truncated = cauchy
        for (f, i) in free.enumerated() { truncated[i] = min(max(cauchy[i] + alpha * du[f], lower[i]), upper[i]) }
        return truncated
    }
}

/// The columns of the m × m identity, column-major.
private func identityColumns(_ m: Int) -> [Double] {
    var e = [Double](repeating: 0, count: m * m)
    for i in 0..<m { e[i + i * m] = 1 }
    return e
}

/// Solve A X = B for a small dense A (order × order, column-major) by LU with partial pivoting
/// (LAPACK dgesv). Returns nil when A is exactly singular. O(order³ + order²·nrhs).
private func solveDense(_ a: [Double], order m: Int, rightHandSides b: [Double]) -> [Double]? {
    guard m > 0 else { return b }
    var lu = a
    var x = b
    var pivots = [Int32](repeating: 0, count: m)
    let nrhs = Int32(b.count / m)
    let info = lu.withUnsafeMutableBufferPointer { ap in
        x.withUnsafeMutableBufferPointer { bp in
            pivots.withUnsafeMutableBufferPointer { pp in
                LAPACKE_dgesv(LAPACK_COL_MAJOR, Int32(m), nrhs, ap.baseAddress, Int32(m), pp.baseAddress,
                              bp.baseAddress, Int32(m))
            }
        }
    }
    return info == 0 ? x : nil
}
