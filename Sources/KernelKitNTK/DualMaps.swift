import Foundation
import KernelKitLinalg

/// The dual of an activation, evaluated on whole tiles.
///
/// For a tile of rows × cols covariances k₁₂ (column-major), per-row variances k₁₁ and per-column
/// variances k₂₂, `apply` replaces k₁₂ by E[φ(u)φ(v)] and multiplies the NTK tile by E[φ′(u)φ′(v)].
/// `applyToVariances` maps per-point variances v ↦ E[φ(u)²], u ~ N(0, v), through the *same* scalar
/// formula with k₁₂ = k₁₁ = k₂₂ = v, so that an input duplicated in both sets gives bitwise equal
/// diagonal and off-diagonal entries (the arc-cosine formulas are ill-conditioned at cos θ = 1).
struct DualMap: Sendable {
    let activation: Activation
    /// Polynomial duals: coefficient tables B_m for φ and φ′ (see `PolynomialDual`).
    private let polynomial: PolynomialDual?
    private let polynomialDerivative: PolynomialDual?
    /// Arc-cosine polynomial tables for `.rectifiedMonomial`.
    private let arcCosine: ArcCosinePolynomials?
    /// Gauss–Hermite nodes and weights (probabilists') for `.numerical`.
    private let nodes: [Double]
    private let weights: [Double]

    init(_ activation: Activation) throws {
        try activation.validate()
        self.activation = activation
        if case let .polynomial(c) = activation {
            polynomial = PolynomialDual(coefficients: c)
            let dc = c.indices.dropFirst().map { Double($0) * c[$0] }
            polynomialDerivative = PolynomialDual(coefficients: dc.isEmpty ? [0] : dc)
        } else {
            polynomial = nil
            polynomialDerivative = nil
        }
        if case let .rectifiedMonomial(n) = activation {
            arcCosine = ArcCosinePolynomials(maxDegree: n)
        } else {
            arcCosine = nil
        }
        if case let .numerical(_, _, _, order) = activation {
            let rule = try Quadrature.gaussHermiteProbabilists(order: order)
            nodes = rule.nodes
            weights = rule.weights
        } else {
            nodes = []
            weights = []
        }
    }

    /// Maps a tile in place. `ntk == nil` skips the derivative (NNGP only).
    ///
    /// The arc-cosine family (ReLU, LeakyReLU, ABReLU, Abs, Sign), Erf and GELU run vectorised over
    /// the tile (one libmvec atan2 per entry, the rest plain array arithmetic); the other activations
    /// evaluate the scalar `pair` per entry.
    func apply(nngp: inout [Double], ntk: inout [Double]?, rowVariance: [Double], columnVariance: [Double],
               scratch: inout [Double], scratch2: inout [Double]) throws {
        let rows = rowVariance.count
        let cols = columnVariance.count
        precondition(nngp.count == rows * cols)
        switch activation {
        case let .abRelu(a, b):
            applyArcCosine(nngp: &nngp, ntk: &ntk, rowVariance, columnVariance, &scratch, &scratch2) { s, k12, theta in
                let factor = (a - b) * (a - b) / (2 * Double.pi)
                let dotSigma = (a * a + b * b) / 2 - factor * theta
                return (factor * s + dotSigma * k12, dotSigma)
            }
            return
        case .sign:
            applyArcCosine(nngp: &nngp, ntk: &ntk, rowVariance, columnVariance, &scratch, &scratch2) { _, _, theta in
                (1 - 2 * theta / Double.pi, 0)
            }
            // sign(0) = 0: a zero-variance point has kernel 0 with everything.
            for j in 0..<cols { for i in 0..<rows where rowVariance[i] == 0 || columnVariance[j] == 0 { nngp[i + j * rows] = 0 } }
            return
        case let .erf(a, b, c) where ntk == nil || !hasZeroVariance(rowVariance, columnVariance):
            // E = a²(2/π) atan2(2b²k₁₂, √((1+2b²k₁₁)(1+2b²k₂₂) − 4b⁴k₁₂²)) + c², derivative a²b²·4/(π√·).
            let b2 = b * b
            resize(&scratch, nngp.count)
            resize(&scratch2, nngp.count)
            nngp.withUnsafeBufferPointer { k in
                scratch.withUnsafeMutableBufferPointer { root in
                    scratch2.withUnsafeMutableBufferPointer { x2 in
                        rowVariance.withUnsafeBufferPointer { r in
                            for j in 0..<cols {
                                let q = 1 + 2 * b2 * columnVariance[j], base = j * rows
                                for i in 0..<rows {
                                    let x = 2 * b2 * k[base + i]
                                    root[base + i] = Swift.max((1 + 2 * b2 * r[i]) * q - x * x, 0).squareRoot()
                                    x2[base + i] = x
                                }
                            }
                        }
                    }
                }
            }
            VectorMath.atan2(&scratch2, scratch)
            let scale = a * a * 2 / Double.pi, c2 = c * c
            if var theta = ntk {
                ntk = nil
                let d = a * a * b2 * 4 / Double.pi
                theta.withUnsafeMutableBufferPointer { t in
                    scratch.withUnsafeBufferPointer { root in
                        for idx in 0..<t.count { t[idx] *= d / root[idx] }
                    }
                }
                ntk = theta
            }
            nngp.withUnsafeMutableBufferPointer { k in
                scratch2.withUnsafeBufferPointer { angle in
                    for idx in 0..<k.count { k[idx] = scale * angle[idx] + c2 }
                }
            }
            return
        default:
            let wantNTK = ntk != nil
            var theta = ntk ?? []
            ntk = nil
            defer { if wantNTK { ntk = theta } }
            for j in 0..<cols {
                let v2 = columnVariance[j]
                for i in 0..<rows {
                    let idx = i + j * rows
                    let (k, dk) = try pair(nngp[idx], rowVariance[i], v2, wantDerivative: wantNTK)
                    nngp[idx] = k
                    if wantNTK { theta[idx] *= dk }
                }
            }
        }
    }

