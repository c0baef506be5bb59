import Foundation
import KernelKitBessel
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing

/// The p = 2048 cases of Fixtures/vmf_cases.json (see Fixtures/README.md).
enum VMFCases {
    struct Case { let p: Int; let rbar, kappaTrue, aTrue, kappaExact, banerjee, tanabe, sra1, sra2: Double }
    static func json() -> [String: Any] {
        let url = Bundle.module.url(forResource: "Fixtures/vmf_cases", withExtension: "json")!
        return try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }
    static let cases: [Case] = (json()["cases"] as! [[String: Any]]).map { c in
        Case(p: c["p"] as! Int, rbar: c["Rbar"] as! Double, kappaTrue: c["kappa_true"] as! Double,
             aTrue: c["A_p_of_kappa_true"] as! Double, kappaExact: c["kappa_mle_exact"] as! Double,
             banerjee: c["banerjee"] as! Double, tanabe: c["tanabe_exactA"] as! Double,
             sra1: c["sra1_exactA"] as! Double, sra2: c["sra2_exactA"] as! Double)
    }
    /// (p, R̄, exact κ̂) of the "scipy_fit" entries (p = 2048, 8192, 32768).
    static let scipyCases: [(p: Int, rbar: Double, kappa: Double)] = (json()["scipy_fit"] as! [[String: Any]]).map {
        ($0["p"] as! Int, $0["Rbar"] as! Double, $0["kappa_mle_exact"] as! Double)
    }
}

/// Independent high-precision references (generated for these tests; 40–50 significant digits,
/// printed to 20–25). κ̂ is the root of A_p(κ) = R̄ and log C_p(κ̂) the log normaliser there.
/// p ≤ 10: mpmath 1.3 `besseli` at 50 digits, root by `findroot` (Anderson) on Tanabe's bracket.
/// p ≥ 2048: without `besseli` (its power series does not converge in reasonable time for large
/// arguments): A_p by the backward recurrence r_n = 1/(2n/κ + r_{n+1}) (DLMF 10.29.1) started
/// 2000 + 40√κ orders up from Amos's bound, log I_ν by tanh-sinh quadrature of the Poisson integral
/// (DLMF 10.32.2) split around its peak, root by the secant method to 1e-35; both methods agree with
/// `besseli` to 30 digits where it converges (p = 2048, 32768 at κ < 2e4), and with each other on the
/// p = 2048 rows.
enum VMFHighPrecision {
    static let rows: [(p: Int, rbar: Double, kappa: Double, logC: Double)] = [
        (2, 1e-3, 0.0020000010000008333341, -1.8378780664100954843),
        (2, 0.1, 0.20100841330272077056, -1.8479527678531320284),
        (2, 0.5, 1.159319920750138362, -2.1492562323105788911),
        (2, 0.9, 5.304689062957717514, -5.4157929938113908498),
        (2, 0.999, 500.2503759409859645, -498.06201023685192603),
        (3, 1e-3, 0.0030000018000016971446, -2.5310257469706407944),
        (3, 0.1, 0.30181714920633809781, -2.5461606768153236927),
        (3, 0.5, 1.7967559847237130411, -3.0207634189283761553),
        (3, 0.9, 9.9999995877689517873, -9.5352916003462019339),
        (3, 0.999, 1000.0, -994.93012178742720843),
        (10, 1e-3, 0.010000008333342261914, -3.2387477794652505679),
        (10, 0.1, 1.0084235583987708379, -3.2893753021517960238),
        (10, 0.5, 6.4170646847150005769, -5.0381464146692032628),
        (10, 0.9, 43.134687699905904498, -34.281063983145518826),
        (10, 0.999, 4498.2489297825811345, -4468.6661300757479275),
        (2048, 1e-3, 2.048002046003999211826844, 4898.382838652570434151676),
        (2048, 0.1, 206.8666885252272192034781, 4887.988687760259438405571),
        (2048, 0.5, 1365.066741707688872239488, 4510.404679055415458059468),
        (2048, 0.9, 9696.813052263164068144061, -2128.692791319842575163013),
        (2048, 0.999, 1022988.493996992631018986, -1010705.612259326037351609),
        (32768, 1e-3, 32.76803276603289009501819, 123847.4306205118564427911),
        (32768, 0.1, 3309.896989815097799885554, 123681.1219581791406035829),
        (32768, 0.5, 21845.06667135432688556517, 117638.2644755438682910848),
        (32768, 0.9, 155212.602502302362782825, 11364.99114531448091303711),
        (32768, 0.999, 16375304.65207580303574688, -16133256.32876393685653869),
        (100000, 1e-3, 100.0000999981000400989981, 433747.1858318462544956229),
        (100000, 0.1, 10101.00810084813516439472, 433239.6517645099787921749),
        (100000, 0.5, 66666.40000153601720325678, 414798.1071847750563143681),
        (100000, 0.9, 473679.9709222958037899488, 90471.28864156452434016664),
        (100000, 0.999, 49974488.24387169072040161, -49180013.87010239210397705),
    ]
}

