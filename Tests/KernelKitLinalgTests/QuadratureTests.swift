import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing

/// (k − 1)!! = E[Z^k] for even k (1 for k = 0).
private func doubleFactorial(_ k: Int) -> Double { k <= 1 ? 1 : Double(k) * doubleFactorial(k - 2) }
private func factorial(_ m: Int) -> Double { (1...max(1, m)).reduce(1.0) { $0 * Double($1) } }
private func momentNormal(_ k: Int) -> Double { k % 2 == 1 ? 0 : doubleFactorial(k - 1) }

@Suite("Quadrature")
struct QuadratureTests {
    @Test("Gauss–Hermite (probabilists') is exact for E[Z^k], k ≤ 2m−1, and misses E[Z^{2m}] by exactly m!",
          arguments: [1, 2, 3, 5, 8, 13, 20])
    func hermiteProbabilists(m: Int) throws {
        let rule = try Quadrature.gaussHermiteProbabilists(order: m)
        #expect(rule.order == m)
        #expect(rule.weights.allSatisfy { $0 > 0 })
        #expect(zip(rule.nodes, rule.nodes.dropFirst()).allSatisfy { $0 < $1 })
        for k in 0...(2 * m - 1) {
            let q = rule.integrate { Foundation.pow($0, Double(k)) }
            // Round-off of the rule (nodes/weights ~1e-15 relative, amplified k-fold by x^k) scaled by Σ w|x|^k.
            let scale = rule.integrate { Foundation.pow(abs($0), Double(k)) }
            expectClose(q, momentNormal(k), rtol: 0, atol: 1e-13 * Double(k + 1) * scale, "m = \(m), k = \(k)")
        }
        // Degree 2m: the remainder is ‖He_m‖² = m!, far outside the round-off tolerance above.
        let q = rule.integrate { Foundation.pow($0, Double(2 * m)) }
        expectClose(q, momentNormal(2 * m) - factorial(m), rtol: 1e-12, "m = \(m)")
        #expect(abs(q - momentNormal(2 * m)) > 0.5)
    }

    @Test("Gauss–Hermite (physicists'): ∫ e^{−x²} x^{2j} dx = Γ(j + 1/2), odd moments 0", arguments: [1, 4, 10, 16])
    func hermitePhysicists(m: Int) throws {
        let rule = try Quadrature.gaussHermitePhysicists(order: m)
        for k in 0...(2 * m - 1) {
            let exact = k % 2 == 1 ? 0 : Foundation.tgamma(Double(k) / 2 + 0.5)
            let scale = rule.integrate { Foundation.pow(abs($0), Double(k)) }
            expectClose(rule.integrate { Foundation.pow($0, Double(k)) }, exact, rtol: 0,
                        atol: 1e-13 * Double(k + 1) * scale, "m = \(m), k = \(k)")
        }
        // E[f(Z)] with the probabilists' rule equals (1/√π)∫e^{−x²} f(√2 x) with the physicists' rule.
        let f: (Double) -> Double = { Foundation.cos($0) + $0 * $0 * $0 }
        let probabilists = try Quadrature.gaussHermiteProbabilists(order: m).integrate(f)
        expectClose(probabilists, rule.integrate { f(2.0.squareRoot() * $0) } / Double.pi.squareRoot(), rtol: 1e-14, atol: 1e-15)
    }

    @Test("Gaussian expectation of a smooth function converges: E[cos Z] = e^{−1/2}")
    func hermiteSmooth() throws {
        // The error decays like 1/(2m)!; with 20 nodes it is below double precision.
        let q = try Quadrature.gaussHermiteProbabilists(order: 20).integrate { Foundation.cos($0) }
        expectClose(q, Foundation.exp(-0.5), rtol: 1e-14)
    }

    @Test("Gauss–Legendre is exact for ∫ x^k, k ≤ 2m−1, on [−1, 1] and [0, 2]; the x^{2m} remainder is the closed form",
          arguments: [1, 2, 3, 6, 11, 24])
    func legendre(m: Int) throws {
        for (a, b) in [(-1.0, 1.0), (0.0, 2.0)] {
            let rule = try Quadrature.gaussLegendre(order: m, from: a, to: b)
            expectClose(rule.weights.reduce(0, +), b - a, rtol: 1e-14)
            for k in 0...(2 * m - 1) {
                let exact = (Foundation.pow(b, Double(k + 1)) - Foundation.pow(a, Double(k + 1))) / Double(k + 1)
                let scale = rule.integrate { Foundation.pow(abs($0), Double(k)) }
                expectClose(rule.integrate { Foundation.pow($0, Double(k)) }, exact, rtol: 0,
                            atol: 1e-14 * Double(k + 1) * scale, "m = \(m), k = \(k), [\(a), \(b)]")
            }
        }
        // ∫_{−1}^{1} x^{2m} − Q = ∫ P̃_m² = 2^{2m+1}(m!)⁴ / ((2m+1)((2m)!)²), P̃_m the monic Legendre polynomial.
        let rule = try Quadrature.gaussLegendre(order: m)
        let remainder = Foundation.pow(2, Double(2 * m + 1)) * Foundation.pow(factorial(m), 4)
            / (Double(2 * m + 1) * factorial(2 * m) * factorial(2 * m))
        let q = rule.integrate { Foundation.pow($0, Double(2 * m)) }
        // The difference of two O(1/m) numbers carries ~1e-16 absolute round-off: for small m (remainder
        // ≫ 1e-16) this pins the remainder to 1e-9 relative; for m ≳ 10 the remainder itself is below
        // round-off and the check reduces to |∫x^{2m} − Q| ≤ 4e-16.
        expectClose(2 / Double(2 * m + 1) - q, remainder, rtol: 1e-9, atol: 4e-16, "m = \(m)")
    }

