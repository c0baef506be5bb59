@preconcurrency import CGSL
import Foundation

/// A fixed quadrature rule `∫ f dμ ≈ Σᵢ wᵢ f(xᵢ)` with nodes `xᵢ` and weights `wᵢ`.
///
/// Complexity: `integrate` costs one evaluation of `f` per node.
public struct QuadratureRule: Sendable, Equatable {
    /// Nodes xᵢ in increasing order.
    public let nodes: [Double]
    /// Weights wᵢ (positive for the Gaussian rules built here).
    public let weights: [Double]

    /// A rule from matching nodes and weights.
    public init(nodes: [Double], weights: [Double]) {
        precondition(nodes.count == weights.count, "QuadratureRule: \(nodes.count) nodes but \(weights.count) weights")
        self.nodes = nodes
        self.weights = weights
    }

    /// Number of nodes.
    public var order: Int { nodes.count }

    /// `Σᵢ wᵢ f(xᵢ)`. O(order) evaluations of `f`.
    public func integrate(_ f: (Double) throws -> Double) rethrows -> Double {
        var sum = 0.0
        for i in nodes.indices { sum += weights[i] * (try f(nodes[i])) }
        return sum
    }
}

/// The value of an adaptive integral and GSL's estimate of its absolute error.
public struct IntegralEstimate: Sendable, Equatable {
    /// The integral's approximate value.
    public let value: Double
    /// Estimated absolute error `|value − ∫f|` (an estimate, not a bound).
    public let absoluteError: Double
}

/// Gaussian quadrature rules and adaptive integration, through GSL.
///
/// Gaussian rules with m nodes integrate polynomials of degree ≤ 2m − 1 exactly against their
/// weight function; nodes and weights come from GSL's `gsl_integration_fixed` (IQPACK: the
/// Golub–Welsch eigenproblem of the Jacobi matrix) and are cached per order. Adaptive integration
/// uses QUADPACK's QAGS (21-point Gauss–Kronrod with Wynn ε-extrapolation) on finite intervals and
/// QAGI (the map x = (1 − t)/t) on infinite ones.
///
/// Sources: G. H. Golub and J. H. Welsch, "Calculation of Gauss quadrature rules", Math. Comp. 23,
/// 1969; S. Elhay and J. Kautsky, IQPACK, ACM TOMS 13, 1987; R. Piessens et al., QUADPACK, 1983.
public enum Quadrature {
    /// Gauss–Hermite rule in the probabilists' form: `E[f(Z)] ≈ Σᵢ wᵢ f(xᵢ)` for Z ~ N(0, 1),
    /// weights summing to 1 (NumPy `hermite_e.hermegauss` with weights divided by √(2π)).
    /// Exact for polynomials of degree ≤ 2m − 1; for `f(z) = z^{2m}` it undershoots by exactly m!.
    /// Obtained from the physicists' rule by `x ↦ √2 x`, `w ↦ w/√π`. O(m²) once per m, then cached.
    /// - Parameter order: number of nodes m ≥ 1.
    /// - Throws: `LinalgError` if GSL cannot build the rule.
    public static func gaussHermiteProbabilists(order m: Int) throws -> QuadratureRule {
        let rule = try RuleCache.shared.rule(.hermite, order: m)
        let s = 2.0.squareRoot(), c = 1 / Double.pi.squareRoot()
        return QuadratureRule(nodes: rule.nodes.map { s * $0 }, weights: rule.weights.map { c * $0 })
    }

    /// Gauss–Hermite rule in the physicists' form: `∫_{−∞}^{∞} e^{−x²} f(x) dx ≈ Σᵢ wᵢ f(xᵢ)`,
    /// weights summing to √π (NumPy `hermite.hermgauss`). Exact for degree ≤ 2m − 1.
    /// O(m²) once per m, then cached.
    public static func gaussHermitePhysicists(order m: Int) throws -> QuadratureRule {
        try RuleCache.shared.rule(.hermite, order: m)
    }

