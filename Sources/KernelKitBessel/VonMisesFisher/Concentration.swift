import Foundation

extension VonMisesFisher {
    /// The maximum-likelihood concentration κ̂: the unique root of A_p(κ) = R̄ for R̄ ∈ [0, 1), p ≥ 2
    /// (the likelihood n(log C_p(κ) + κR̄) is strictly concave in κ and its derivative is n(R̄ − A_p(κ))).
    ///
    /// Safeguarded Newton (Sra, "A short note on parameter approximation for von Mises–Fisher
    /// distributions", Comput. Stat. 27, 2012, used to convergence instead of for one or two steps):
    /// the root is bracketed by Tanabe et al.'s bounds R̄(p − 2)/(1 − R̄²) ≤ κ̂ ≤ R̄p/(1 − R̄²) (checked,
    /// and widened if rounding puts it outside), Newton steps κ ← κ − (A_p(κ) − R̄)/A_p′(κ) start from
    /// Banerjee et al.'s approximation, and a step that leaves the bracket (or a non-positive A′)
    /// falls back to bisection; the bracket shrinks with the sign of A_p(κ) − R̄ at every iterate.
    /// Stops when a step is below 1e-15·κ or stops shrinking (the A_p rounding floor).
    ///
    /// Accuracy: A_p(κ̂) = R̄ to ~1e-15; κ̂ itself to ~1e-15·A/(κA′), the problem's condition number
    /// (≈ 1e-15/(1 − R̄) as R̄ → 1). Cost: typically 3–5 evaluations of A_p, O(1) each.
    /// - Throws: `VonMisesFisherError.invalidDimension` for p < 2, `.invalidMeanResultantLength` for
    ///   R̄ outside [0, 1) or NaN.
    public static func concentration(meanResultantLength rbar: Double, dimension p: Int) throws -> Double {
        try checkMeanResultantLength(rbar, p)
        if rbar == 0 { return 0 }
        let pd = Double(p)
        let oneMinusR2 = (1 - rbar) * (1 + rbar)
        var lo = rbar * (pd - 2) / oneMinusR2, hi = rbar * pd / oneMinusR2
        func residual(_ kappa: Double) throws -> Double {
            try LogBessel.ratio(order: pd / 2, kappa) - rbar
        }
        // The bounds are exact inequalities; guard against rounding at their ends.
        if lo > 0, try residual(lo) > 0 { lo = 0 }
        while try residual(hi) < 0 { hi *= 2 }
        var kappa = min(max(banerjeeApproximation(rbar, pd), lo), hi)
        var previousStep = Double.infinity
        for _ in 0..<200 {
            let a = try LogBessel.ratio(order: pd / 2, kappa)
            let f = a - rbar
            if f == 0 { return kappa }
            if f < 0 { lo = kappa } else { hi = kappa }
            let slope = derivative(a, pd, kappa)
            var next = kappa - f / slope
            if !(slope > 0) || !(next > lo && next < hi) { next = lo + (hi - lo) / 2 }
            let step = abs(next - kappa)
            if step <= 1e-15 * kappa || hi - lo <= 2e-16 * hi { return next }
            // Below the rounding floor of A_p the Newton steps stop shrinking: stop there.
            if step >= previousStep && step <= 1e-12 * kappa { return next }
            previousStep = step
            kappa = next
        }
        return kappa
    }

    /// Banerjee, Dhillon, Ghosh & Sra (JMLR 6, 2005, eq. 4.4): κ ≈ R̄(p − R̄²)/(1 − R̄²). Closed form,
    /// O(1); relative error O(1/p) for moderate R̄ (e.g. 7e-5 at p = 2048, R̄ = 0.75).
    /// - Throws: as `concentration(meanResultantLength:dimension:)`.
    public static func banerjeeConcentration(meanResultantLength rbar: Double, dimension p: Int) throws -> Double {
        try checkMeanResultantLength(rbar, p)
        return banerjeeApproximation(rbar, Double(p))
    }

    /// Tanabe, Fukumizu, Oba, Takenouchi & Ishii (Comput. Stat. 22, 2007): the fixed point of the
    /// linear interpolation of φ(κ) = R̄κ/A_p(κ) between κ_l = R̄(p − 2)/(1 − R̄²) and
    /// κ_u = R̄p/(1 − R̄²): κ ≈ (κ_l φ(κ_u) − κ_u φ(κ_l)) / ((φ(κ_u) − φ(κ_l)) − (κ_u − κ_l)), with
    /// φ(0) = R̄p. Two evaluations of A_p (exact here); relative error ~1e-8 at p = 2048.
    /// - Throws: as `concentration(meanResultantLength:dimension:)`.
    public static func tanabeConcentration(meanResultantLength rbar: Double, dimension p: Int) throws -> Double {
        try checkMeanResultantLength(rbar, p)
        if rbar == 0 { return 0 }
        let pd = Double(p)
        let oneMinusR2 = (1 - rbar) * (1 + rbar)
        let kl = rbar * (pd - 2) / oneMinusR2, ku = rbar * pd / oneMinusR2
        func phi(_ k: Double) throws -> Double {
            k == 0 ? rbar * pd : rbar * k / (try LogBessel.ratio(order: pd / 2, k))
        }
        let fl = try phi(kl), fu = try phi(ku)
        return (kl * fu - ku * fl) / ((fu - fl) - (ku - kl))
    }

    /// Sra (Comput. Stat. 27, 2012): `newtonSteps` unsafeguarded Newton steps
    /// κ ← κ − (A_p(κ) − R̄)/(1 − A_p(κ)² − (p − 1)A_p(κ)/κ) from Banerjee's approximation (Sra uses 1
    /// or 2). O(newtonSteps) evaluations of A_p. For the exact root use
    /// `concentration(meanResultantLength:dimension:)`.
    /// - Throws: as `concentration(meanResultantLength:dimension:)`; `.invalidMeanResultantLength`
    ///   also when a step lands outside κ > 0 (unsafeguarded Newton; possible only for R̄ extremely close to 0 or 1).
    /// - Precondition: `newtonSteps >= 0`.
    public static func sraConcentration(meanResultantLength rbar: Double, dimension p: Int, newtonSteps: Int = 2) throws -> Double {
        precondition(newtonSteps >= 0, "sraConcentration: newtonSteps must be >= 0")
        try checkMeanResultantLength(rbar, p)
        if rbar == 0 { return 0 }
        let pd = Double(p)
        var kappa = banerjeeApproximation(rbar, pd)
        for _ in 0..<newtonSteps {
            let a = try LogBessel.ratio(order: pd / 2, kappa)
            kappa -= (a - rbar) / derivative(a, pd, kappa)
            guard kappa > 0, kappa.isFinite else {
                throw VonMisesFisherError.invalidMeanResultantLength(rbar)
            }
        }
        return kappa
    }

    static func banerjeeApproximation(_ rbar: Double, _ p: Double) -> Double {
        rbar * (p - rbar * rbar) / ((1 - rbar) * (1 + rbar))
    }

    static func checkMeanResultantLength(_ rbar: Double, _ p: Int) throws {
        try checkDimension(p)
        guard rbar >= 0, rbar < 1 else { throw VonMisesFisherError.invalidMeanResultantLength(rbar) }
    }
}
