import CGSL

/// Special functions of one real argument, through GSL's error-reporting (`_e`) routines.
///
/// Every function returns a finite value or throws: `LinalgError.domain` when an argument is
/// outside the function's domain (GSL_EDOM, a pole, or a NaN/∞ argument), and
/// `LinalgError.library(name: "GSL", …)` for overflow (GSL_EOVRFLW, or a non-finite value GSL
/// reported as success), underflow (GSL_EUNDRFLW) and loss of accuracy, with GSL's message
/// ("overflow", "underflow", …) and the routine and arguments named. Where a result would overflow
/// or underflow, use the scaled or logarithmic variant. Accuracy: GSL's documented error is a few
/// ulp for the gamma family and erf, and typically ~1e-14 relative for Bessel functions of real
/// order and moderate arguments.
///
/// Source: M. Galassi et al., GNU Scientific Library Reference Manual, §7 (special functions);
/// NIST Digital Library of Mathematical Functions (DLMF) chapters 5, 7, 10.
public enum SpecialFunctions {
    /// `log|Γ(x)|` (SciPy `gammaln`, C `lgamma`; for x < 0 the sign of Γ alternates between poles
    /// and is not returned). Throws a domain error at the poles x = 0, −1, −2, … (DLMF 5.2.1) and
    /// an overflow error for x ≳ 2.5e305. O(1).
    public static func logGamma(_ x: Double) throws -> Double {
        try rejectPole("gsl_sf_lngamma_e", x)
        return try evaluate("gsl_sf_lngamma_e", x) { gsl_sf_lngamma_e(x, $0) }
    }

    /// Digamma `ψ(x) = Γ′(x)/Γ(x)` (SciPy `digamma`; DLMF 5.2.2). Throws at the poles
    /// x = 0, −1, −2, … O(1).
    public static func digamma(_ x: Double) throws -> Double {
        // GSL reports success with a huge finite value at some negative integers; reject all poles here.
        try rejectPole("gsl_sf_psi_e", x)
        return try evaluate("gsl_sf_psi_e", x) { gsl_sf_psi_e(x, $0) }
    }

    /// Error function `erf(x) = (2/√π) ∫₀ˣ e^{−t²} dt` (DLMF 7.2.1). O(1).
    public static func erf(_ x: Double) throws -> Double {
        try evaluate("gsl_sf_erf_e", x) { gsl_sf_erf_e(x, $0) }
    }

    /// Complementary error function `erfc(x) = 1 − erf(x)`, accurate in the right tail
    /// (relative accuracy where 1 − erf(x) would cancel). Subnormal beyond x ≈ 26.5 and exactly 0
    /// beyond x ≈ 27.3 (the correctly rounded result): use `logErfc` for far tails. O(1).
    public static func erfc(_ x: Double) throws -> Double {
        try evaluate("gsl_sf_erfc_e", x) { gsl_sf_erfc_e(x, $0) }
    }

    /// `log erfc(x)`, finite for all x up to ~1e154 (asymptotically −x² − log(x√π)): the stable
    /// form of Gaussian log-tail probabilities, `log P(Z > z) = logErfc(z/√2) − log 2`. O(1).
    public static func logErfc(_ x: Double) throws -> Double {
        try evaluate("gsl_sf_log_erfc_e", x) { gsl_sf_log_erfc_e(x, $0) }
    }

    /// Bessel function of the first kind `J_ν(x)` of real order ν ≥ 0 (DLMF 10.2.2), x ≥ 0. O(1)
    /// for moderate ν, x. Used mainly to cross-check the modified functions.
    public static func besselJ(order nu: Double, _ x: Double) throws -> Double {
        try evaluate("gsl_sf_bessel_Jnu_e", nu, x) { gsl_sf_bessel_Jnu_e(nu, x, $0) }
    }

    /// Modified Bessel function of the first kind `I_ν(x)` (DLMF 10.25.2), ν ≥ 0, x ≥ 0.
    /// Overflows for x ≳ 700: use `besselIScaled`. O(1) for moderate ν, x.
    public static func besselI(order nu: Double, _ x: Double) throws -> Double {
        try evaluate("gsl_sf_bessel_Inu_e", nu, x) { gsl_sf_bessel_Inu_e(nu, x, $0) }
    }

    /// Exponentially scaled `e^{−x} I_ν(x)` (SciPy `ive` for x ≥ 0), ν ≥ 0, x ≥ 0; bounded for
    /// large x, so `log I_ν(x) = x + log(besselIScaled(ν, x))`. O(1) for moderate ν, x.
    public static func besselIScaled(order nu: Double, _ x: Double) throws -> Double {
        try evaluate("gsl_sf_bessel_Inu_scaled_e", nu, x) { gsl_sf_bessel_Inu_scaled_e(nu, x, $0) }
    }

    /// Modified Bessel function of the second kind `K_ν(x)` (DLMF 10.27.4), ν ≥ 0, x > 0
    /// (throws a domain error for x ≤ 0). Underflows for x ≳ 700: use `besselKScaled` or
    /// `logBesselK`. O(1) for moderate ν, x.
    public static func besselK(order nu: Double, _ x: Double) throws -> Double {
        try evaluate("gsl_sf_bessel_Knu_e", nu, x) { gsl_sf_bessel_Knu_e(nu, x, $0) }
    }

    /// Exponentially scaled `e^{x} K_ν(x)` (SciPy `kve`), ν ≥ 0, x > 0. O(1) for moderate ν, x.
    public static func besselKScaled(order nu: Double, _ x: Double) throws -> Double {
        try evaluate("gsl_sf_bessel_Knu_scaled_e", nu, x) { gsl_sf_bessel_Knu_scaled_e(nu, x, $0) }
    }

    /// `log K_ν(x)`, ν ≥ 0, x > 0, finite where K_ν itself over- or underflows (small x with
    /// large ν; large x). The Matérn kernel `k(r) ∝ r^ν K_ν(r)` is evaluated stably through it.
    /// O(1) for moderate ν, x.
    public static func logBesselK(order nu: Double, _ x: Double) throws -> Double {
        try evaluate("gsl_sf_bessel_lnKnu_e", nu, x) { gsl_sf_bessel_lnKnu_e(nu, x, $0) }
    }

    // MARK: Internals

    private static func rejectPole(_ routine: String, _ x: Double) throws {
        if x <= 0 && x == x.rounded() {
            throw LinalgError.domain("\(routine)(\(x)): input domain error (pole at a non-positive integer)")
        }
    }

    private static func evaluate(_ routine: String, _ arguments: Double...,
                                 body: (UnsafeMutablePointer<gsl_sf_result>) -> Int32) throws -> Double {
        let call = "\(routine)(\(arguments.map { "\($0)" }.joined(separator: ", ")))"
        guard arguments.allSatisfy({ $0.isFinite }) else {
            throw LinalgError.domain("\(call): arguments must be finite")
        }
        GSLBridge.prepare()
        var result = gsl_sf_result(val: 0, err: 0)
        try GSLBridge.check(body(&result), routine: call)
        // Some GSL routines report success with an infinite or NaN value when the result overflows
        // (e.g. I_0(800)); those are overflows too.
        guard result.val.isFinite else {
            throw LinalgError.library(name: "GSL", routine: call, status: Int(GSL_EOVRFLW),
                                      message: "overflow (non-finite result \(result.val)); use the scaled or logarithmic variant")
        }
        return result.val
    }
}
