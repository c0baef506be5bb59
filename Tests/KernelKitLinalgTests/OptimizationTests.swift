import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing

// MARK: - Test objectives

/// Chained Rosenbrock f(x) = Σ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²; global minimum f = 0 at x = 1.
private func rosenbrock(_ x: [Double]) -> (value: Double, gradient: [Double]) {
    var f = 0.0
    var g = [Double](repeating: 0, count: x.count)
    for i in 0..<(x.count - 1) {
        let a = x[i + 1] - x[i] * x[i]
        let b = 1 - x[i]
        f += 100 * a * a + b * b
        g[i] += -400 * x[i] * a - 2 * b
        g[i + 1] += 200 * a
    }
    return (f, g)
}

/// f(x) = ½ xᵀA x − bᵀx with gradient A x − b.
private func quadratic(_ a: Matrix, _ b: [Double]) -> ([Double]) -> (value: Double, gradient: [Double]) {
    { x in
        let ax = (a * Vector(x)).elements
        var f = 0.0
        var g = ax
        for i in x.indices {
            f += 0.5 * x[i] * ax[i] - b[i] * x[i]
            g[i] -= b[i]
        }
        return (f, g)
    }
}

/// ‖P(x − g) − x‖∞ for the box [l, u].
private func projectedGradient(_ x: [Double], _ g: [Double], _ l: [Double], _ u: [Double]) -> Double {
    x.indices.map { abs(min(max(x[$0] - g[$0], l[$0]), u[$0]) - x[$0]) }.max() ?? 0
}

/// Brute-force minimiser of ½xᵀAx − bᵀx over a box for small n: for every assignment of each
/// coordinate to {lower, upper, free}, solve the reduced system for the free coordinates
/// (A_FF x_F = b_F − A_FB x_B) and keep the feasible candidate with the lowest value. For SPD A the
/// minimiser is unique and is one of these candidates. O(3ⁿ n³).
private func bruteForceBoxQP(_ a: Matrix, _ b: [Double], _ l: [Double], _ u: [Double]) throws -> [Double] {
    let n = b.count
    var best: [Double] = []
    var bestValue = Double.infinity
    var total = 1
    for _ in 0..<n { total *= 3 }
    for code in 0..<total {
        var state = [Int](repeating: 0, count: n)  // 0 free, 1 lower, 2 upper
        var c = code
        for i in 0..<n { state[i] = c % 3; c /= 3 }
        if (0..<n).contains(where: { (state[$0] == 1 && !l[$0].isFinite) || (state[$0] == 2 && !u[$0].isFinite) }) { continue }
        var x = [Double](repeating: 0, count: n)
        for i in 0..<n where state[i] != 0 { x[i] = state[i] == 1 ? l[i] : u[i] }
        let free = (0..<n).filter { state[$0] == 0 }
        if !free.isEmpty {
            let aff = Matrix(rows: free.count, columns: free.count) { i, j in a[free[i], free[j]] }
            var rhs = Vector(free.map { b[$0] })
            for (fi, i) in free.enumerated() {
                for j in 0..<n where state[j] != 0 { rhs[fi] -= a[i, j] * x[j] }
            }
            let xf = try Cholesky(aff, jitter: .none).solve(rhs)
            for (fi, i) in free.enumerated() { x[i] = xf[fi] }
        }
        guard (0..<n).allSatisfy({ x[$0] >= l[$0] - 1e-14 && x[$0] <= u[$0] + 1e-14 }) else { continue }
        let value = quadratic(a, b)(x).value
        if value < bestValue {
            bestValue = value
            best = x
        }
    }
    return best
}

private struct ObjectiveFailure: Error, Equatable {}

// MARK: - L-BFGS

@Suite("L-BFGS")
struct LBFGSTests {
    @Test("2-D Rosenbrock from (−1.2, 1) reaches (1, 1)")
    func rosenbrock2D() throws {
        // Tight gradient criterion, no value criterion: near x* the Hessian's smallest eigenvalue is
        // ≈ 0.40, so ‖g‖∞ ≤ 1e-10 bounds ‖x − x*‖ by ≈ 2.5e-10·√2; 1e-8 leaves a safety factor.
        let r = try LBFGS(gradientTolerance: 1e-10, relativeValueTolerance: 0).minimize(from: [-1.2, 1], rosenbrock)
        #expect(r.converged, "\(r.message)")
        expectClose(r.x, [1, 1], rtol: 0, atol: 1e-8)
        #expect(r.value <= 1e-16)
        #expect(r.iterations < 100, "took \(r.iterations) iterations")
        // The reported value and gradient belong to the reported point.
        expectClose([r.value] + r.gradient, [rosenbrock(r.x).value] + rosenbrock(r.x).gradient, rtol: 0, atol: 0)
    }