@Suite struct VonMisesFisherConcentrationTests {
    /// vmf_cases.json, p = 2048: κ̂ to 1e-12 relative (the target), A_p(κ_true) to 1e-14,
    /// Banerjee to 2e-15 (closed form; rounding of (1 − R̄)(1 + R̄) vs 1 − R̄²), Sra's 1- and 2-step Newton to 1e-13, Tanabe to 1e-12 (its
    /// formula subtracts nearly equal numbers: the fixture's own value differs from a 40-digit
    /// evaluation by 4e-13).
    @Test func fixtureCasesP2048() throws {
        #expect(VMFCases.cases.count == 2)
        for c in VMFCases.cases {
            let kappa = try VonMisesFisher.concentration(meanResultantLength: c.rbar, dimension: c.p)
            expectClose(kappa, c.kappaExact, rtol: 1e-12, "kappa_mle_exact p=\(c.p)")
            expectClose(try VonMisesFisher.meanResultantLength(dimension: c.p, concentration: c.kappaTrue), c.aTrue, rtol: 1e-14)
            expectClose(try VonMisesFisher.banerjeeConcentration(meanResultantLength: c.rbar, dimension: c.p), c.banerjee, rtol: 2e-15)
            expectClose(try VonMisesFisher.tanabeConcentration(meanResultantLength: c.rbar, dimension: c.p), c.tanabe, rtol: 1e-12)
            let sra1 = try VonMisesFisher.sraConcentration(meanResultantLength: c.rbar, dimension: c.p, newtonSteps: 1)
            let sra2 = try VonMisesFisher.sraConcentration(meanResultantLength: c.rbar, dimension: c.p, newtonSteps: 2)
            expectClose(sra1, c.sra1, rtol: 1e-13)
            expectClose(sra2, c.sra2, rtol: 1e-13)
            // Each Newton step improves on Banerjee's start.
            #expect(abs(sra2 - kappa) <= abs(sra1 - kappa) && abs(sra1 - kappa) < abs(c.banerjee - kappa))
        }
        // The cases where scipy 1.17's vonmises_fisher.fit returns 1e-8 (p = 2048, 8192, 32768).
        for c in VMFCases.scipyCases {
            let kappa = try VonMisesFisher.concentration(meanResultantLength: c.rbar, dimension: c.p)
            expectClose(kappa, c.kappa, rtol: 1e-12, "scipy_fit case p=\(c.p)")
        }
    }

    /// 30 independent 40-digit references, p from 2 to 1e5, R̄ from 1e-3 to 0.999: κ̂ to 1e-12
    /// relative (the condition number κA′/A is ≤ ~1e3 here), log C_p(κ̂) to 1e-14·max(1, |log C|).
    @Test func highPrecisionReferences() throws {
        for r in VMFHighPrecision.rows {
            let kappa = try VonMisesFisher.concentration(meanResultantLength: r.rbar, dimension: r.p)
            expectClose(kappa, r.kappa, rtol: 1e-12, "kappa p=\(r.p) rbar=\(r.rbar)")
            let logC = try VonMisesFisher.logNormalizer(dimension: r.p, concentration: r.kappa)
            #expect(abs(logC - r.logC) <= 1e-14 * max(1, abs(r.logC)), "log C p=\(r.p) kappa=\(r.kappa): \(logC) vs \(r.logC)")
        }
    }