    /// Gauss–Legendre rule on [a, b]: `∫_a^b f(x) dx ≈ Σᵢ wᵢ f(xᵢ)`, weights summing to b − a
    /// (NumPy `legendre.leggauss` mapped affinely from [−1, 1]). Exact for degree ≤ 2m − 1.
    /// O(m²) once per m, then O(m) per interval.
    public static func gaussLegendre(order m: Int, from a: Double = -1, to b: Double = 1) throws -> QuadratureRule {
        guard a.isFinite && b.isFinite else {
            throw LinalgError.domain("Gauss–Legendre needs a finite interval, got [\(a), \(b)]")
        }
        let rule = try RuleCache.shared.rule(.legendre, order: m)
        let half = (b - a) / 2, mid = (a + b) / 2
        return QuadratureRule(nodes: rule.nodes.map { mid + half * $0 }, weights: rule.weights.map { half * $0 })
    }

    /// Adaptive integral `∫_a^b f(x) dx` for finite or infinite limits (`a` may be −∞, `b` may be +∞),
    /// stopping when the error estimate is ≤ max(absoluteTolerance, relativeTolerance·|∫f|).
    ///
    /// Finite [a, b] uses QAGS, which also handles integrable endpoint singularities such as
    /// x^{−1/2}; infinite ranges use QAGIU / QAGIL / QAGI. `b < a` gives `−∫_b^a f`. Cost: at most
    /// 42·maxIntervals evaluations of `f` (a 21-point Kronrod rule per half-interval; 15-point on
    /// infinite ranges), typically a few hundred for smooth integrands.
    /// - Throws: the first error thrown by `f` (after which `f` is not called again);
    ///   `LinalgError.library` with GSL's message when the tolerance cannot be met (maximum
    ///   subdivisions, roundoff, divergence, bad integrand behaviour); `LinalgError.nonFinite` if `f`
    ///   returns NaN/∞ at a sampled point; `LinalgError.domain` for a NaN limit.
    public static func integrate(_ f: (Double) throws -> Double, from a: Double, to b: Double,
                                 absoluteTolerance: Double = 0, relativeTolerance: Double = 1e-10,
                                 maxIntervals: Int = 1000) throws -> IntegralEstimate {
        precondition(absoluteTolerance >= 0 && relativeTolerance >= 0 && maxIntervals >= 1,
                     "Quadrature.integrate: tolerances must be ≥ 0 and maxIntervals ≥ 1")
        guard !a.isNaN && !b.isNaN else { throw LinalgError.domain("integration limits must not be NaN") }
        if a == b { return IntegralEstimate(value: 0, absoluteError: 0) }
        if a > b {
            let flipped = try integrate(f, from: b, to: a, absoluteTolerance: absoluteTolerance,
                                        relativeTolerance: relativeTolerance, maxIntervals: maxIntervals)
            return IntegralEstimate(value: -flipped.value, absoluteError: flipped.absoluteError)
        }
        GSLBridge.prepare()
        guard let workspace = gsl_integration_workspace_alloc(maxIntervals) else {
            throw LinalgError.library(name: "GSL", routine: "gsl_integration_workspace_alloc", status: Int(GSL_ENOMEM),
                                      message: "could not allocate \(maxIntervals) intervals")
        }
        defer { gsl_integration_workspace_free(workspace) }
        return try withoutActuallyEscaping(f) { escapable in
            var context = ScalarCallback(escapable)
            var value = 0.0, error = 0.0
            let (status, routine): (Int32, String) = withUnsafeMutablePointer(to: &context) { ctx in
                var function = gsl_function(function: scalarCallbackTrampoline, params: UnsafeMutableRawPointer(ctx))
                switch (a.isFinite, b.isFinite) {
                case (true, true):
                    return (gsl_integration_qags(&function, a, b, absoluteTolerance, relativeTolerance,
                                                 maxIntervals, workspace, &value, &error), "gsl_integration_qags")
                case (true, false):
                    return (gsl_integration_qagiu(&function, a, absoluteTolerance, relativeTolerance,
                                                  maxIntervals, workspace, &value, &error), "gsl_integration_qagiu")
                case (false, true):
                    return (gsl_integration_qagil(&function, b, absoluteTolerance, relativeTolerance,
                                                  maxIntervals, workspace, &value, &error), "gsl_integration_qagil")
                case (false, false):
                    return (gsl_integration_qagi(&function, absoluteTolerance, relativeTolerance,
                                                 maxIntervals, workspace, &value, &error), "gsl_integration_qagi")
                }
            }
            try context.rethrow()
            try GSLBridge.check(status, routine: "\(routine) on [\(a), \(b)]")
            guard value.isFinite && error.isFinite else {
                throw LinalgError.nonFinite(what: "integral of f over [\(a), \(b)]")
            }
            return IntegralEstimate(value: value, absoluteError: error)
        }
    }
}