    @Test("2-D Rosenbrock with default tolerances stops near (1, 1)")
    func rosenbrockDefaults() throws {
        // Defaults: gradient 1e-6 or relative reduction 1e-12 (absolute here, |f| < 1). Either bounds the
        // error: ‖g‖ ≤ 1e-6 → ‖x − x*‖ ≲ 2.5e-6·√2, and a stalled decrease ≤ 1e-12 along a quasi-Newton
        // step leaves f − f* of the same order, ‖x − x*‖ ≲ √(2e-12/0.4) ≈ 2e-6. Tolerance 1e-4.
        let r = try LBFGS().minimize(from: [-1.2, 1], rosenbrock)
        #expect(r.converged, "\(r.message)")
        expectClose(r.x, [1, 1], rtol: 0, atol: 1e-4)
    }

    @Test("10-D chained Rosenbrock reaches the all-ones minimum")
    func rosenbrock10D() throws {
        let x0 = (0..<10).map { $0 % 2 == 0 ? -1.2 : 1.0 }
        let r = try LBFGS(maxIterations: 2000, gradientTolerance: 1e-10, relativeValueTolerance: 0)
            .minimize(from: x0, rosenbrock)
        #expect(r.converged, "\(r.message)")
        // Smallest Hessian eigenvalue at x* is ≈ 0.0017 for n = 10 (errors ≲ 1e-10/0.0017·√10 ≈ 2e-7).
        expectClose(r.x, [Double](repeating: 1, count: 10), rtol: 0, atol: 1e-6)
    }

    @Test("convex quadratic: solution of A x = b", arguments: [1, 5, 30])
    func convexQuadratic(n: Int) throws {
        var rng = TestRNG(seed: 7 + UInt64(n))
        let a = randomSPDMatrix(n, using: &rng)  // condition number O(10)
        let b = (0..<n).map { _ in standardNormal(using: &rng) }
        let exact = try Cholesky(a).solve(Vector(b)).elements
        let r = try LBFGS(gradientTolerance: 1e-10, relativeValueTolerance: 0).minimize(from: [Double](repeating: 0, count: n), quadratic(a, b))
        #expect(r.converged, "\(r.message)")
        // ‖x − x*‖ ≤ ‖g‖/λ_min with λ_min ≥ n (A = GGᵀ + nI): ≤ 1e-10·√n/n.
        expectClose(r.x, exact, rtol: 0, atol: 1e-10)
    }

    @Test("unconstrained minimum outside the box: diagonal Hessian gives the clipped minimiser")
    func boundedDiagonal() throws {
        // f = ½ Σ dᵢ (xᵢ − cᵢ)²; the box minimiser is clip(c, l, u) coordinatewise.
        let d = [1.0, 4, 0.25, 9, 2, 1]
        let c = [3.0, -2, 0.5, 5, -7, 0.3]
        let l: [Double] = [-1, -1, -1, -.infinity, -3, 0]
        let u: [Double] = [1, 1, 1, 2, .infinity, .infinity]
        let r = try LBFGS().minimize(from: [0, 0, 0, 0, 0, 0.9], lower: l, upper: u) { x in
            var f = 0.0
            var g = x
            for i in x.indices {
                f += 0.5 * d[i] * (x[i] - c[i]) * (x[i] - c[i])
                g[i] = d[i] * (x[i] - c[i])
            }
            return (f, g)
        }
        #expect(r.converged, "\(r.message)")
        let clipped = c.indices.map { min(max(c[$0], l[$0]), u[$0]) }
        // Active coordinates land exactly on their bounds; the free ones (0.5, 0.3) within the
        // gradient tolerance 1e-6 / dᵢ.
        expectClose(r.x, clipped, rtol: 0, atol: 4e-6)
        #expect(r.x[0] == 1 && r.x[1] == -1 && r.x[3] == 2 && r.x[4] == -3)
        #expect(projectedGradient(r.x, r.gradient, l, u) <= 1e-6)
    }

