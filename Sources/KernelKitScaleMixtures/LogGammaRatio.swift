import Foundation
import KernelKitLinalg

/// log Γ(a + h) − log Γ(a) for a > 0, h ≥ 0, accurate also when a is huge (the ν → ∞ limit, where
/// the difference of two log-gammas of size ~a·log a would lose all but a few digits).
///
/// For a ≥ 20 it uses the difference of Stirling series (DLMF 5.11.1) written with log1p:
/// (a − ½)·log1p(h/a) + h·log(a + h) − h + Σₖ B₂ₖ/(2k(2k−1))·[(a+h)^{1−2k} − a^{1−2k}], k = 1…4
/// (truncation error below 1e-15 for a ≥ 20); otherwise the direct difference of `logGamma`. O(1).
func logGammaRatio(_ a: Double, plus h: Double) throws -> Double {
    guard a > 0, h >= 0, a.isFinite, h.isFinite else {
        throw ScaleMixtureError.domain("log-gamma ratio needs a > 0 and h ≥ 0, got a = \(a), h = \(h)")
    }
    if h == 0 { return 0 }
    guard a >= 20 else {
        return try SpecialFunctions.logGamma(a + h) - SpecialFunctions.logGamma(a)
    }
    func series(_ x: Double) -> Double {
        let x2 = x * x
        return (1.0 / 12 - (1.0 / 360 - (1.0 / 1260 - 1.0 / (1680 * x2)) / x2) / x2) / x
    }
    let b = a + h
    return (a - 0.5) * log1p(h / a) + h * log(b) - h + (series(b) - series(a))
}

/// log Σᵢ exp(xᵢ) without overflow (max-shifted). −∞ for an empty array or all −∞. O(n).
func logSumExp(_ x: [Double]) -> Double {
    guard let m = x.max(), m > -.infinity else { return -.infinity }
    var s = 0.0
    for v in x { s += exp(v - m) }
    return m + log(s)
}