    /// The Newton solution satisfies A_p(κ̂) = R̄ to 1e-14 absolute, for p ∈ [2, 1e5] (log-uniform)
    /// and R̄ ∈ [0, 0.9999], and agrees with the bracketing bounds R̄(p−2)/(1−R̄²) ≤ κ̂ ≤ R̄p/(1−R̄²).
    @Test func newtonResidual() async {
        await propertyCheck(count: 60, input: Gen.double(in: log(2)...log(1e5)), Gen.double(in: 0...0.9999)) { logP, rbar in
            let p = max(2, Int(exp(logP).rounded()))
            let kappa = try VonMisesFisher.concentration(meanResultantLength: rbar, dimension: p)
            let a = try VonMisesFisher.meanResultantLength(dimension: p, concentration: kappa)
            #expect(abs(a - rbar) <= 1e-14, "p=\(p) rbar=\(rbar) kappa=\(kappa) residual \(a - rbar)")
            let bound = (1 - rbar) * (1 + rbar)
            #expect(kappa >= rbar * Double(p - 2) / bound * (1 - 1e-14) && kappa <= rbar * Double(p) / bound * (1 + 1e-14))
        }
    }

    /// Limits: κ̂(0) = 0; for small R̄, κ̂ ≈ pR̄ (A_p(κ) = κ/p + O(κ³)); A_p′ equals a central
    /// difference of A_p to 1e-7 relative (h = 1e-4 κ).
    @Test func limitsAndDerivative() throws {
        #expect(try VonMisesFisher.concentration(meanResultantLength: 0, dimension: 7) == 0)
        expectClose(try VonMisesFisher.concentration(meanResultantLength: 1e-9, dimension: 7), 7e-9, rtol: 1e-12)
        #expect(try VonMisesFisher.meanResultantLengthDerivative(dimension: 5, concentration: 0) == 0.2)
        for (p, kappa) in [(2, 0.7), (3, 12.0), (100, 40.0), (2048, 3509.0)] {
            let h = 1e-4 * kappa
            let fd = (try VonMisesFisher.meanResultantLength(dimension: p, concentration: kappa + h)
                - (try VonMisesFisher.meanResultantLength(dimension: p, concentration: kappa - h))) / (2 * h)
            expectClose(try VonMisesFisher.meanResultantLengthDerivative(dimension: p, concentration: kappa), fd, rtol: 1e-7)
        }
    }

    @Test func badInputThrows() {
        for rbar in [1.0, 1.5, -0.1, .nan, .infinity] {
            #expect(throws: VonMisesFisherError.self, "rbar = \(rbar)") {
                try VonMisesFisher.concentration(meanResultantLength: rbar, dimension: 3)
            }
        }
        #expect(throws: VonMisesFisherError.invalidDimension(1)) { try VonMisesFisher.concentration(meanResultantLength: 0.5, dimension: 1) }
        #expect(throws: VonMisesFisherError.invalidConcentration(-1)) { try VonMisesFisher.logNormalizer(dimension: 3, concentration: -1) }
        #expect(throws: VonMisesFisherError.self) { try VonMisesFisher(meanDirection: [0, 0, 0], concentration: 1) }
        #expect(throws: VonMisesFisherError.self) { try VonMisesFisher(meanDirection: [1, .nan], concentration: 1) }
        #expect(throws: VonMisesFisherError.self) { try VonMisesFisher(meanDirection: [1], concentration: 1) }
    }
}

@Suite struct VonMisesFisherDensityTests {
    /// p = 3: C_3(κ) = κ/(4π sinh κ), so log C_3 = log κ − log 2π − κ − log(−expm1(−2κ)), and
    /// −log 4π at κ = 0; to 2e-15·max(1, |log C|), on both sides of the series/Bessel switch.
    @Test func closedFormP3() throws {
        let switchPoint = 2 * (1 + 1.5 / 4).squareRoot()
        for kappa in [0, 1e-300, 1e-8, 0.3, switchPoint.nextDown, switchPoint, switchPoint.nextUp, 5, 40, 700, 1e5] {
            // For tiny κ the closed form itself cancels (log κ − log(2κ)); use log(sinh κ/κ) = κ²/6 + O(κ⁴) there.
            let exact = kappa < 1e-6 ? -log(4 * Double.pi) - kappa * kappa / 6
                : log(kappa) - log(2 * Double.pi) - kappa - log(-expm1(-2 * kappa))
            let got = try VonMisesFisher.logNormalizer(dimension: 3, concentration: kappa)
            #expect(abs(got - exact) <= 2e-15 * max(1, abs(exact)), "kappa=\(kappa): \(got) vs \(exact)")
        }
        // p = 2: C_2(0) = 1/(2π); p large at κ = 0: −log |S^{p−1}| = log Γ(p/2) − log 2 − (p/2) log π.
        expectClose(try VonMisesFisher.logNormalizer(dimension: 2, concentration: 0), -log(2 * Double.pi), rtol: 1e-15)
        expectClose(try VonMisesFisher.logNormalizer(dimension: 32768, concentration: 0),
                    lgamma(16384) - log(2) - 16384 * log(Double.pi), rtol: 1e-14)
    }

