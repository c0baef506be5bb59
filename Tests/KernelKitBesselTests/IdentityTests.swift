import Foundation
import KernelKitBessel
import PropertyBased
import Testing

/// log(e^a + e^b) without overflow.
func logAddExp(_ a: Double, _ b: Double) -> Double {
    let m = max(a, b)
    return m + log1p(exp(min(a, b) - m))
}

@Suite struct IdentityTests {
    /// Wronskian I_v K_{v+1} + I_{v+1} K_v = 1/x on the log scale, at every reference (v, x):
    /// |logsumexp(log I_v + log K_{v+1}, log I_{v+1} + log K_v) + log x| ≤ 3e-14·max(1, |log I_v| + |log K_v|)
    /// (each log carries ≤ 1e-14 of its own magnitude).
    @Test func wronskian() throws {
        var failures: [String] = []
        for r in Reference.rows {
            let (i0, k0) = try LogBessel.logIK(order: r.v, r.x)
            let (i1, k1) = try LogBessel.logIK(order: r.v + 1, r.x)
            let a = i0 + k1, b = i1 + k0
            let m = max(a, b)
            let lse = m + log1p(exp(min(a, b) - m))
            let err = abs(lse + log(r.x))
            let tol = 3e-14 * max(1, abs(i0) + abs(k0))
            if !(err <= tol) { failures.append("v=\(r.v) x=\(r.x) err=\(err) tol=\(tol)") }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    /// The ratio I_v/I_{v−1} against exp(log I_v − log I_{v−1}) where both logs are small
    /// (|log I| ≤ 50, so the difference carries ≤ ~1e-12 relative error): rtol 2e-12.
    @Test func ratioMatchesLogs() throws {
        for v in [1.0, 1.5, 7.3, 19.5, 20.5, 64, 1024] {
            for x in [1e-3, 0.5, 3, 25, 40, 130] {
                let li = try LogBessel.logI(order: v, x), lj = try LogBessel.logI(order: v - 1, x)
                guard abs(li) < 50, abs(lj) < 50 else { continue }
                let r = try LogBessel.ratio(order: v, x)
                let e = exp(li - lj)
                #expect(abs(r - e) <= 2e-12 * e, "v=\(v) x=\(x) ratio \(r) vs \(e)")
            }
        }
    }

    /// Bad input is a typed error, never a value.
    @Test func badInputThrows() {
        #expect(throws: BesselError.self) { try LogBessel.logI(order: -1, 1) }
        #expect(throws: BesselError.self) { try LogBessel.logK(order: 1, -1) }
        #expect(throws: BesselError.self) { try LogBessel.logI(order: .nan, 1) }
        #expect(throws: BesselError.self) { try LogBessel.logK(order: 1, .infinity) }
        #expect(throws: BesselError.self) { try LogBessel.ratio(order: 0.5, 1) }
        #expect(throws: BesselError.self) { try LogBessel.logI(orders: [1, 2], arguments: [1, .nan]) }
        // A bad row in a later chunk of the batch (rows are checked chunk by chunk, 2048 per chunk):
        // the error names that row.
        var v = [Double](repeating: 2.5, count: 5000), x = [Double](repeating: 3, count: 5000)
        v[4500] = -1
        #expect(throws: BesselError.domain("row 4500: Bessel order and argument must be finite and >= 0, got v = -1.0, x = 3.0")) {
            try LogBessel.logK(orders: v, arguments: x)
        }
        v[4500] = 2.5
        x[3001] = .infinity
        #expect(throws: BesselError.self) { try LogBessel.logIK(orders: v, arguments: x) }
    }

    // MARK: Properties over the whole range (v = 10^U(−3, 5), x = 10^U(−10, 6))

    /// Wronskian on the log scale: |log(I_v K_{v+1} + I_{v+1} K_v) + log x|
    /// ≤ 4e-14·max(1, |log I_v| + |log K_{v+1}|) (each log carries ≤ 1e-14 of its magnitude).
    @Test func wronskianProperty() async {
        await propertyCheck(input: Gen.double(in: -3...5), Gen.double(in: -10...6)) { lv, lx in
            let v = pow(10, lv), x = pow(10, lx)
            let (i0, k0) = try LogBessel.logIK(order: v, x)
            let (i1, k1) = try LogBessel.logIK(order: v + 1, x)
            let err = abs(logAddExp(i0 + k1, i1 + k0) + log(x))
            #expect(err <= 4e-14 * max(1, abs(i0) + abs(k1)), "v=\(v) x=\(x) err=\(err)")
        }
    }

    /// Recurrences in cancellation-free form (all terms positive), v ≥ 1:
    /// I_{v−1} = I_{v+1} + (2v/x) I_v and K_{v+1} = K_{v−1} + (2v/x) K_v, compared on the log scale
    /// with tolerance 4e-14·max(1, the largest |log| involved).
    @Test func recurrences() async {
        await propertyCheck(input: Gen.double(in: 0...5), Gen.double(in: -10...6)) { lv, lx in
            let v = pow(10, lv), x = pow(10, lx)
            let (im, km) = try LogBessel.logIK(order: v - 1, x)
            let (i0, k0) = try LogBessel.logIK(order: v, x)
            let (ip, kp) = try LogBessel.logIK(order: v + 1, x)
            let scale = log(2 * v / x)
            let errI = abs(logAddExp(ip, scale + i0) - im)
            let errK = abs(logAddExp(km, scale + k0) - kp)
            let tolI = 4e-14 * max(1, abs(im), abs(i0), abs(ip))
            let tolK = 4e-14 * max(1, abs(km), abs(k0), abs(kp))
            #expect(errI <= tolI, "I recurrence v=\(v) x=\(x) err=\(errI)")
            #expect(errK <= tolK, "K recurrence v=\(v) x=\(x) err=\(errK)")
        }
    }

    /// Small-argument asymptote, x ∈ [1e-10, 1e-6]: log I_v(x) = v log(x/2) − lgamma(v+1) + log(1 + x²/(4(v+1)))
    /// + O(x⁴) and, for v ≥ 2, log K_v(x) = lgamma(v) + v log(2/x) − log 2 + O(x²/v); tolerance 2e-14·max(1, |ref|).
    @Test func smallArgumentAsymptote() async {
        await propertyCheck(input: Gen.double(in: -3...5), Gen.double(in: -10 ... -6)) { lv, lx in
            let v = pow(10, lv), x = pow(10, lx)
            let refI = v * log(x / 2) - lgamma(v + 1) + log1p(x * x / (4 * (v + 1)))
            let gotI = try LogBessel.logI(order: v, x)
            #expect(abs(gotI - refI) <= 2e-14 * max(1, abs(refI)), "log I v=\(v) x=\(x): \(gotI) vs \(refI)")
            if v >= 2 {
                let refK = lgamma(v) + v * log(2 / x) - log(2.0)
                let gotK = try LogBessel.logK(order: v, x)
                #expect(abs(gotK - refK) <= 2e-14 * max(1, abs(refK)), "log K v=\(v) x=\(x): \(gotK) vs \(refK)")
            }
        }
    }

    /// Large-argument asymptote, v ∈ [0, 10], x ∈ [1e5, 1e6] (DLMF 10.40.1/10.40.2, three terms; the
    /// omitted term is ≤ 2e-11 absolute): log I = x − ½log(2πx) + log(1 − m/(8x) + m(m−8)/(2(8x)²)),
    /// log K = −x + ½log(π/(2x)) + log(1 + m/(8x) + m(m−8)/(2(8x)²)), m = 4v² − 1; tolerance 1e-14·|ref|.
    @Test func largeArgumentAsymptote() async {
        await propertyCheck(input: Gen.double(in: 0...10), Gen.double(in: 5...6)) { v, lx in
            let x = pow(10, lx)
            let m = 4 * v * v - 1, t1 = m / (8 * x), t2 = m * (m - 8) / (2 * 64 * x * x)
            let refI = x - 0.5 * log(2 * Double.pi * x) + log1p(-t1 + t2)
            let refK = -x + 0.5 * log(Double.pi / (2 * x)) + log1p(t1 + t2)
            let (i, k) = try LogBessel.logIK(order: v, x)
            #expect(abs(i - refI) <= 1e-14 * abs(refI), "log I v=\(v) x=\(x): \(i) vs \(refI)")
            #expect(abs(k - refK) <= 1e-14 * abs(refK), "log K v=\(v) x=\(x): \(k) vs \(refK)")
        }
    }

    /// Continuity across every region boundary: at each boundary b the values at b.nextDown and
    /// b.nextUp agree with the value at b within 2e-14·max(1, |value|) (the true change over one ulp
    /// is below 1e-15 relative here; points further from each boundary are rows of the check set). Boundaries: order v = 20 (Debye above) for many x;
    /// for v < 20 the series/Hankel switch x = max(30, 0.3v²) (I and K), the K Temme/Steed switch x = 2, the
    /// half-integer orders where K's starting order μ = v − round(v) jumps from ½ to −½; for v ≥ 20
    /// the edges x = v(z₀ ± 0.1) of the Taylor window for vη.
    @Test func continuityAcrossRegionBoundaries() throws {
        func expectContinuous(_ f: (Double) throws -> Double, at b: Double, _ label: String) throws {
            let center = try f(b)
            for y in [b.nextDown, b.nextUp] {
                let value = try f(y)
                #expect(abs(value - center) <= 2e-14 * max(1, abs(center)), "\(label) at \(y): \(value) vs \(center)")
            }
        }
        for x in [1e-10, 1e-3, 0.5, 2, 13.3, 30, 120, 1e3, 1e5, 1e6] {
            try expectContinuous({ try LogBessel.logI(order: $0, x) }, at: 20, "log I across v = 20, x = \(x)")
            try expectContinuous({ try LogBessel.logK(order: $0, x) }, at: 20, "log K across v = 20, x = \(x)")
            try expectContinuous({ try LogBessel.ratio(order: $0, x) }, at: 20, "ratio across v = 20, x = \(x)")
        }
        for v in [0.0, 0.3, 1, 5.5, 10, 12.5, 19.9] {
            let b = max(30, 0.3 * v * v)
            try expectContinuous({ try LogBessel.logI(order: v, $0) }, at: b, "log I across x = \(b), v = \(v)")
            try expectContinuous({ try LogBessel.logK(order: v, $0) }, at: b, "log K across x = \(b), v = \(v)")
            if v >= 1 { try expectContinuous({ try LogBessel.ratio(order: v, $0) }, at: b, "ratio across x = \(b), v = \(v)") }
            try expectContinuous({ try LogBessel.logK(order: v, $0) }, at: 2, "log K across x = 2, v = \(v)")
        }
        for n in 0..<20 {
            for x in [1e-6, 1.5, 3, 40] {
                try expectContinuous({ try LogBessel.logK(order: $0, x) }, at: Double(n) + 0.5, "log K across v = \(n).5, x = \(x)")
            }
        }
        let z0 = 0.6627434193491816
        for v in [20.0, 345.6, 1e4, 1e5] {
            for z in [z0 - 0.1, z0 + 0.1] {
                try expectContinuous({ try LogBessel.logI(order: v, $0) }, at: v * z, "log I across x = v(z0±0.1), v = \(v)")
                try expectContinuous({ try LogBessel.logK(order: v, $0) }, at: v * z, "log K across x = v(z0±0.1), v = \(v)")
            }
        }
    }
}