    @Test("Rosenbrock with x₁ ≤ 0.5 stops on the boundary at (0.5, 0.25)")
    func rosenbrockOnBoundary() throws {
        // On x₁ = 0.5 the minimum over x₂ is x₂ = x₁² = 0.25, where ∂f/∂x₁ = −2(1 − 0.5) = −1 < 0:
        // the upper bound is active with a positive multiplier (KKT), and f = 0.25.
        let l: [Double] = [-2, -2], u: [Double] = [0.5, 2]
        let r = try LBFGS(gradientTolerance: 1e-10, relativeValueTolerance: 0).minimize(from: [-1.2, 1], lower: l, upper: u, rosenbrock)
        #expect(r.converged, "\(r.message)")
        #expect(r.x[0] == 0.5)
        // ∂²f/∂x₂² = 200, so |x₂ − 0.25| ≤ 1e-10/200.
        expectClose(r.x[1], 0.25, rtol: 0, atol: 1e-12)
        expectClose(r.value, 0.25, rtol: 1e-12)
        expectClose(r.gradient[0], -1, rtol: 1e-9)
        #expect(projectedGradient(r.x, r.gradient, l, u) <= 1e-10)
    }

    @Test("property: for any separable quadratic and box, the minimiser is clip(c, l, u)")
    func boundedDiagonalProperty() async {
        await propertyCheck(input: Gen.double(in: -5...5).array(of: 1...12), Gen.int(in: 0...1_000_000)) { c, seed in
            var rng = TestRNG(seed: UInt64(seed))
            let n = c.count
            let d = (0..<n).map { _ in Double.random(in: 0.01...100, using: &rng) }
            // Each bound is finite or infinite at random; finite boxes [l, l + width].
            var l = [Double](repeating: -.infinity, count: n), u = [Double](repeating: .infinity, count: n)
            for i in 0..<n {
                let lo = Double.random(in: -3...3, using: &rng)
                if Bool.random(using: &rng) { l[i] = lo }
                if Bool.random(using: &rng) { u[i] = lo + Double.random(in: 0...2, using: &rng) }
            }
            let x0 = (0..<n).map { i in min(max(Double.random(in: -4...4, using: &rng), l[i]), u[i]) }
            let r = try! LBFGS(gradientTolerance: 1e-9, relativeValueTolerance: 0).minimize(from: x0, lower: l, upper: u) { x in
                var f = 0.0
                var g = x
                for i in x.indices {
                    f += 0.5 * d[i] * (x[i] - c[i]) * (x[i] - c[i])
                    g[i] = d[i] * (x[i] - c[i])
                }
                return (f, g)
            }
            #expect(r.converged, "\(r.message)")
            // Free coordinates: |xᵢ − cᵢ| ≤ ‖pg‖∞/dᵢ ≤ 1e-9/0.01; active ones are exactly on the bound.
            expectClose(r.x, c.indices.map { min(max(c[$0], l[$0]), u[$0]) }, rtol: 0, atol: 1e-7)
        }
    }