    /// Continuity across the series/Bessel switch κ = 2√(1 + p/8) for p ∈ {2, 10, 2048, 1e5}:
    /// the values at the two neighbouring doubles agree to 1e-14·max(1, |log C|).
    @Test func continuityAtSwitch() throws {
        for p in [2, 10, 2048, 100_000] {
            let k = 2 * (1 + (Double(p) / 2) / 4).squareRoot()
            let below = try VonMisesFisher.logNormalizer(dimension: p, concentration: k.nextDown)
            let above = try VonMisesFisher.logNormalizer(dimension: p, concentration: k.nextUp)
            #expect(abs(below - above) <= 1e-14 * max(1, abs(below)), "p=\(p): \(below) vs \(above)")
        }
    }

    /// ∫ f = 1 on the circle (p = 2: ∫₀^{2π} C_2 e^{κ cos θ} dθ), on S² (p = 3: 2π ∫₋₁¹ C_3 e^{κt} dt),
    /// and on S⁴ (p = 5: |S³| ∫₋₁¹ C_5 e^{κt}(1 − t²) dt), by adaptive Gauss–Kronrod to 1e-12 relative;
    /// the integrals equal 1 to 1e-11.
    @Test func densityIntegratesToOne() throws {
        for kappa in [0, 0.5, 5, 60, 600.0] {
            let c2 = try VonMisesFisher.logNormalizer(dimension: 2, concentration: kappa)
            let circle = try Quadrature.integrate({ exp(c2 + kappa * cos($0)) }, from: 0, to: 2 * Double.pi, relativeTolerance: 1e-12).value
            let c3 = try VonMisesFisher.logNormalizer(dimension: 3, concentration: kappa)
            let sphere = try Quadrature.integrate({ 2 * Double.pi * exp(c3 + kappa * $0) }, from: -1, to: 1, relativeTolerance: 1e-12).value
            let c5 = try VonMisesFisher.logNormalizer(dimension: 5, concentration: kappa)
            let s3 = 2 * Double.pi * Double.pi   // |S³| = 2π²
            let sphere4 = try Quadrature.integrate({ s3 * exp(c5 + kappa * $0) * (1 - $0 * $0) }, from: -1, to: 1, relativeTolerance: 1e-12).value
            #expect(abs(circle - 1) <= 1e-11 && abs(sphere - 1) <= 1e-11 && abs(sphere4 - 1) <= 1e-11,
                    "kappa=\(kappa): circle \(circle), S² \(sphere), S⁴ \(sphere4)")
        }
    }

    /// logDensity = log C + κμᵀx for unit x; rows off the sphere are projected first.
    @Test func logDensityAndProjection() throws {
        let d = try VonMisesFisher(meanDirection: [0, 3, 4], concentration: 2)
        expectClose(d.meanDirection.elements, [0, 0.6, 0.8], rtol: 4e-16)
        let x: Vector = [1, 0, 0], y: Vector = [0, 0.6, 0.8]
        expectClose(try d.logDensity(x), d.logNormalizer, rtol: 1e-15)
        expectClose(try d.logDensity(y), d.logNormalizer + 2, rtol: 1e-15)
        expectClose(try d.logDensity(5 * y), d.logNormalizer + 2, rtol: 1e-15)
        let batch = try d.logDensities(Matrix([[1, 0, 0], [0, 3, 4], [0, -0.6, -0.8]]))
        expectClose(batch, [d.logNormalizer, d.logNormalizer + 2, d.logNormalizer - 2], rtol: 1e-15)
        #expect(throws: VonMisesFisherError.zeroRow(1)) { try d.logDensities(Matrix([[1, 0, 0], [0, 0, 0]])) }
        #expect(throws: VonMisesFisherError.nonFiniteData(row: 0, column: 2)) { try d.logDensity([1, 0, .nan]) }
    }
}