    private func resize(_ a: inout [Double], _ n: Int) {
        if a.count != n { a = [Double](repeating: 0, count: n) }
    }

    private func hasZeroVariance(_ r: [Double], _ c: [Double]) -> Bool { r.contains(0) || c.contains(0) }

    /// Shared vectorised skeleton of the arc-cosine duals: s = √max(k₁₁k₂₂ − k₁₂², 0),
    /// θ = atan2(s, k₁₂) (π/2 when both vanish), then `map(s, k₁₂, θ) = (K′, Θ-factor)` per entry.
    /// The loops run over the arrays' buffers (Swift memory, no C interop) so they compile to
    /// straight vector code without per-element uniqueness checks — this is the hot path of
    /// `InfiniteWidthNetwork.kernels`.
    @inline(__always)
    private func applyArcCosine(nngp: inout [Double], ntk: inout [Double]?, _ rowVariance: [Double],
                                _ columnVariance: [Double], _ s: inout [Double], _ theta: inout [Double],
                                _ map: (Double, Double, Double) -> (Double, Double)) {
        let rows = rowVariance.count, cols = columnVariance.count, count = nngp.count
        resize(&s, count)
        resize(&theta, count)
        nngp.withUnsafeBufferPointer { k in
            s.withUnsafeMutableBufferPointer { sp in
                rowVariance.withUnsafeBufferPointer { r in
                    for j in 0..<cols {
                        let v2 = columnVariance[j], base = j * rows
                        for i in 0..<rows {
                            let k12 = k[base + i]
                            sp[base + i] = Swift.max(r[i] * v2 - k12 * k12, 0).squareRoot()
                        }
                    }
                }
            }
        }
        theta.withUnsafeMutableBufferPointer { t in
            s.withUnsafeBufferPointer { sp in _ = t.update(fromContentsOf: sp) }
        }
        VectorMath.atan2(&theta, nngp)
        let wantNTK = ntk != nil
        var dtheta = ntk ?? []
        ntk = nil
        nngp.withUnsafeMutableBufferPointer { k in
            s.withUnsafeBufferPointer { sp in
                theta.withUnsafeBufferPointer { th in
                    dtheta.withUnsafeMutableBufferPointer { d in
                        for idx in 0..<count {
                            let k12 = k[idx], sv = sp[idx]
                            let angle = (sv == 0 && k12 == 0) ? Double.pi / 2 : th[idx]
                            let (value, factor) = map(sv, k12, angle)
                            k[idx] = value
                            if wantNTK { d[idx] *= factor }
                        }
                    }
                }
            }
        }
        if wantNTK { ntk = dtheta }
    }

    /// v ↦ E[φ(u)²], u ~ N(0, v), for per-point variances.
    func applyToVariances(_ v: inout [Double]) throws {
        for i in v.indices { v[i] = try pair(v[i], v[i], v[i], wantDerivative: false).0 }
    }

