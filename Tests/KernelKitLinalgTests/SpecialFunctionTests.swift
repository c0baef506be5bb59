import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing

private typealias SF = SpecialFunctions

/// True when `body` throws a `LinalgError.domain`.
private func throwsDomain(_ body: () throws -> Double) -> Bool {
    do { _ = try body(); return false } catch LinalgError.domain { return true } catch { return false }
}

/// The GSL status carried by a thrown `LinalgError.library`, or nil.
private func libraryStatus(_ body: () throws -> Double) -> Int? {
    do { _ = try body(); return nil } catch let LinalgError.library(_, _, status, _) { return status } catch { return nil }
}

@Suite("Special functions")
struct SpecialFunctionTests {
    // Reference values: closed forms (DLMF 5.4.6, 5.4.12, 5.4.13) evaluated in double precision,
    // and tabulated values (Abramowitz & Stegun Table 7.1 for erf, 9.8 for I₀) to 16 digits.
    // Gamma family: rtol 2e-15 (≈ 9 ulp; GSL documents errors of a few ulp; measured ≤ 7e-16 relative).
    @Test("gamma family at closed-form points")
    func gammaValues() throws {
        let eulerGamma = 0.57721566490153286061
        expectClose(try SF.logGamma(0.5), 0.5 * Foundation.log(Double.pi), rtol: 2e-15)  // Γ(1/2) = √π
        expectClose(try SF.logGamma(1), 0, rtol: 0, atol: 1e-16)
        expectClose(try SF.logGamma(2), 0, rtol: 0, atol: 1e-16)
        expectClose(try SF.logGamma(11), Foundation.log(3_628_800), rtol: 2e-15)  // Γ(11) = 10!
        expectClose(try SF.logGamma(-0.5), Foundation.log(2 * Double.pi.squareRoot()), rtol: 2e-15)  // |Γ(−1/2)| = 2√π
        expectClose(try SF.digamma(1), -eulerGamma, rtol: 2e-15)
        expectClose(try SF.digamma(0.5), -eulerGamma - 2 * Foundation.log(2), rtol: 2e-15)
    }

    @Test("recurrences Γ(x+1) = xΓ(x) and ψ(x+1) = ψ(x) + 1/x (property)")
    func gammaRecurrences() async {
        await propertyCheck(input: Gen.double(in: 0.05...60)) { x in
            // Both sides are computed independently by GSL; agreement to ~1e-13 absolute on O(1–200) values.
            expectClose(try! SF.logGamma(x + 1), try! SF.logGamma(x) + Foundation.log(x), rtol: 1e-14, atol: 1e-14)
            expectClose(try! SF.digamma(x + 1), try! SF.digamma(x) + 1 / x, rtol: 1e-14, atol: 1e-14)
        }
    }

    @Test("poles and overflow of the gamma family throw")
    func gammaErrors() {
        for pole in [0.0, -1, -2, -3, -50] {
            #expect(throwsDomain { try SF.logGamma(pole) }, "logGamma(\(pole))")
            #expect(throwsDomain { try SF.digamma(pole) }, "digamma(\(pole))")
        }
        #expect(throwsDomain { try SF.logGamma(.nan) })
        #expect(throwsDomain { try SF.logGamma(.infinity) })
        #expect(libraryStatus { try SF.logGamma(1e307) } == 16)  // GSL_EOVRFLW
    }

    @Test("error functions at tabulated values and their identities")
    func errorFunctions() throws {
        expectClose(try SF.erf(1), 0.84270079294971486934, rtol: 4e-16)
        expectClose(try SF.erfc(1), 0.15729920705028513066, rtol: 1e-15)
        expectClose(try SF.erf(-0.5), -0.52049987781304653768, rtol: 4e-16)
        expectClose(try SF.erfc(10), 2.0884875837625447570e-45, rtol: 1e-14)
        expectClose(try SF.logErfc(10), Foundation.log(2.0884875837625447570e-45), rtol: 1e-14)
        // Far tail: log erfc(x) = −x² − log(x√π) + log(1 − 1/(2x²) + 3/(4x⁴) − …); at x = 100 the
        // truncated series is accurate to 2e-12 absolute (next term 15/(8x⁶)).
        let x = 100.0
        let asymptotic = -x * x - Foundation.log(x * Double.pi.squareRoot()) + Foundation.log(1 - 1 / (2 * x * x) + 3 / (4 * x * x * x * x))
        expectClose(try SF.logErfc(x), asymptotic, rtol: 0, atol: 1e-11)
        #expect(try SF.erfc(30) == 0)  // correctly rounded: erfc(30) ≈ 2.6e-393
    }

