// Shared pieces of the gradient-based optimisers: the result record, objective evaluation with
// bookkeeping, box-constraint helpers and a Wolfe line search.

/// Outcome of a minimisation by `LBFGS` or `Adam`.
///
/// `x` is the returned point, `value = f(x)` and `gradient = ∇f(x)` are the objective's own outputs at
/// `x` (never NaN: optimisers only accept finite evaluations). `iterations` counts accepted steps,
/// `evaluations` counts calls of the objective (line-search trials included). `converged` is true only
/// when a documented convergence criterion was met; running out of iterations or a failed line search
/// gives `converged == false` with the reason in `message` (the SciPy `OptimizeResult.success`
/// convention: not an error, the best point found is still returned).
public struct OptimizationResult: Sendable {
    /// The final iterate.
    public var x: [Double]
    /// f(x).
    public var value: Double
    /// ∇f(x).
    public var gradient: [Double]
    /// Number of accepted iterations.
    public var iterations: Int
    /// Number of objective evaluations.
    public var evaluations: Int
    /// True when a convergence criterion (stated in `message`) was met.
    public var converged: Bool
    /// Human-readable reason for stopping.
    public var message: String

    /// A result record (used by the optimisers; public so that callers can build their own).
    public init(x: [Double], value: Double, gradient: [Double], iterations: Int, evaluations: Int,
                converged: Bool, message: String) {
        self.x = x
        self.value = value
        self.gradient = gradient
        self.iterations = iterations
        self.evaluations = evaluations
        self.converged = converged
        self.message = message
    }
}

// MARK: - Internal helpers

/// Counts evaluations of an objective and checks the gradient's length (a programmer error if wrong).
struct CountedObjective {
    let objective: ([Double]) throws -> (value: Double, gradient: [Double])
    let dimension: Int
    var evaluations = 0

    mutating func callAsFunction(_ x: [Double]) throws -> (value: Double, gradient: [Double]) {
        evaluations += 1
        let r = try objective(x)
        precondition(r.gradient.count == dimension,
                     "objective returned a gradient of length \(r.gradient.count) for \(dimension) variables")
        return r
    }
}

@inline(__always) func isFiniteEvaluation(_ value: Double, _ gradient: [Double]) -> Bool {
    value.isFinite && gradient.allSatisfy { $0.isFinite }
}

/// xᵀy by a plain loop (deterministic summation order; the vectors here are optimiser state).
@inline(__always) func dotProduct(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in a.indices { s += a[i] * b[i] }
    return s
}

/// Projected-gradient ∞-norm ‖P(x − g) − x‖∞ with P the projection onto [lower, upper].
/// It is zero exactly at KKT points of the box-constrained problem. O(n).
func projectedGradientNorm(_ x: [Double], _ g: [Double], _ lower: [Double], _ upper: [Double]) -> Double {
    var m = 0.0
    for i in x.indices {
        let p = min(max(x[i] - g[i], lower[i]), upper[i]) - x[i]
        m = max(m, abs(p))
    }
    return m
}

/// Validated box bounds as full arrays (±∞ where unbounded).
/// Throws `LinalgError.domain` for NaN bounds or lower > upper; lengths must match (precondition).
func validatedBounds(count n: Int, lower: [Double]?, upper: [Double]?) throws -> (lower: [Double], upper: [Double]) {
    let l = lower ?? Array(repeating: -.infinity, count: n)
    let u = upper ?? Array(repeating: .infinity, count: n)
    precondition(l.count == n, "lower bounds have length \(l.count), expected \(n)")
    precondition(u.count == n, "upper bounds have length \(u.count), expected \(n)")
    for i in 0..<n {
        if l[i].isNaN || u[i].isNaN {
            throw LinalgError.domain("bound \(i) is NaN; use ±infinity for an unbounded coordinate")
        }
        if l[i] > u[i] {
            throw LinalgError.domain("lower bound \(l[i]) exceeds upper bound \(u[i]) for coordinate \(i)")
        }
        if l[i] == .infinity || u[i] == -.infinity {
            throw LinalgError.domain("coordinate \(i) has an empty feasible interval [\(l[i]), \(u[i])]")
        }
    }
    return (l, u)
}