    @Test("adaptive integration: ∫₀^∞ e^{−x} x^a dx = Γ(a + 1)", arguments: [-0.5, 0.5, 1, 2.5, 7])
    func gammaIntegral(a: Double) throws {
        let estimate = try Quadrature.integrate({ Foundation.exp(-$0) * Foundation.pow($0, a) }, from: 0, to: .infinity)
        let exact = Foundation.exp(try SpecialFunctions.logGamma(a + 1))
        expectClose(estimate.value, exact, rtol: 1e-9, "a = \(a)")  // requested relative tolerance 1e-10
        #expect(estimate.absoluteError <= 1e-9 * exact)
    }

    @Test("adaptive integration on finite, infinite, reversed and singular ranges")
    func ranges() throws {
        let gaussian: (Double) -> Double = { Foundation.exp(-0.5 * $0 * $0) }
        expectClose(try Quadrature.integrate(gaussian, from: -.infinity, to: .infinity).value, (2 * Double.pi).squareRoot(), rtol: 1e-10)
        expectClose(try Quadrature.integrate({ Foundation.exp($0) }, from: -.infinity, to: 0).value, 1, rtol: 1e-10)
        expectClose(try Quadrature.integrate({ 1 / $0.squareRoot() }, from: 0, to: 1).value, 2, rtol: 1e-10)  // endpoint singularity
        expectClose(try Quadrature.integrate({ Foundation.sin($0) }, from: Double.pi, to: 0).value, -2, rtol: 1e-10)
        #expect(try Quadrature.integrate({ $0 }, from: 3, to: 3).value == 0)
    }

    @Test("Student-t density as a Gaussian scale mixture over a Gamma precision (Lee et al. 2022 prior)")
    func studentTMixture() throws {
        // t_ν(x) = ∫₀^∞ N(x; 0, 1/λ) Gamma(λ; ν/2, rate ν/2) dλ.
        let nu = 3.0, x = 1.3
        let shape = nu / 2, rate = nu / 2
        let logNormaliser = shape * Foundation.log(rate) - (try SpecialFunctions.logGamma(shape))
        let mixture = try Quadrature.integrate({ lambda in
            let logGammaDensity = logNormaliser + (shape - 1) * Foundation.log(lambda) - rate * lambda
            let logNormal = 0.5 * Foundation.log(lambda / (2 * Double.pi)) - 0.5 * lambda * x * x
            return Foundation.exp(logGammaDensity + logNormal)
        }, from: 0, to: .infinity).value
        let logT = (try SpecialFunctions.logGamma((nu + 1) / 2)) - (try SpecialFunctions.logGamma(nu / 2))
            - 0.5 * Foundation.log(nu * Double.pi) - (nu + 1) / 2 * Foundation.log(1 + x * x / nu)
        expectClose(mixture, Foundation.exp(logT), rtol: 1e-9)
    }

    @Test("failures throw: a divergent integral, a throwing integrand, a NaN integrand")
    func failures() {
        #expect(throws: LinalgError.self) { try Quadrature.integrate({ 1 / $0 }, from: 0, to: 1) }
        #expect(throws: LinalgError.self) { try Quadrature.integrate({ _ in 1 }, from: 0, to: .infinity) }
        struct Boom: Error {}
        var calls = 0
        #expect(throws: Boom.self) {
            try Quadrature.integrate({ x in
                calls += 1
                if x > 0.5 { throw Boom() }
                return x
            }, from: 0, to: 1)
        }
        let callsAtFirstThrow = calls
        #expect(callsAtFirstThrow > 0)
        #expect {
            try Quadrature.integrate({ $0 > 0.3 ? .nan : 1 }, from: 0, to: 1)
        } throws: { error in
            if case LinalgError.nonFinite? = error as? LinalgError { return true }
            return false
        }
    }
}
