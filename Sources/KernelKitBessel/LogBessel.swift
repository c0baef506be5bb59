import Foundation

/// A data-dependent failure of the Bessel and von Mises–Fisher routines.
public enum BesselError: Error, Equatable, CustomStringConvertible {
    /// An argument outside the function's domain (negative order or argument, NaN or ∞, p < 2,
    /// R̄ outside [0, 1), a data row that is not a unit vector, …); the message names it.
    case domain(String)
    /// An iteration that did not converge; the message names the routine and its inputs.
    case noConvergence(String)

    /// One line a user can act on.
    public var description: String {
        switch self {
        case .domain(let message): return message
        case .noConvergence(let message): return message
        }
    }
}

/// Logarithms of the modified Bessel functions I_v(x) and K_v(x) (DLMF 10.25), computed on the log
/// scale so they never overflow or underflow, after Plesner, Sørensen & Hauberg, "Accurate
/// Computation of the Logarithm of Modified Bessel Functions on GPUs", ICS 2024.
///
/// Regions (v ≥ 0, x > 0):
/// - v ≥ 20, every x: the uniform large-order (Debye) expansion, DLMF 10.41.3/10.41.4, with up to 16
///   terms U_k(p)/v^k (as many as needed for 1e-17), and vη computed from a Taylor series about the
///   zero z₀ ≈ 0.6627 of η when |x/v − z₀| < 0.1 (there the two parts of η cancel).
/// - v < 20, log I: the power series DLMF 10.25.2 (positive terms) for x < max(30, 0.3v²), the
///   Hankel expansion DLMF 10.40.1 above.
/// - v < 20, log K: Temme's series (x ≤ 2) or Steed's continued fraction CF2 (x > 2) for
///   K_μ, K_{μ+1} with |μ| ≤ ½, then the forward recurrence DLMF 10.29.1 on ratios.
///
/// Accuracy: |y − ref| ≤ 1e-14·max(1, |ref|) on the 300 reference rows of the test fixtures
/// (v ∈ [0, 1e5], x ∈ [1e-10, 1e6], 50-digit references), i.e. ~1e-14 relative error of the function.
/// Cost: O(1) for v ≥ 20 (≤ 16 Debye terms); for v < 20 and 2 < x < max(30, 0.3v²) the series
/// takes about x/2 + 40 terms (≤ ~110).
///
/// At x = 0 the limits are returned: log I_0(0) = 0, log I_v(0) = −∞ (v > 0), log K_v(0) = +∞.
public enum LogBessel {
    // MARK: Scalar, checked

    /// log I_v(x), the modified Bessel function of the first kind (DLMF 10.25.2), for v ≥ 0, x ≥ 0.
    /// O(1) (see the type's documentation for regions and accuracy).
    /// - Throws: `BesselError.domain` for v < 0, x < 0, or a NaN/∞ input.
    public static func logI(order v: Double, _ x: Double) throws -> Double {
        try check(v, x)
        return logIUnchecked(v, x)
    }

    /// log K_v(x), the modified Bessel function of the second kind (DLMF 10.25.3), for v ≥ 0, x ≥ 0
    /// (K_{−v} = K_v). O(1) (see the type's documentation for regions and accuracy).
    /// - Throws: `BesselError.domain` for v < 0, x < 0, or a NaN/∞ input.
    public static func logK(order v: Double, _ x: Double) throws -> Double {
        try check(v, x)
        return logKUnchecked(v, x)
    }

    /// (log I_v(x), log K_v(x)) together; for v ≥ 20 the Debye terms are shared (cheaper than two calls).
    /// - Throws: `BesselError.domain` for v < 0, x < 0, or a NaN/∞ input.
    public static func logIK(order v: Double, _ x: Double) throws -> (logI: Double, logK: Double) {
        try check(v, x)
        if x == 0 { return (v == 0 ? 0 : -.infinity, .infinity) }
        if v >= BesselExpansions.debyeMinimumOrder { return BesselExpansions.debyeLogIK(v, x) }
        return (BesselExpansions.smallOrderLogI(v, x), BesselExpansions.smallOrderLogK(v, x))
    }