    @Test("non-diagonal quadratic with mixed active and inactive bounds matches brute-force KKT", arguments: [1, 2, 3, 4])
    func boundedNonDiagonal(seed: UInt64) throws {
        var rng = TestRNG(seed: 100 + seed)
        let n = 5
        let g = randomGaussianMatrix(rows: n, columns: n, using: &rng)
        var a = BLAS.gram(g)
        a.addToDiagonal(0.5)  // SPD, condition number up to O(100)
        let b = (0..<n).map { _ in 3 * standardNormal(using: &rng) }
        let l: [Double] = [-1, -0.5, -.infinity, -1, 0]
        let u: [Double] = [1, 0.5, 0.5, .infinity, 2]
        let exact = try bruteForceBoxQP(a, b, l, u)
        let r = try LBFGS(gradientTolerance: 1e-10, relativeValueTolerance: 0)
            .minimize(from: [Double](repeating: 0, count: n), lower: l, upper: u, quadratic(a, b))
        #expect(r.converged, "\(r.message)")
        // Strong convexity λ_min ≥ 0.5: the projected-gradient residual 1e-10 bounds the error by ~2e-10.
        expectClose(r.x, exact, rtol: 0, atol: 1e-8)
        #expect(projectedGradient(r.x, r.gradient, l, u) <= 1e-10)
        // KKT sign conditions at the result: g ≥ 0 at a lower bound, ≤ 0 at an upper bound.
        for i in 0..<n {
            if r.x[i] == l[i] { #expect(r.gradient[i] >= -1e-10) }
            if r.x[i] == u[i] { #expect(r.gradient[i] <= 1e-10) }
        }
        // The case is non-trivial: some bound is active.
        let someActive = (0..<n).contains { i in exact[i] == l[i] || exact[i] == u[i] }
        #expect(someActive)
    }

    @Test("an objective that is NaN for x ≥ 1 is handled by backtracking")
    func nanRegionBacktracks() throws {
        // f(x) = Σ −log(1 − xᵢ) − 4xᵢ, minimiser xᵢ = 3/4; NaN where any xᵢ ≥ 1. From x0 = (0.5, 0.6),
        // −g = (2, 1.5) and the first trial step (unit length, L-BFGS-B's choice) lands at (1.3, 1.2).
        var nanCalls = 0
        let r = try LBFGS(gradientTolerance: 1e-10, relativeValueTolerance: 0).minimize(from: [0.5, 0.6]) { x in
            if x.contains(where: { $0 >= 1 }) {
                nanCalls += 1
                return (.nan, [.nan, .nan])
            }
            let f = x.reduce(0) { $0 - _logOpt(1 - $1) - 4 * $1 }
            return (f, x.map { 1 / (1 - $0) - 4 })
        }
        #expect(nanCalls > 0, "the test must exercise a NaN trial point")
        #expect(r.converged, "\(r.message)")
        #expect(r.value.isFinite)
        // f'' = 1/(1 − x)² = 16 at the minimiser: |x − 3/4| ≤ 1e-10/16.
        expectClose(r.x, [0.75, 0.75], rtol: 0, atol: 1e-10)
    }

    @Test("a non-convex double well: curvature pairs with yᵀs ≤ 0 are skipped and each coordinate reaches its well")
    func nonConvexDoubleWell() throws {
        // f = Σ xᵢ⁴/4 − xᵢ²/2 has minima at xᵢ = ±1 (f'' = 2 there) and negative curvature for |xᵢ| < 1/√3,
        // where the start lies; descent keeps each coordinate on its side of 0.
        let r = try LBFGS(gradientTolerance: 1e-10, relativeValueTolerance: 0).minimize(from: [0.1, -0.2, 0.05]) { x in
            (x.reduce(0) { $0 + $1 * $1 * $1 * $1 / 4 - $1 * $1 / 2 }, x.map { $0 * $0 * $0 - $0 })
        }
        #expect(r.converged, "\(r.message)")
        expectClose(r.x, [1, -1, 1], rtol: 0, atol: 1e-10)
    }

    @Test("a gradient inconsistent with the value makes the line search fail: reported, not thrown")
    func inconsistentGradientReported() throws {
        // The "gradient" has the wrong sign, so every search direction is uphill.
        let r = try LBFGS().minimize(from: [1, 2]) { x in (x[0] * x[0] + x[1] * x[1], [-2 * x[0], -2 * x[1]]) }
        #expect(!r.converged)
        #expect(r.message.contains("line search"))
        #expect(r.x == [1, 2] && r.value == 5 && r.iterations == 0)
    }

    @Test("a non-finite value at x0 throws")
    func nonFiniteStartThrows() {
        #expect(throws: LinalgError.nonFinite(what: "the objective's value or gradient at the starting point x0")) {
            try LBFGS().minimize(from: [2]) { x in (_logOpt(1 - x[0]), [-1 / (1 - x[0])]) }
        }
        #expect(throws: LinalgError.nonFinite(what: "the starting point x0")) {
            try LBFGS().minimize(from: [.nan]) { x in (x[0] * x[0], [2 * x[0]]) }
        }
    }

