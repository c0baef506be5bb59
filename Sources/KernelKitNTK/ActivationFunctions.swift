import Foundation

extension Activation {
    /// φ(x) — the activation itself, for finite-width networks.
    public func value(_ x: Double) -> Double {
        switch self {
        case let .abRelu(a, b): return x < 0 ? a * x : b * x
        case let .erf(a, b, c): return a * Foundation.erf(b * x) + c
        case .gelu: return x * 0.5 * Foundation.erfc(-x / 2.0.squareRoot())
        case let .sin(a, b, c): return a * Foundation.sin(b * x + c)
        case let .exp(a, b): return a * Foundation.exp(b * x)
        case let .gaussian(a, b): return a * Foundation.exp(b * x * x)
        case .sign: return x > 0 ? 1 : (x < 0 ? -1 : 0)
        case let .polynomial(c): return c.reversed().reduce(0) { $0 * x + $1 }
        case let .rectifiedMonomial(k): return x > 0 ? pow(x, Double(k)) : 0
        case let .hermite(k): return Self.normalizedHermite(k, x).value
        case let .numerical(_, phi, _, _): return phi(x)
        }
    }

    /// φ′(x) (0 at the kinks of piecewise-linear φ, as autodiff conventions do).
    public func derivative(_ x: Double) -> Double {
        switch self {
        case let .abRelu(a, b): return x < 0 ? a : (x > 0 ? b : 0)
        case let .erf(a, b, _): return a * b * 2 / Double.pi.squareRoot() * Foundation.exp(-b * b * x * x)
        case .gelu: return 0.5 * Foundation.erfc(-x / 2.0.squareRoot()) + x * Foundation.exp(-x * x / 2) / (2 * Double.pi).squareRoot()
        case let .sin(a, b, c): return a * b * Foundation.cos(b * x + c)
        case let .exp(a, b): return a * b * Foundation.exp(b * x)
        case let .gaussian(a, b): return 2 * a * b * x * Foundation.exp(b * x * x)
        case .sign: return 0
        case let .polynomial(c):
            var d = 0.0
            for i in stride(from: c.count - 1, through: 1, by: -1) { d = d * x + Double(i) * c[i] }
            return d
        case let .rectifiedMonomial(k): return k == 0 ? 0 : (x > 0 ? Double(k) * pow(x, Double(k - 1)) : 0)
        case let .hermite(k): return Self.normalizedHermite(k, x).derivative
        case let .numerical(_, _, dphi, _): return dphi(x)
        }
    }

    /// Heₖ(x)/√(k!) and its derivative, by the recurrence He_{n+1} = x Heₙ − n He_{n−1}, He′ₙ = n He_{n−1}.
    static func normalizedHermite(_ k: Int, _ x: Double) -> (value: Double, derivative: Double) {
        var previous = 1.0, current = x
        if k == 0 { return (1, 0) }
        for n in 1..<k {
            (previous, current) = (current, x * current - Double(n) * previous)
        }
        var factorial = 1.0
        for n in 1...k { factorial *= Double(n) }
        let norm = factorial.squareRoot()
        return (current / norm, Double(k) * previous / norm)
    }
}
