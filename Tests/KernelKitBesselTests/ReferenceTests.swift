import Foundation
import KernelKitBessel
import Testing

/// The 300 rows of Fixtures/log_bessel_ref.csv (v, x, log I, log K at 50 digits, rounded once).
enum Reference {
    static let rows: [(v: Double, x: Double, logI: Double, logK: Double)] = {
        let url = Bundle.module.url(forResource: "Fixtures/log_bessel_ref", withExtension: "csv")!
        let text = try! String(contentsOf: url, encoding: .utf8)
        return text.split(whereSeparator: \.isNewline).dropFirst().map { line in
            let f = line.split(separator: ",").map { Double($0)! }
            return (f[0], f[1], f[2], f[3])
        }
    }()
}

@Suite struct ReferenceTests {
    /// Every reference row: |y − ref| ≤ 1e-14·max(1, |ref|) for log I and log K (the target).
    @Test func everyRowWithin1e14() throws {
        #expect(Reference.rows.count == 300)
        var worstI = 0.0, worstK = 0.0
        var failures: [String] = []
        for r in Reference.rows {
            let (li, lk) = try LogBessel.logIK(order: r.v, r.x)
            let si = try LogBessel.logI(order: r.v, r.x)
            let sk = try LogBessel.logK(order: r.v, r.x)
            #expect(li == si && lk == sk, "logIK must equal logI/logK at v=\(r.v), x=\(r.x)")
            let ei = abs(li - r.logI) / max(1, abs(r.logI))
            let ek = abs(lk - r.logK) / max(1, abs(r.logK))
            worstI = max(worstI, ei); worstK = max(worstK, ek)
            if !(ei <= 1e-14) || !(ek <= 1e-14) {
                failures.append("v=\(r.v) x=\(r.x) errI=\(ei) errK=\(ek)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) rows over 1e-14: \(failures.prefix(20))")
        print("worst scaled error: logI \(worstI), logK \(worstK)")
    }
}
