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
/// - v < 20, log K: the Hankel expansion DLMF 10.40.2 for x ≥ max(30, 0.3v²); below it Temme's
///   series (x ≤ 2) or Steed's continued fraction CF2 (x > 2) for K_μ, K_{μ+1} with |μ| ≤ ½, then the
///   forward recurrence DLMF 10.29.1 on ratios.
///
/// Accuracy: |y − ref| ≤ 1e-14·max(1, |ref|) on the 300 reference rows of the test fixtures
/// (v ∈ [0, 1e5], x ∈ [1e-10, 1e6], 50-digit references; worst 2.9e-15) and on 2292 independent
/// 45-digit check rows over the same range (log-uniform, region boundaries, v ≈ 1200 with
/// x ≈ 2.3e5; worst 1.6e-15 for log I, 2.3e-15 for log K), i.e. ~1e-14 relative error of the
/// function. Finite for every v ∈ [0, 1e5], x ∈ (0, 1e6] (and well beyond: x down to 1e-300).
/// Cost: O(1). For v ≥ 20 ≤ 16 Debye terms (fewer when v or x/v is large); for v < 20 the power
/// series takes about x/2 + 40 terms below max(30, 0.3v²) (≤ ~110), the Hankel sums ≤ 40 terms,
/// Steed's CF2 ~10–60 iterations. Every region is evaluated four rows at a time (`BesselExpansions.Lanes`);
/// a scalar call fills all four lanes with its row (so it costs up to ~4× a batch row), and the batch
/// APIs, which sort rows by region in chunks of 2048, return the scalar values bit for bit.
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
        return logIKUnchecked(v, x)
    }

    static func logIKUnchecked(_ v: Double, _ x: Double) -> (logI: Double, logK: Double) {
        if x == 0 { return (v == 0 ? 0 : -.infinity, .infinity) }
        if v >= BesselExpansions.debyeMinimumOrder {
            let (i, k) = BesselExpansions.debyeLogIK(Lanes(repeating: v), Lanes(repeating: x))
            return (i[0], k[0])
        }
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

    /// The inverse of the ratio: the x ≥ 0 with I_v(x)/I_{v−1}(x) = a, for v ≥ 1 and a ∈ [0, 1).
    /// For the von Mises–Fisher concentration in dimension p: κ = inverseRatio(order: p/2, value: R̄)
    /// solves A_p(κ) = R̄.
    ///
    /// Method: safeguarded Newton on f(x) = A(x) − a with A′(x) = 1 − A² − (2v−1)A/x, inside the
    /// bracket given by Amos's bounds (D. E. Amos, Math. Comp. 28, 1974)
    /// x/(v−½+√(x²+(v+½)²)) ≤ A(x) ≤ x/(v−½+√(x²+(v−½)²)), solved for x:
    /// 2a(v−½)/(1−a²) ≤ x ≤ a(c+√(c²+2v(1−a²)))/(1−a²), c = v−½. A Newton step that leaves the
    /// bracket is replaced by bisection; the bracket shrinks on every step, so it always converges.
    /// Stops when the step is below 2e-16·x (typically 3–6 ratio evaluations). a = 0 gives 0.
    /// Accuracy: A(x) = a to the accuracy of `ratio` (~1e-15 relative); the relative error of x is
    /// that divided by the log-slope x·A′/A, which is ≥ ~(1 − a) — large κ from a near 1 are as
    /// ill-conditioned as the problem itself.
    /// - Throws: `BesselError.domain` for v < 1, a ∉ [0, 1) or non-finite inputs;
    ///   `BesselError.noConvergence` if 200 steps do not meet the tolerance (not observed).
    public static func inverseRatio(order v: Double, value a: Double) throws -> Double {
        guard v >= 1, v.isFinite else {
            throw BesselError.domain("inverse Bessel ratio needs a finite order v >= 1, got \(v)")
        }
        guard a >= 0, a < 1 else {
            throw BesselError.domain("inverse Bessel ratio needs a value in [0, 1), got \(a)")
        }
        if a == 0 { return 0 }
        let c = v - 0.5, oneMinusA2 = (1 - a) * (1 + a)
        var lo = 2 * a * c / oneMinusA2
        var hi = a * (c + (c * c + 2 * v * oneMinusA2).squareRoot()) / oneMinusA2
        guard hi.isFinite else {
            throw BesselError.domain("inverse Bessel ratio: value \(a) is too close to 1 (x would overflow)")
        }
        // Guard the bracket against rounding in the bounds: A(lo) ≤ a ≤ A(hi) must hold.
        while ratioUnchecked(v, hi) < a {
            lo = hi
            hi *= 2
            guard hi.isFinite else {
                throw BesselError.domain("inverse Bessel ratio: value \(a) is too close to 1 (x would overflow)")
            }
        }
        if ratioUnchecked(v, lo) > a { lo = 0 }
        var x = 0.5 * (lo + hi)
        for _ in 0..<200 {
            let r = ratioUnchecked(v, x)
            let f = r - a
            if f == 0 { return x }
            if f < 0 { lo = x } else { hi = x }
            let slope = (1 - r * r) - (2 * v - 1) * r / x
            var next = slope > 0 ? x - f / slope : .nan
            if !(next > lo && next < hi) { next = 0.5 * (lo + hi) }
            if abs(next - x) <= 2e-16 * x || hi - lo <= 4e-16 * hi { return next }
            x = next
        }
        throw BesselError.noConvergence("inverse Bessel ratio did not converge for v = \(v), value = \(a)")
    }

    // MARK: Batch

    /// (log I_{v[i]}(x[i]), log K_{v[i]}(x[i])) for every i: the batch form of `logIK(order:_:)`, O(n);
    /// equal to (`logI(orders:arguments:)`, `logK(orders:arguments:)`).
    /// - Throws: `BesselError.domain` naming the first bad index (then no values are returned).
    /// - Precondition: the arrays have equal length.
    public static func logIK(orders v: [Double], arguments x: [Double]) throws -> (logI: [Double], logK: [Double]) {
        (try logI(orders: v, arguments: x), try logK(orders: v, arguments: x))
    }

    /// log I_{v[i]}(x[i]) for every i: the batch form of `logI(order:_:)` (bit-identical values), O(n).
    /// The rows are sorted into the regions of the expansions (Debye, power series, Hankel) chunk
    /// by chunk (`evaluateByRegion`), and each region's rows are evaluated four at a time
    /// (`BesselExpansions.Lanes`). Measured on the anchor inputs (1e6 rows, v log-uniform in
    /// [1e-3, 1e4], x in [1e-3, 1e5]): ~52 ns per row, single thread (Benchmarks/BesselBench.swift).
    /// - Throws: `BesselError.domain` naming the first bad index (then no values are returned).
    /// - Precondition: the arrays have equal length.
    public static func logI(orders v: [Double], arguments x: [Double]) throws -> [Double] {
        try checkedBatch(v, x) { region, idx, vb, xb, ob in
            switch region {
            case .debye: evaluateByLanes(idx, vb, xb, ob, BesselExpansions.debyeLogI)
            case .temme, .steed: evaluateByLanes(idx, vb, xb, ob, BesselExpansions.seriesLogI)
            case .hankel: evaluateByLanes(idx, vb, xb, ob, BesselExpansions.hankelLogI)
            case .zero: for i in idx { ob[Int(i)] = _logI(vb[Int(i)], xb[Int(i)]) }
            }
        }
    }

    /// log K_{v[i]}(x[i]) for every i: the batch form of `logK(order:_:)` (bit-identical values), O(n),
    /// evaluated region by region, four rows at a time, like `logI(orders:arguments:)` (Steed's
    /// continued fraction itself runs one row at a time). ~81 ns per row on the anchor inputs.
    /// - Throws: `BesselError.domain` naming the first bad index (then no values are returned).
    /// - Precondition: the arrays have equal length.
    public static func logK(orders v: [Double], arguments x: [Double]) throws -> [Double] {
        try checkedBatch(v, x) { region, idx, vb, xb, ob in
            switch region {
            case .debye: evaluateByLanes(idx, vb, xb, ob, BesselExpansions.debyeLogK)
            case .hankel: evaluateByLanes(idx, vb, xb, ob, BesselExpansions.hankelLogK)
            case .temme: evaluateByLanes(idx, vb, xb, ob, BesselExpansions.temmeLogK)
            case .steed: evaluateByLanes(idx, vb, xb, ob, BesselExpansions.steedLogK)
            case .zero: for i in idx { ob[Int(i)] = _logK(vb[Int(i)], xb[Int(i)]) }
            }
        }
    }

    /// The regions of the expansions, for batch evaluation: zero (x = 0), debye (v ≥ 20), hankel
    /// (v < 20, x ≥ max(30, 0.3v²)), temme (x ≤ 2 below that) and steed (2 < x below that).
    enum Region: Int, CaseIterable {
        case zero, debye, hankel, temme, steed

        /// The raw value of the region of (v, x), computed without branches (the regions of
        /// neighbouring rows are unpredictable): the four comparisons are made in one vector compare
        /// and combined as 0/1 integers.
        @inline(__always)
        static func code(_ v: Double, _ x: Double) -> Int {
            let square = 0.3 * v * v
            let hankelStart = square > 30 ? square : 30 // = hankelMinimumArgument(v)
            // (x ≥ hankelStart, 2 ≥ x, v ≥ 20, x ≥ smallest positive) as lanes of −1 (true) or 0.
            let lhs = SIMD4<Double>(x, BesselExpansions.temmeMaximumArgument, v, x)
            let rhs = SIMD4<Double>(hankelStart, x, BesselExpansions.debyeMinimumOrder, .leastNonzeroMagnitude)
            let truth = unsafeBitCast(lhs .>= rhs, to: SIMD4<Int64>.self) &* -1
            let hankel = Int(truth[0]), temme = Int(truth[1]), debye = Int(truth[2]), nonzero = Int(truth[3])
            let small = 4 - temme - hankel * (2 - temme)  // hankel 2, temme 3, steed 4
            return nonzero * (small - debye * (small - 1)) // zero 0, debye 1
        }
    }

    typealias Lanes = BesselExpansions.Lanes

    /// ob[i] = kernel(v[i], x[i]) for the rows i in idx, `Lanes.scalarCount` rows per call (a last,
    /// partial group repeats its first row in the unused lanes).
    @inline(__always)
    static func evaluateByLanes(_ idx: UnsafeBufferPointer<Int32>, _ vb: UnsafeBufferPointer<Double>,
                                _ xb: UnsafeBufferPointer<Double>, _ ob: UnsafeMutableBufferPointer<Double>,
                                _ kernel: (Lanes, Lanes) -> Lanes) {
        let width = Lanes.scalarCount
        let n = idx.count
        var j = 0
        while j < n {
            let count = min(width, n - j)
            var v = Lanes(repeating: vb[Int(idx[j])]), x = Lanes(repeating: xb[Int(idx[j])])
            for lane in 1..<count {
                let i = Int(idx[j + lane])
                v[lane] = vb[i]
                x[lane] = xb[i]
            }
            let y = kernel(v, x)
            for lane in 0..<count { ob[Int(idx[j + lane])] = y[lane] }
            j += width
        }
    }

    /// Rows per chunk of `evaluateByRegion`: the chunk's inputs, outputs and index list stay in the
    /// L1/L2 caches while its regions are visited one after another, and every per-region count or
    /// position (≤ 2048) fits in a 12-bit field of one 64-bit register.
    static let chunkSize = 2048

    /// The batch kernels' signature: (region, indices of its rows, v, x, out); writes out[i] for the indices.
    typealias RegionKernel = (Region, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Double>,
                              UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Void

    /// `evaluateByRegion`, throwing `BesselError.domain` for the first bad row (as `checkBatch`).
    /// - Precondition: the arrays have equal length.
    @inline(__always)
    static func checkedBatch(_ v: [Double], _ x: [Double], _ kernel: RegionKernel) throws -> [Double] {
        precondition(v.count == x.count, "LogBessel batch: \(v.count) orders but \(x.count) arguments")
        if let out = evaluateByRegion(v, x, kernel) { return out }
        try checkBatch(v, x)
        throw BesselError.domain("Bessel orders and arguments must be finite and >= 0")
    }

    /// Calls `kernel(region, indices, v, x, out)` for the rows of each region, chunk by chunk: the
    /// rows of a chunk of `chunkSize` are checked (finite, ≥ 0) and sorted by region (a counting
    /// sort) in one pass, then each non-empty region's indices (increasing) are handed to the
    /// kernel, which writes out[i] for them. Returns nil, before any kernel sees it, when a chunk
    /// holds a bad row (the caller then reports it).
    /// Sorting keeps the branches of each region's method predictable; chunking keeps the memory
    /// traffic to one pass over the arrays. The counting sort keeps its five counters packed in
    /// one integer (12 bits each) rather than in memory: neighbouring rows fall in unpredictable
    /// regions, and counters in memory would make the processor mispredict load/store aliasing.
    @inline(__always)
    static func evaluateByRegion(_ v: [Double], _ x: [Double], _ kernel: RegionKernel) -> [Double]? {
        let n = v.count
        precondition(n < Int(Int32.max), "LogBessel batch: at most 2^31 − 1 rows per call")
        var regionOf = [UInt8](repeating: 0, count: chunkSize)
        var order = [Int32](repeating: 0, count: chunkSize)
        var out = [Double](repeating: 0, count: n)
        var valid = true
        v.withUnsafeBufferPointer { vb in
            x.withUnsafeBufferPointer { xb in
                out.withUnsafeMutableBufferPointer { ob in
                    regionOf.withUnsafeMutableBufferPointer { rb in
                        order.withUnsafeMutableBufferPointer { od in
                            var chunkStart = 0
                            while chunkStart < n {
                                let chunkEnd = min(n, chunkStart + chunkSize)
                                var counts: UInt64 = 0 // field r (bits 12r ..< 12r+12) counts region r
                                for i in chunkStart..<chunkEnd {
                                    let vi = vb[i], xi = xb[i]
                                    // NaN fails every comparison
                                    valid = valid && vi >= 0 && vi < .infinity && xi >= 0 && xi < .infinity
                                    let r = Region.code(vi, xi)
                                    rb[i - chunkStart] = UInt8(truncatingIfNeeded: r)
                                    counts &+= 1 &<< UInt64(12 * r)
                                }
                                if !valid { return }
                                // Exclusive prefix sums of the fields: the start of each region.
                                var next: UInt64 = 0
                                var running: UInt64 = 0
                                for r in 0..<Region.allCases.count {
                                    next |= running &<< UInt64(12 * r)
                                    running &+= (counts &>> UInt64(12 * r)) & 0xfff
                                }
                                let starts = next
                                for i in chunkStart..<chunkEnd {
                                    let shift = UInt64(12 * Int(rb[i - chunkStart]))
                                    od[Int((next &>> shift) & 0xfff)] = Int32(truncatingIfNeeded: i)
                                    next &+= 1 &<< shift
                                }
                                for region in Region.allCases {
                                    let shift = UInt64(12 * region.rawValue)
                                    let lo = Int((starts &>> shift) & 0xfff), hi = Int((next &>> shift) & 0xfff)
                                    if hi > lo {
                                        kernel(region, UnsafeBufferPointer(rebasing: od[lo..<hi]), vb, xb, ob)
                                    }
                                }
                                chunkStart = chunkEnd
                            }
                        }
                    }
                }
            }
        }
        return valid ? out : nil
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
        if v >= BesselExpansions.debyeMinimumOrder {
            return BesselExpansions.debyeLogI(Lanes(repeating: v), Lanes(repeating: x))[0]
        }
        return BesselExpansions.smallOrderLogI(v, x)
    }

    @usableFromInline
    static func _logK(_ v: Double, _ x: Double) -> Double {
        if x == 0 { return .infinity }
        if v >= BesselExpansions.debyeMinimumOrder {
            return BesselExpansions.debyeLogK(Lanes(repeating: v), Lanes(repeating: x))[0]
        }
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
        // Fast pass over the raw buffers (NaN fails every comparison); the message is built only on failure.
        let allValid = v.withUnsafeBufferPointer { vb in
            x.withUnsafeBufferPointer { xb in
                var valid = true
                for i in 0..<vb.count {
                    let vi = vb[i], xi = xb[i]
                    valid = valid && vi >= 0 && vi < .infinity && xi >= 0 && xi < .infinity
                }
                return valid
            }
        }
        if allValid { return }
        for i in 0..<v.count where !(v[i] >= 0 && v[i].isFinite && x[i] >= 0 && x[i].isFinite) {
            throw BesselError.domain("row \(i): Bessel order and argument must be finite and >= 0, got v = \(v[i]), x = \(x[i])")
        }
    }
}