    /// (E[φ(u)φ(v)], E[φ′(u)φ′(v)]) for one covariance entry.
    @inline(__always)
    func pair(_ k12: Double, _ k11: Double, _ k22: Double, wantDerivative: Bool) throws -> (Double, Double) {
        switch activation {
        case let .abRelu(a, b):
            // θ from atan2 of (√(k₁₁k₂₂ − k₁₂²), k₁₂): exact at cos θ = ±1, no clipping of cos θ.
            let s = Swift.max(k11 * k22 - k12 * k12, 0).squareRoot()
            let theta = (s == 0 && k12 == 0) ? Double.pi / 2 : atan2(s, k12)
            let factor = (a - b) * (a - b) / (2 * Double.pi)
            let dotSigma = (a * a + b * b) / 2 - factor * theta
            return (factor * s + dotSigma * k12, dotSigma)

        case let .erf(a, b, c):
            let b2 = b * b
            let p = (1 + 2 * b2 * k11) * (1 + 2 * b2 * k22)
            let x = 2 * b2 * k12
            let root = Swift.max(p - x * x, 0).squareRoot()
            let k = a * a * (2 / Double.pi) * atan2(x, root) + c * c
            guard wantDerivative else { return (k, 0) }
            guard root > 0 else { throw NTKError.degenerate("erf dual derivative is infinite at variance 0 and |correlation| 1") }
            return (k, a * a * b2 * 4 / (Double.pi * root))

        case .gelu:
            // M = [pq(1+p)(1+q) + c²(1 − pq)] / (2π (1+p)(1+q) √D) + c/4 + c·atan2(c, √D)/(2π),
            // D = (1+p)(1+q) − c², with p = k₁₁, q = k₂₂, c = k₁₂ (Stein's lemma on x·Φ(x)).
            let p = k11, q = k22, c = k12
            let pp = (1 + p) * (1 + q)
            let d = Swift.max(pp - c * c, 0)
            let rootD = d.squareRoot()
            let angle = atan2(c, rootD)
            let k = (p * q * pp + c * c * (1 - p * q)) / (2 * Double.pi * pp * rootD) + c / 4 + c * angle / (2 * Double.pi)
            guard wantDerivative else { return (k, 0) }
            // dM/dc = E_NN·(c·Q/D + dQ/dc + c) + T₂, E_NN = 1/(2π√D), Q = pq − pc²/(1+p) + c²/(1+q),
            // T₂ = E[Φ(u)Φ(v)] = 1/4 + atan2(c, √D)/(2π) (Price's theorem).
            let eNN = 1 / (2 * Double.pi * rootD)
            let qTerm = p * q - p * c * c / (1 + p) + c * c / (1 + q)
            let dQ = 2 * c * (1 / (1 + q) - p / (1 + p))
            return (k, eNN * (c * qTerm / d + dQ + c) + 0.25 + angle / (2 * Double.pi))

        case let .sin(a, b, c):
            let b2 = b * b
            let half = (k11 + k22) / 2
            let s1 = Foundation.exp(b2 * (k12 - half))
            let s2 = Foundation.exp(-b2 * (k12 + half)) * Foundation.cos(2 * c)
            return (a * a / 2 * (s1 - s2), a * a * b2 / 2 * (s1 + s2))

        case let .exp(a, b):
            let e = a * a * Foundation.exp(b * b * ((k11 + k22) / 2 + k12))
            return (e, b * b * e)

        case let .gaussian(a, b):
            let m1 = 1 - 2 * b * k11, m2 = 1 - 2 * b * k22
            let det = m1 * m2 - 4 * b * b * k12 * k12
            guard m1 > 0 && m2 > 0 && det > 0 else {
                throw NTKError.degenerate("gaussian(a, b) activation has infinite second moment: need 2·b·variance < 1/2 (b = \(b), variance \(Swift.max(k11, k22)))")
            }
            let root = det.squareRoot()
            return (a * a / root, 4 * a * a * b * b * k12 / (det * root))

        case .sign:
            if k11 == 0 || k22 == 0 { return (0, 0) }
            let s = Swift.max(k11 * k22 - k12 * k12, 0).squareRoot()
            let theta = (s == 0 && k12 == 0) ? Double.pi / 2 : atan2(s, k12)
            return (1 - 2 * theta / Double.pi, 0)

        case .polynomial:
            let k = polynomial!.expectation(k12, k11, k22)
            return (k, wantDerivative ? polynomialDerivative!.expectation(k12, k11, k22) : 0)

        case let .rectifiedMonomial(n):
            return try rectifiedMonomial(n, k12, k11, k22, wantDerivative: wantDerivative)

        case let .hermite(n):
            return (pow(k12, Double(n)), Double(n) * pow(k12, Double(n - 1)))

        case let .numerical(_, phi, derivative, _):
            let k = gaussHermite2D(phi, k12, k11, k22)
            return (k, wantDerivative ? gaussHermite2D(derivative, k12, k11, k22) : 0)
        }
    }