    /// The ratio I_v(x)/I_{v−1}(x) for v ≥ 1, x ≥ 0, to ~1e-15 relative for all such inputs,
    /// without forming either function: for v ≥ 20 from the Debye expansions of I_v and I_v′
    /// (DLMF 10.41.3, 10.41.5) with I_{v−1} = I_v′ + (v/x)I_v; for v < 20 as a ratio of power series
    /// (x < max(30, 0.3v²)) or of Hankel sums. Lies in [0, 1), increasing in x. O(1) (≤ ~110 terms).
    /// - Throws: `BesselError.domain` for v < 1, x < 0, or a NaN/∞ input.
    public static func ratio(order v: Double, _ x: Double) throws -> Double {
        guard v >= 1, v.isFinite else { throw BesselError.domain("Bessel ratio I_v/I_(v-1) needs a finite order v >= 1, got \(v)") }
        guard x >= 0, x.isFinite else { throw BesselError.domain("Bessel ratio needs a finite argument x >= 0, got \(x)") }
        return ratioUnchecked(v, x)
    }

    // MARK: Batch

    /// log I_{v[i]}(x[i]) for every i: the batch form of `logI(order:_:)`, one pass, O(n).
    /// - Throws: `BesselError.domain` naming the first bad index (nothing is computed then).
    /// - Precondition: the arrays have equal length.
    public static func logI(orders v: [Double], arguments x: [Double]) throws -> [Double] {
        try checkBatch(v, x)
        var out = [Double](repeating: 0, count: v.count)
        v.withUnsafeBufferPointer { vb in
            x.withUnsafeBufferPointer { xb in
                for i in 0..<vb.count { out[i] = logIUnchecked(vb[i], xb[i]) }
            }
        }
        return out
    }

    /// log K_{v[i]}(x[i]) for every i: the batch form of `logK(order:_:)`, one pass, O(n).
    /// - Throws: `BesselError.domain` naming the first bad index (nothing is computed then).
    /// - Precondition: the arrays have equal length.
    public static func logK(orders v: [Double], arguments x: [Double]) throws -> [Double] {
        try checkBatch(v, x)
        var out = [Double](repeating: 0, count: v.count)
        v.withUnsafeBufferPointer { vb in
            x.withUnsafeBufferPointer { xb in
                for i in 0..<vb.count { out[i] = logKUnchecked(vb[i], xb[i]) }
            }
        }
        return out
    }

    // MARK: Unchecked kernels

    /// log I_v(x) without input checks: the caller guarantees finite v ≥ 0 and finite x ≥ 0
    /// (other inputs give unspecified values). For hot loops over validated data.
    @inlinable
    public static func logIUnchecked(_ v: Double, _ x: Double) -> Double {
        _logI(v, x)
    }

    /// log K_v(x) without input checks: the caller guarantees finite v ≥ 0 and finite x ≥ 0
    /// (other inputs give unspecified values). For hot loops over validated data.
    @inlinable
    public static func logKUnchecked(_ v: Double, _ x: Double) -> Double {
        _logK(v, x)
    }

    @usableFromInline
    static func _logI(_ v: Double, _ x: Double) -> Double {
        if x == 0 { return v == 0 ? 0 : -.infinity }
        if v >= BesselExpansions.debyeMinimumOrder { return BesselExpansions.debyeLogI(v, x) }
        return BesselExpansions.smallOrderLogI(v, x)
    }

    @usableFromInline
    static func _logK(_ v: Double, _ x: Double) -> Double {
        if x == 0 { return .infinity }
        if v >= BesselExpansions.debyeMinimumOrder { return BesselExpansions.debyeLogK(v, x) }
        return BesselExpansions.smallOrderLogK(v, x)
    }

    static func ratioUnchecked(_ v: Double, _ x: Double) -> Double {
        if x == 0 { return 0 }
        if v >= BesselExpansions.debyeMinimumOrder { return BesselExpansions.debyeRatio(v, x) }
        return BesselExpansions.smallOrderRatio(v, x)
    }

    // MARK: Checks

    static func check(_ v: Double, _ x: Double) throws {
        guard v >= 0, v.isFinite else {
            throw BesselError.domain("Bessel order must be finite and >= 0, got \(v)")
        }
        guard x >= 0, x.isFinite else {
            throw BesselError.domain("Bessel argument must be finite and >= 0, got \(x)")
        }
    }

    static func checkBatch(_ v: [Double], _ x: [Double]) throws {
        precondition(v.count == x.count, "LogBessel batch: \(v.count) orders but \(x.count) arguments")
        for i in 0..<v.count where !(v[i] >= 0 && v[i].isFinite && x[i] >= 0 && x[i].isFinite) {
            throw BesselError.domain("row \(i): Bessel order and argument must be finite and >= 0, got v = \(v[i]), x = \(x[i])")
        }
    }
}