// MARK: - Wolfe line search

/// A point accepted by the line search along `x + α d`.
struct LineSearchStep {
    var alpha: Double
    var x: [Double]
    var value: Double
    var gradient: [Double]
}

/// Line search for φ(α) = f(x + α d), 0 < α ≤ αmax, aiming at the strong Wolfe conditions
///   φ(α) ≤ φ(0) + c₁ α φ'(0)   and   |φ'(α)| ≤ c₂ |φ'(0)|
/// by bracketing then zooming with safeguarded cubic interpolation (Nocedal & Wright, *Numerical
/// Optimization*, 2nd ed., Algorithms 3.5–3.6). A trial point whose value or gradient is not finite
/// counts as "step too long": it becomes the upper end of the bracket and the next trial moves
/// towards the lower end; it is never accepted.
///
/// Near a minimiser the decrease c₁α|φ'(0)| can fall below the rounding error of f itself, and
/// Armijo's test then fails for every step. There a trial whose value is within
/// `valueNoise = 1e-10·max(|φ(0)|, 1)` of φ(0) is judged by slopes instead: it counts as sufficient
/// decrease when φ'(α) ≤ (1 − 2c₁)|φ'(0)| (the approximate Wolfe condition of Hager & Zhang, SIAM J.
/// Optim. 16(1), 2005, exact for quadratics), and the bracket is then narrowed by the sign of φ'.
///
/// When the step reaches `αmax` with sufficient decrease and φ' < 0 it is accepted (the box boundary
/// is there); when the evaluation budget runs out, the best trial with sufficient decrease is
/// accepted. Either way the caller checks yᵀs > 0 before a quasi-Newton update. Returns nil when no
/// trial gave sufficient decrease.
func wolfeLineSearch(
    from x: [Double], value f0: Double, slope dphi0: Double, direction d: [Double],
    initialStep: Double, maxStep: Double, lower: [Double], upper: [Double],
    c1: Double = 1e-3, c2: Double = 0.9, maxEvaluations: Int,
    objective: inout CountedObjective
) throws -> LineSearchStep? {
    precondition(dphi0 < 0, "line search needs a descent direction")
    let n = x.count
    func point(_ alpha: Double) -> [Double] {
        var y = x
        for i in 0..<n { y[i] = min(max(x[i] + alpha * d[i], lower[i]), upper[i]) }
        return y
    }
    struct Trial { var alpha: Double; var x: [Double]; var value: Double; var gradient: [Double]; var slope: Double }
    func evaluate(_ alpha: Double, _ obj: inout CountedObjective) throws -> Trial? {
        let y = point(alpha)
        let r = try obj(y)
        guard isFiniteEvaluation(r.value, r.gradient) else { return nil }
        return Trial(alpha: alpha, x: y, value: r.value, gradient: r.gradient, slope: dotProduct(r.gradient, d))
    }
    func accept(_ t: Trial) -> LineSearchStep { LineSearchStep(alpha: t.alpha, x: t.x, value: t.value, gradient: t.gradient) }
    let valueNoise = 1e-10 * max(abs(f0), 1)
    func withinNoise(_ t: Trial) -> Bool { abs(t.value - f0) <= valueNoise }
    func sufficientDecrease(_ t: Trial) -> Bool {
        t.value <= f0 + c1 * t.alpha * dphi0 || (withinNoise(t) && t.slope <= (1 - 2 * c1) * abs(dphi0))
    }
    /// t is no better than `reference` (values compared only when they are above the noise level).
    func noBetter(_ t: Trial, than reference: Trial) -> Bool {
        t.value >= reference.value && !(withinNoise(t) && withinNoise(reference))
    }
    func curvature(_ t: Trial) -> Bool { abs(t.slope) <= c2 * abs(dphi0) }

    let origin = Trial(alpha: 0, x: x, value: f0, gradient: [], slope: dphi0)
    var previous = origin
    var alpha = min(initialStep, maxStep)
    var evaluations = 0
    // `lo` always satisfies sufficient decrease and has the lowest value seen; `hi` is the other end
    // of the bracket (nil values when the trial there was not finite).
    var lo = origin
    var hi: (alpha: Double, value: Double?, slope: Double?)

    // Phase 1: bracket.
    while true {
        guard evaluations < maxEvaluations else { return lo.alpha > 0 ? accept(lo) : nil }
        evaluations += 1
        guard let t = try evaluate(alpha, &objective) else {
            lo = previous
            hi = (alpha, nil, nil)
            break
        }
        if !sufficientDecrease(t) || (previous.alpha > 0 && noBetter(t, than: previous)) {
            lo = previous
            hi = (t.alpha, t.value, t.slope)
            break
        }
        if curvature(t) { return accept(t) }
        if t.slope >= 0 {
            lo = t
            hi = (previous.alpha, previous.value, previous.slope)
            break
        }
        if alpha >= maxStep { return accept(t) }
        previous = t
        alpha = min(4 * alpha, maxStep)
    }

    // Phase 2: zoom inside the bracket between lo and hi.
    while evaluations < maxEvaluations {
        let width = hi.alpha - lo.alpha
        if abs(width) <= 1e-15 * max(abs(lo.alpha), abs(hi.alpha)) { break }
        var trial: Double
        if let fh = hi.value, let gh = hi.slope {
            trial = cubicMinimizer(lo.alpha, lo.value, lo.slope, hi.alpha, fh, gh)
                ?? quadraticMinimizer(lo.alpha, lo.value, lo.slope, hi.alpha, fh)
                ?? lo.alpha + 0.5 * width
        } else if let fh = hi.value {
            trial = quadraticMinimizer(lo.alpha, lo.value, lo.slope, hi.alpha, fh) ?? lo.alpha + 0.5 * width
        } else {
            // Non-finite at hi: shrink decisively towards lo ("step too long").
            trial = lo.alpha + 0.2 * width
        }
        // Safeguard: keep the trial inside the central 80 % of the bracket.
        let a = min(lo.alpha, hi.alpha), b = max(lo.alpha, hi.alpha), margin = 0.1 * (b - a)
        if !trial.isFinite || trial < a + margin || trial > b - margin {
            trial = hi.value == nil ? lo.alpha + 0.2 * width : lo.alpha + 0.5 * width
        }
        evaluations += 1
        guard let t = try evaluate(trial, &objective) else {
            hi = (trial, nil, nil)
            continue
        }
        if !sufficientDecrease(t) || noBetter(t, than: lo) {
            hi = (t.alpha, t.value, t.slope)
        } else {
            if curvature(t) { return accept(t) }
            if t.slope * (hi.alpha - lo.alpha) >= 0 { hi = (lo.alpha, lo.value, lo.slope) }
            lo = t
        }
    }
    return lo.alpha > 0 ? accept(lo) : nil
}