    /// E[max(u,0)ⁿ max(v,0)ⁿ] = (k₁₁k₂₂)^{n/2} Jₙ(θ)/(2π) (Cho & Saul 2009, arc-cosine kernels) and
    /// the NTK factor n²·E[max(u,0)ⁿ⁻¹ max(v,0)ⁿ⁻¹] (Price's theorem), for any degree n.
    /// Jₙ comes from `ArcCosinePolynomials`: Jₙ = (−1)ⁿ[(π − θ)Pₙ(cos θ) + sin θ·Qₙ(cos θ)].
    private func rectifiedMonomial(_ n: Int, _ k12: Double, _ k11: Double, _ k22: Double,
                                   wantDerivative: Bool) throws -> (Double, Double) {
        let s = Swift.max(k11 * k22 - k12 * k12, 0).squareRoot()  // √(k₁₁k₂₂)·sin θ
        let theta = (s == 0 && k12 == 0) ? Double.pi / 2 : atan2(s, k12)
        let table = arcCosine!
        let k = table.expectation(n, k12: k12, r2: k11 * k22, s: s, theta: theta)
        guard wantDerivative, n > 0 else { return (k, 0) }
        return (k, Double(n * n) * table.expectation(n - 1, k12: k12, r2: k11 * k22, s: s, theta: theta))
    }

    /// E[f(u) f(v)] by `order`² Gauss–Hermite points: u = √k₁₁ z₁, v = √k₂₂ (ρ z₁ + √(1−ρ²) z₂).
    private func gaussHermite2D(_ f: (Double) -> Double, _ k12: Double, _ k11: Double, _ k22: Double) -> Double {
        let s1 = k11.squareRoot(), s2 = k22.squareRoot()
        let rho = (s1 > 0 && s2 > 0) ? Swift.min(Swift.max(k12 / (s1 * s2), -1), 1) : 0
        let rhoPerp = Swift.max(1 - rho * rho, 0).squareRoot()
        var total = 0.0
        for i in nodes.indices {
            let fu = f(s1 * nodes[i])
            var inner = 0.0
            for j in nodes.indices {
                inner += weights[j] * f(s2 * (rho * nodes[i] + rhoPerp * nodes[j]))
            }
            total += weights[i] * fu * inner
        }
        return total
    }
}

/// E[p(u)p(v)] for a polynomial p(x) = Σᵢ cᵢ xⁱ and (u, v) ~ N(0, [[k₁₁, k₁₂], [k₁₂, k₂₂]]).
///
/// With xⁱ = Σₘ hᵢₘ Heₘ(x) (hᵢₘ = i!/(m!·((i−m)/2)!·2^{(i−m)/2}), i − m even) and Mehler's
/// E[Heₘ(z₁)Heₗ(z₂)] = δₘₗ m! ρᵐ, the expectation is Σₘ m!·k₁₂ᵐ·Bₘ(k₁₁)·Bₘ(k₂₂) with
/// Bₘ(k) = Σᵢ cᵢ hᵢₘ k^{(i−m)/2} — a polynomial in k₁₂, k₁₁, k₂₂, exact and free of square roots.
struct PolynomialDual: Sendable {
    /// table[m] = coefficients of Bₘ as a polynomial in k: Bₘ(k) = Σ_r table[m][r] kʳ.
    let table: [[Double]]

    init(coefficients c: [Double]) {
        let degree = c.count - 1
        var table = [[Double]](repeating: [], count: degree + 1)
        for m in 0...degree {
            var b = [Double](repeating: 0, count: (degree - m) / 2 + 1)
            var i = m
            while i <= degree {
                let r = (i - m) / 2
                // hᵢₘ = i! / (m! r! 2^r)
                var h = 1.0
                if i > m { for t in (m + 1)...i { h *= Double(t) } }
                for t in stride(from: 1, through: r, by: 1) { h /= Double(t) * 2 }
                b[r] += c[i] * h
                i += 2
            }
            table[m] = b
        }
        self.table = table
    }