// MARK: C callbacks over Swift closures

/// A Swift closure made callable from a GSL `gsl_function`: the trampoline receives a pointer to
/// this context. A thrown error, or a non-finite value, is recorded and NaN is returned to GSL from
/// then on; the caller rethrows it after GSL returns.
struct ScalarCallback {
    let body: (Double) throws -> Double
    var failure: Error?
    var nonFiniteAt: Double?

    init(_ body: @escaping (Double) throws -> Double) { self.body = body }

    mutating func call(_ x: Double) -> Double {
        guard failure == nil && nonFiniteAt == nil else { return .nan }
        do {
            let y = try body(x)
            if !y.isFinite { nonFiniteAt = x; return .nan }
            return y
        } catch {
            failure = error
            return .nan
        }
    }

    func rethrow() throws {
        if let failure { throw failure }
        if let x = nonFiniteAt { throw LinalgError.nonFinite(what: "integrand/function value at x = \(x)") }
    }
}

let scalarCallbackTrampoline: @convention(c) (Double, UnsafeMutableRawPointer?) -> Double = { x, params in
    params!.assumingMemoryBound(to: ScalarCallback.self).pointee.call(x)
}

// MARK: Rule cache

/// Gaussian rules on their reference domains (Hermite: weight e^{−x²}; Legendre: [−1, 1]),
/// computed once per order by GSL and cached under a lock.
private final class RuleCache: @unchecked Sendable {
    enum Family: Hashable { case hermite, legendre }
    private struct Key: Hashable {
        let family: Family
        let order: Int
    }

    static let shared = RuleCache()
    private let lock = NSLock()
    private var rules: [Key: QuadratureRule] = [:]

    func rule(_ family: Family, order m: Int) throws -> QuadratureRule {
        precondition(m >= 1, "a quadrature rule needs at least one node, got order \(m)")
        let key = Key(family: family, order: m)
        lock.lock()
        defer { lock.unlock() }
        if let rule = rules[key] { return rule }
        GSLBridge.prepare()
        // Hermite: weight |x − a|^α e^{−b(x−a)²} with a = 0, b = 1, α = 0. Legendre: [a, b] = [−1, 1].
        let workspace: UnsafeMutablePointer<gsl_integration_fixed_workspace>?
        switch family {
        case .hermite: workspace = gsl_integration_fixed_alloc(gsl_integration_fixed_hermite, m, 0, 1, 0, 0)
        case .legendre: workspace = gsl_integration_fixed_alloc(gsl_integration_fixed_legendre, m, -1, 1, 0, 0)
        }
        guard let workspace else {
            throw LinalgError.library(name: "GSL", routine: "gsl_integration_fixed_alloc", status: Int(GSL_EFAILED),
                                      message: "could not build the \(family) rule with \(m) nodes")
        }
        defer { gsl_integration_fixed_free(workspace) }
        let x = gsl_integration_fixed_nodes(workspace)!, w = gsl_integration_fixed_weights(workspace)!
        let order = (0..<m).sorted { x[$0] < x[$1] }
        let rule = QuadratureRule(nodes: order.map { x[$0] }, weights: order.map { w[$0] })
        guard rule.nodes.allSatisfy({ $0.isFinite }) && rule.weights.allSatisfy({ $0.isFinite }) else {
            throw LinalgError.nonFinite(what: "\(family) quadrature rule of order \(m)")
        }
        rules[key] = rule
        return rule
    }
}