/// Minimiser of the cubic interpolating (a, fa, ga) and (b, fb, gb) (Nocedal & Wright eq. 3.59);
/// nil when the cubic has no real minimiser.
private func cubicMinimizer(_ a: Double, _ fa: Double, _ ga: Double,
                            _ b: Double, _ fb: Double, _ gb: Double) -> Double? {
    let d1 = ga + gb - 3 * (fa - fb) / (a - b)
    let disc = d1 * d1 - ga * gb
    guard disc >= 0, disc.isFinite else { return nil }
    let d2 = (b > a ? 1.0 : -1.0) * disc.squareRoot()
    let denom = gb - ga + 2 * d2
    guard denom != 0 else { return nil }
    let t = b - (b - a) * (gb + d2 - d1) / denom
    return t.isFinite ? t : nil
}

/// Minimiser of the quadratic through (a, fa) with slope ga at a and through (b, fb); nil when the
/// quadratic is not convex.
private func quadraticMinimizer(_ a: Double, _ fa: Double, _ ga: Double, _ b: Double, _ fb: Double) -> Double? {
    let h = b - a
    let curvature = fb - fa - ga * h
    guard curvature > 0 else { return nil }
    let t = a - ga * h * h / (2 * curvature)
    return t.isFinite ? t : nil
}