    func expectation(_ k12: Double, _ k11: Double, _ k22: Double) -> Double {
        var total = 0.0
        var mFactorial = 1.0
        var k12Power = 1.0
        for m in table.indices {
            if m > 0 { mFactorial *= Double(m); k12Power *= k12 }
            let b = table[m]
            var b1 = 0.0, b2 = 0.0
            for r in b.indices.reversed() { b1 = b1 * k11 + b[r]; b2 = b2 * k22 + b[r] }
            total += mFactorial * k12Power * b1 * b2
        }
        return total
    }
}

/// The arc-cosine functions Jₙ(θ) of Cho & Saul (2009), Jₙ = (−1)ⁿ sin^{2n+1}θ·(sin⁻¹θ ∂/∂θ)ⁿ[(π − θ)/sin θ],
/// in the closed form Jₙ = (−1)ⁿ[(π − θ)Pₙ(c) + sin θ·Qₙ(c)], c = cos θ, with polynomials from
///
///     P₀ = 1, Q₀ = 0,
///     Pₖ₊₁ = −(1 − c²)Pₖ′ − (2k + 1)c·Pₖ,   Qₖ₊₁ = −Pₖ − (1 − c²)Qₖ′ − 2k·c·Qₖ
///
/// (apply the operator to (π − θ)Pₖ/sin^{2k+1}θ + Qₖ/sin^{2k}θ). Pₙ has the parity of n and Qₙ that of
/// n − 1, so (k₁₁k₂₂)^{n/2}Jₙ is a polynomial in k₁₂, k₁₁k₂₂ and √(k₁₁k₂₂ − k₁₂²) — no division by
/// the norms, exact at cos θ = ±1. Checked: J₁ = sin θ + (π − θ)cos θ, J₂ = 3 sin θ cos θ + (π − θ)(1 + 2cos²θ).
struct ArcCosinePolynomials: Sendable {
    /// p[n][j], q[n][j]: coefficients of cʲ.
    let p: [[Double]]
    let q: [[Double]]

    init(maxDegree: Int) {
        var p: [[Double]] = [[1]], q: [[Double]] = [[0]]
        for k in 0..<maxDegree {
            let pk = p[k], qk = q[k]
            var nextP = [Double](repeating: 0, count: k + 2)
            var nextQ = [Double](repeating: 0, count: k + 2)
            // −(1 − c²)f′ = −f′ + c²f′; f′ = Σ j·fⱼ c^{j−1}
            func addMinusOneMinusCSquaredDerivative(_ f: [Double], into out: inout [Double]) {
                for j in f.indices.dropFirst() {
                    let d = Double(j) * f[j]
                    out[j - 1] -= d
                    if j + 1 < out.count { out[j + 1] += d }
                }
            }
            addMinusOneMinusCSquaredDerivative(pk, into: &nextP)
            for j in pk.indices where j + 1 < nextP.count { nextP[j + 1] -= Double(2 * k + 1) * pk[j] }
            for j in pk.indices { nextQ[j] -= pk[j] }
            addMinusOneMinusCSquaredDerivative(qk, into: &nextQ)
            for j in qk.indices where j + 1 < nextQ.count { nextQ[j + 1] -= Double(2 * k) * qk[j] }
            p.append(nextP)
            q.append(nextQ)
        }
        self.p = p
        self.q = q
    }

    /// E[max(u,0)ⁿ max(v,0)ⁿ] = (−1)ⁿ/(2π)·[(π − θ)Σⱼ Pₙⱼ k₁₂ʲ r^{n−j} + S·Σⱼ Qₙⱼ k₁₂ʲ r^{n−1−j}], with
    /// r² = k₁₁k₂₂ and S = √(r² − k₁₂²); only even powers of r occur.
    func expectation(_ n: Int, k12: Double, r2: Double, s: Double, theta: Double) -> Double {
        func homogeneous(_ coefficients: [Double], degree: Int) -> Double {
            var total = 0.0
            for (j, a) in coefficients.enumerated() where a != 0 && degree - j >= 0 {
                total += a * pow(k12, Double(j)) * pow(r2, Double((degree - j) / 2))
            }
            return total
        }
        let value = (Double.pi - theta) * homogeneous(p[n], degree: n) + (n > 0 ? s * homogeneous(q[n], degree: n - 1) : 0)
        return (n % 2 == 0 ? 1 : -1) * value / (2 * Double.pi)
    }
}
