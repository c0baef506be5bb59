import Foundation
import KernelKitBessel
import KernelKitTestSupport
import Testing

/// Rows of a fixture CSV with a header line (all fields numeric).
func fixtureRows(_ name: String) -> [[Double]] {
    let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "csv")!
    let text = try! String(contentsOf: url, encoding: .utf8)
    return text.split(whereSeparator: \.isNewline).dropFirst().map { line in
        line.split(separator: ",").map { Double($0)! }
    }
}

/// The independent check sets made by Fixtures/make_log_bessel_check.py (45-digit mpmath values:
/// quadrature for K, series/Hankel/Debye for I, every row tied together by the Wronskian).
@Suite struct CheckSetTests {
    /// 2292 rows (2000 log-uniform v ∈ [1e-3, 1e5] ∪ {0}, x ∈ [1e-10, 1e6], plus region boundaries
    /// and the hard spot v ≈ 1200, x ≈ 2.3e5): |y − ref| ≤ 1e-14·max(1, |ref|), finite, for log I and log K,
    /// from `logIK(orders:arguments:)` and from the batch APIs `logI(orders:arguments:)`, `logK(orders:arguments:)`.
    @Test func everyCheckRowWithin1e14() throws {
        let rows = fixtureRows("log_bessel_check")
        #expect(rows.count == 2292)
        var worstI = 0.0, worstK = 0.0
        var failures: [String] = []
        let v = rows.map { $0[0] }, x = rows.map { $0[1] }
        let batch = try LogBessel.logIK(orders: v, arguments: x)
        // The region-sorted batch APIs, checked against the references too.
        let vectorI = try LogBessel.logI(orders: v, arguments: x), vectorK = try LogBessel.logK(orders: v, arguments: x)
        for (i, r) in rows.enumerated() {
            let li = batch.logI[i], lk = batch.logK[i]
            let ei = max(abs(li - r[2]), abs(vectorI[i] - r[2])) / max(1, abs(r[2]))
            let ek = max(abs(lk - r[3]), abs(vectorK[i] - r[3])) / max(1, abs(r[3]))
            worstI = max(worstI, ei); worstK = max(worstK, ek)
            if !(ei <= 1e-14) || !(ek <= 1e-14) || !li.isFinite || !lk.isFinite {
                failures.append("v=\(r[0]) x=\(r[1]) errI=\(ei) errK=\(ek)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) rows over 1e-14: \(failures.prefix(20))")
        print("check set: worst scaled error logI \(worstI), logK \(worstK)")
    }

    /// The batch APIs (rows sorted by region in chunks of 2048, evaluated four at a time) agree bit
    /// for bit with the scalar ones: on the check rows (2292 rows, so one chunk boundary, and a
    /// partial group of lanes at the end of most regions) and on the same rows three times over in
    /// a seeded random order (6876 rows, four chunks, every region mixed with every other).
    @Test func batchMatchesScalar() throws {
        let rows = fixtureRows("log_bessel_check")
        var rng = TestRNG(seed: 5)
        let shuffled = (rows + rows + rows).shuffled(using: &rng)
        for set in [rows, shuffled] {
            let v = set.map { $0[0] }, x = set.map { $0[1] }
            let i = try LogBessel.logI(orders: v, arguments: x), k = try LogBessel.logK(orders: v, arguments: x)
            let both = try LogBessel.logIK(orders: v, arguments: x)
            #expect(both.logI == i && both.logK == k)
            var mismatches: [String] = []
            for j in 0..<set.count {
                let si = try LogBessel.logI(order: v[j], x[j]), sk = try LogBessel.logK(order: v[j], x[j])
                if !(i[j] == si && k[j] == sk) {
                    mismatches.append("v=\(v[j]) x=\(x[j]): \(i[j]) vs \(si), \(k[j]) vs \(sk)")
                }
            }
            #expect(mismatches.isEmpty, "\(mismatches.count) of \(set.count) rows differ: \(mismatches.prefix(10))")
        }
        let edge = try LogBessel.logI(orders: [0, 3, 0], arguments: [0, 0, 1e-300])
        #expect(edge[0] == 0 && edge[1] == -.infinity && edge[2].isFinite)
    }

    /// A = I_v/I_{v−1}, v = p/2 for p ∈ [2, 1e6], x ∈ [1e-8, 1e7] (496 rows): |A − ref| ≤ 1e-14·ref.
    @Test func ratioWithin1e14() throws {
        var worst = 0.0
        var failures: [String] = []
        for r in fixtureRows("ratio_check") {
            let a = try LogBessel.ratio(order: r[0], r[1])
            let e = abs(a - r[2]) / r[2]
            worst = max(worst, e)
            if !(e <= 1e-14) { failures.append("v=\(r[0]) x=\(r[1]) A=\(a) ref=\(r[2]) rel=\(e)") }
        }
        #expect(failures.isEmpty, "\(failures.count) rows over 1e-14: \(failures.prefix(20))")
        print("ratio check set: worst relative error \(worst)")
    }

    /// inverseRatio recovers x from the reference A: |x̂ − x|/x ≤ 3e-14 / (x A′/A), the ratio's 1e-14
    /// relative accuracy divided by the log-slope (the problem's condition number), A′ = 1 − A² − (2v−1)A/x.
    /// Rows with A > 1 − 1e-12 are skipped (x is then fixed only to ~1e-3 by any method).
    @Test func inverseRatioRecoversArgument() throws {
        var failures: [String] = []
        for r in fixtureRows("ratio_check") where r[2] < 1 - 1e-12 {
            let (v, x, a) = (r[0], r[1], r[2])
            let xHat = try LogBessel.inverseRatio(order: v, value: a)
            let logSlope = x * (1 - a * a - (2 * v - 1) * a / x) / a
            let tol = 3e-14 / min(1, max(logSlope, 1e-300))
            if !(abs(xHat - x) <= tol * x) { failures.append("v=\(v) x=\(x) A=\(a) x̂=\(xHat) tol=\(tol)") }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
        #expect(try LogBessel.inverseRatio(order: 3, value: 0) == 0)
        #expect(throws: BesselError.self) { try LogBessel.inverseRatio(order: 0.5, value: 0.3) }
        #expect(throws: BesselError.self) { try LogBessel.inverseRatio(order: 2, value: 1) }
        #expect(throws: BesselError.self) { try LogBessel.inverseRatio(order: 2, value: -0.1) }
        #expect(throws: BesselError.self) { try LogBessel.inverseRatio(order: 2, value: .nan) }
    }

    /// Limits outside the sampled range: K_0(x) = −log(x/2) − γ + O(x² log x) for tiny x (rtol 1e-15),
    /// log I_0(x) ≈ x²/4 relative-accurate at x = 1e-10,
    /// I at x = 0 (0 for v = 0, −∞ for v > 0), K at x = 0 (+∞), and finite values at x = 1e-300.
    @Test func limits() throws {
        let eulerGamma = 0.57721566490153286
        for x in [1e-300, 1e-100, 1e-20, 1e-10] {
            let ref = log(-log(x / 2) - eulerGamma)
            let got = try LogBessel.logK(order: 0, x)
            #expect(abs(got - ref) <= 1e-15 * max(1, abs(ref)), "log K_0(\(x)) = \(got), expected \(ref)")
        }
        // log I_0(1e-10) = 2.5000000000000002e-21 (reference row): relative accuracy kept as x → 0 (rtol 1e-14).
        let tiny = try LogBessel.logI(order: 0, 1e-10)
        #expect(abs(tiny - 2.5000000000000002e-21) <= 1e-14 * 2.5e-21, "log I_0(1e-10) = \(tiny)")
        #expect(try LogBessel.logI(order: 0, 0) == 0)
        #expect(try LogBessel.logI(order: 2.5, 0) == -.infinity)
        #expect(try LogBessel.logK(order: 0, 0) == .infinity)
        #expect(try LogBessel.ratio(order: 7, 0) == 0)
        for v in [0.0, 1e-3, 0.5, 19.99, 20, 1e3, 1e5] {
            let (i, k) = try LogBessel.logIK(order: v, 1e-300)
            #expect(i.isFinite && k.isFinite, "v=\(v) x=1e-300: \(i), \(k)")
        }
        // Far beyond the range the ratio stays in [0, 1): v = 5e5, x = 1e300; v = 1, x = 1e300.
        for (v, x) in [(5e5, 1e300), (1.0, 1e300), (5e5, 1e-300)] {
            let a = try LogBessel.ratio(order: v, x)
            #expect(a >= 0 && a <= 1, "ratio(\(v), \(x)) = \(a)")
        }
    }
}
