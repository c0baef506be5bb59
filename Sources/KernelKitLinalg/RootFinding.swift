@preconcurrency import CGSL

/// One-dimensional root finding over Swift closures, through GSL.
///
/// Source: R. P. Brent, Algorithms for Minimization without Derivatives, Prentice-Hall 1973, ch. 4;
/// GSL Reference Manual §35 (`gsl_root_fsolver_brent`).
public enum RootFinding {
    /// A root of `f` in `bracket = lo…hi` by Brent's method (bisection safeguarding inverse
    /// quadratic / secant steps), like `scipy.optimize.brentq` with the same default tolerances.
    ///
    /// Requires `f(lo)` and `f(hi)` of opposite signs (or one of them exactly zero, which is then
    /// returned). Stops when the bracketing interval [x₁, x₂] satisfies
    /// `|x₂ − x₁| < absoluteTolerance + relativeTolerance · min(|x₁|, |x₂|)` (GSL's
    /// `gsl_root_test_interval`; min is taken as 0 if the interval contains 0) and returns GSL's best
    /// estimate inside it. For a continuous `f` a sign change, hence a root, is always inside the
    /// final interval; for a discontinuous `f` it may be a jump instead.
    /// Cost: converges superlinearly for smooth `f`, never worse than bisection
    /// (≈ log₂(width/tolerance) evaluations of `f`, plus the two endpoint evaluations).
    /// - Throws: `LinalgError.domain` when the endpoints do not bracket a sign change;
    ///   `LinalgError.nonFinite` when `f` returns NaN/∞; `LinalgError.noConvergence` after
    ///   `maxIterations` iterations; any error thrown by `f`.
    public static func brent(_ f: (Double) throws -> Double, bracket: ClosedRange<Double>,
                             absoluteTolerance: Double = 2e-12,
                             relativeTolerance: Double = 4 * Double.ulpOfOne,
                             maxIterations: Int = 100) throws -> Double {
        precondition(absoluteTolerance >= 0 && relativeTolerance >= 0 && maxIterations >= 1,
                     "RootFinding.brent: tolerances must be ≥ 0 and maxIterations ≥ 1")
        let (lo, hi) = (bracket.lowerBound, bracket.upperBound)
        guard lo.isFinite && hi.isFinite else {
            throw LinalgError.domain("root bracket must be finite, got [\(lo), \(hi)]")
        }
        let fLo = try f(lo), fHi = try f(hi)
        guard fLo.isFinite && fHi.isFinite else {
            throw LinalgError.nonFinite(what: "f at the bracket ends (f(\(lo)) = \(fLo), f(\(hi)) = \(fHi))")
        }
        if fLo == 0 { return lo }
        if fHi == 0 { return hi }
        guard (fLo < 0) != (fHi < 0) else {
            throw LinalgError.domain("root not bracketed: f(\(lo)) = \(fLo) and f(\(hi)) = \(fHi) have the same sign")
        }
        GSLBridge.prepare()
        guard let solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent) else {
            throw LinalgError.library(name: "GSL", routine: "gsl_root_fsolver_alloc", status: Int(GSL_ENOMEM),
                                      message: "could not allocate the Brent solver")
        }
        defer { gsl_root_fsolver_free(solver) }
        return try withoutActuallyEscaping(f) { escapable in
            var context = ScalarCallback(escapable)
            // The solver keeps a pointer to `function`, so everything runs inside these scopes.
            let outcome: Result<Double, Error> = withUnsafeMutablePointer(to: &context) { ctx in
                var function = gsl_function(function: scalarCallbackTrampoline, params: UnsafeMutableRawPointer(ctx))
                return Result {
                    try GSLBridge.check(gsl_root_fsolver_set(solver, &function, lo, hi), routine: "gsl_root_fsolver_set")
                    for _ in 0..<maxIterations {
                        let status = gsl_root_fsolver_iterate(solver)
                        try ctx.pointee.rethrow()
                        try GSLBridge.check(status, routine: "gsl_root_fsolver_iterate (Brent)")
                        let x1 = gsl_root_fsolver_x_lower(solver), x2 = gsl_root_fsolver_x_upper(solver)
                        if gsl_root_test_interval(x1, x2, absoluteTolerance, relativeTolerance) == GSL_SUCCESS {
                            return gsl_root_fsolver_root(solver)
                        }
                    }
                    let width = gsl_root_fsolver_x_upper(solver) - gsl_root_fsolver_x_lower(solver)
                    throw LinalgError.noConvergence(routine: "Brent root finding", iterations: maxIterations, residual: width)
                }
            }
            return try outcome.get()
        }
    }
}