    @Test("errors thrown by the objective propagate unchanged")
    func errorsPropagate() {
        var calls = 0
        #expect(throws: ObjectiveFailure()) {
            try LBFGS().minimize(from: [-1.2, 1]) { x in
                calls += 1
                if calls == 3 { throw ObjectiveFailure() }
                return rosenbrock(x)
            }
        }
    }

    @Test("invalid bounds throw LinalgError.domain")
    func invalidBounds() {
        #expect(throws: LinalgError.self) {
            try LBFGS().minimize(from: [0], lower: [1], upper: [0]) { x in (x[0] * x[0], [2 * x[0]]) }
        }
        #expect(throws: LinalgError.self) {
            try LBFGS().minimize(from: [0], lower: [.nan]) { x in (x[0] * x[0], [2 * x[0]]) }
        }
    }

    @Test("hitting maxIterations returns converged == false with the last iterate")
    func maxIterationsReported() throws {
        let r = try LBFGS(maxIterations: 3).minimize(from: [-1.2, 1], rosenbrock)
        #expect(!r.converged)
        #expect(r.iterations == 3)
        #expect(r.message.contains("maxIterations"))
        #expect(r.value < rosenbrock([-1.2, 1]).value)
        #expect(r.value == rosenbrock(r.x).value)
    }

    @Test("a start outside the box is projected onto it; a start at the optimum stops at once")
    func startHandling() throws {
        let r = try LBFGS().minimize(from: [5], lower: [-1], upper: [2]) { x in ((x[0] - 3) * (x[0] - 3), [2 * (x[0] - 3)]) }
        #expect(r.x == [2])
        #expect(r.converged)
        let s = try LBFGS().minimize(from: [1, 1], rosenbrock)
        #expect(s.converged && s.iterations == 0 && s.evaluations == 1)
    }
}

// MARK: - Adam

/// f(x) = ½ Σ dᵢ (xᵢ − cᵢ)², minimiser c, gradient dᵢ(xᵢ − cᵢ).
private func separableQuadratic(_ d: [Double], _ c: [Double]) -> ([Double]) -> (value: Double, gradient: [Double]) {
    { x in
        var f = 0.0
        var g = x
        for i in x.indices {
            f += 0.5 * d[i] * (x[i] - c[i]) * (x[i] - c[i])
            g[i] = d[i] * (x[i] - c[i])
        }
        return (f, g)
    }
}

@Suite("Adam")
struct AdamTests {
    @Test("converges to the minimiser of an ill-scaled convex quadratic")
    func convexQuadratic() throws {
        let d = [1.0, 10, 0.3], c = [1.0, -2, 0.5]
        let r = try Adam(learningRate: 0.01, maxIterations: 5000, gradientTolerance: 1e-9)
            .minimize(from: [0, 0, 0], separableQuadratic(d, c))
        #expect(r.converged, "\(r.message)")
        // ‖g‖∞ ≤ 1e-9 and the smallest curvature 0.3 give |xᵢ − cᵢ| ≤ 1e-9/0.3.
        expectClose(r.x, c, rtol: 0, atol: 3.4e-9)
        #expect(r.evaluations == r.iterations + 1)
    }

    @Test("the first step moves each coordinate by η·g/(|g| + ε) (bias correction makes m̂ = g, v̂ = g²)")
    func firstStepClosedForm() throws {
        let d = [2.0, 0.5], c = [1.0, -3]
        let x0 = [0.25, 4.0]
        let r = try Adam(learningRate: 0.1, maxIterations: 1).minimize(from: x0, separableQuadratic(d, c))
        let g = separableQuadratic(d, c)(x0).gradient
        let expected = x0.indices.map { x0[$0] - 0.1 * g[$0] / (abs(g[$0]) + 1e-8) }
        expectClose(r.x, expected, rtol: 1e-15)
        #expect(!r.converged && r.iterations == 1 && r.message.contains("maxIterations"))
    }

    @Test("a diverging run stops at the last finite iterate with converged == false")
    func divergenceReported() throws {
        // NaN outside |x| < 1; a learning rate of 5 steps straight out of the domain.
        let r = try Adam(learningRate: 5).minimize(from: [0.5]) { x in
            abs(x[0]) < 1 ? (x[0] * x[0], [2 * x[0]]) : (.nan, [.nan])
        }
        #expect(!r.converged)
        #expect(r.x == [0.5] && r.value == 0.25 && r.iterations == 0)
        #expect(r.message.contains("non-finite"))
    }

    @Test("a non-finite value at x0 throws")
    func nonFiniteStartThrows() {
        #expect(throws: LinalgError.self) {
            try Adam().minimize(from: [1]) { _ in (.infinity, [0]) }
        }
    }
}

private func _logOpt(_ x: Double) -> Double {
    x < 0 ? .nan : (x == 0 ? -.infinity : Double(_ln(x)))
}

#if canImport(Glibc)
import Glibc
private func _ln(_ x: Double) -> Double { Glibc.log(x) }
#else
import Foundation
private func _ln(_ x: Double) -> Double { Foundation.log(x) }
#endif
