import Foundation
import KernelKitBessel
import Testing

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
    }
}