    @Test("erf(x) + erfc(x) = 1 and erf is odd (property)")
    func erfIdentities() async {
        await propertyCheck(input: Gen.double(in: -6...6)) { x in
            expectClose(try! SF.erf(x) + SF.erfc(x), 1, rtol: 1e-15, atol: 0)  // 1 ulp each plus the sum's rounding
            // GSL's erf is not exactly odd (erf(−1) and −erf(1) differ in the last bit): 1e-15 relative.
            expectClose(try! SF.erf(-x), -(try! SF.erf(x)), rtol: 1e-15)
        }
    }

    @Test("half-integer Bessel functions in closed form (DLMF 10.16.1, 10.39.2)")
    func halfOrderBessel() async {
        await propertyCheck(input: Gen.double(in: 0.05...30)) { x in
            let s = (2 / (Double.pi * x)).squareRoot()
            // J_{1/2}(x) = √(2/(πx)) sin x: absolute tolerance because sin x has zeros.
            expectClose(try! SF.besselJ(order: 0.5, x), s * Foundation.sin(x), rtol: 0, atol: 1e-14 * s)
            expectClose(try! SF.besselI(order: 0.5, x), s * Foundation.sinh(x), rtol: 1e-13)
            expectClose(try! SF.besselIScaled(order: 0.5, x), s * (1 - Foundation.exp(-2 * x)) / 2, rtol: 1e-13)
            let k = (Double.pi / (2 * x)).squareRoot()
            expectClose(try! SF.besselK(order: 0.5, x), k * Foundation.exp(-x), rtol: 1e-13)
            expectClose(try! SF.besselKScaled(order: 0.5, x), k, rtol: 1e-13)
            expectClose(try! SF.logBesselK(order: 0.5, x), Foundation.log(k) - x, rtol: 1e-14, atol: 1e-14)
        }
    }

    @Test("Wronskian I_ν K_{ν+1} + I_{ν+1} K_ν = 1/x (DLMF 10.28.2), unscaled and scaled (property)")
    func wronskian() async {
        await propertyCheck(input: Gen.double(in: 0...6), Gen.double(in: 0.1...25)) { nu, x in
            let w = try! SF.besselI(order: nu, x) * SF.besselK(order: nu + 1, x)
                + SF.besselI(order: nu + 1, x) * SF.besselK(order: nu, x)
            expectClose(w, 1 / x, rtol: 1e-12, "ν = \(nu), x = \(x)")
        }
        // Scaled functions stay finite for large x, where the unscaled ones over/underflow.
        await propertyCheck(input: Gen.double(in: 0...6), Gen.double(in: 25...2000)) { nu, x in
            let w = try! SF.besselIScaled(order: nu, x) * SF.besselKScaled(order: nu + 1, x)
                + SF.besselIScaled(order: nu + 1, x) * SF.besselKScaled(order: nu, x)
            expectClose(w, 1 / x, rtol: 1e-12, "ν = \(nu), x = \(x)")
        }
    }

    @Test("tabulated Bessel values: I₀(1) (A&S 9.8), K₀(1), J₀(1)")
    func tabulated() throws {
        expectClose(try SF.besselI(order: 0, 1), 1.2660658777520083356, rtol: 1e-15)
        expectClose(try SF.besselK(order: 0, 1), 0.42102443824070833334, rtol: 1e-15)
        expectClose(try SF.besselJ(order: 0, 1), 0.76519768655796655145, rtol: 1e-15)
    }

    @Test("Bessel domain, overflow and underflow errors are thrown, with the log/scaled variants finite there")
    func besselErrors() throws {
        #expect(throwsDomain { try SF.besselK(order: 1, 0) })
        #expect(throwsDomain { try SF.besselK(order: 1, -1) })
        #expect(throwsDomain { try SF.besselK(order: -1, 1) })
        #expect(throwsDomain { try SF.besselI(order: 0.5, -1) })
        #expect(throwsDomain { try SF.logBesselK(order: 1, 0) })
        #expect(libraryStatus { try SF.besselK(order: 0, 800) } == 15)  // GSL_EUNDRFLW
        #expect(libraryStatus { try SF.besselK(order: 200, 1e-3) } == 16)  // GSL_EOVRFLW
        #expect(libraryStatus { try SF.besselI(order: 0, 800) } == 16)  // non-finite value reported as overflow
        // K_ν(x) ~ √(π/(2x)) e^{−x} (1 + (4ν²−1)/(8x)): at ν = 0, x = 800 the next term is 1.4e-10 relative.
        let x = 800.0
        expectClose(try SF.besselKScaled(order: 0, x), (Double.pi / (2 * x)).squareRoot() * (1 - 1 / (8 * x) + 9 / (128 * x * x)),
                    rtol: 2e-10)
        // K_ν(x) ~ Γ(ν) 2^{ν−1} x^{−ν} as x → 0; at ν = 50, x = 1e-3 the correction is O(x²/ν) ≈ 2e-8 relative.
        let small = try SF.logGamma(50) + 49 * Foundation.log(2) - 50 * Foundation.log(1e-3)
        expectClose(try SF.logBesselK(order: 50, 1e-3), small, rtol: 1e-9)
    }
}
