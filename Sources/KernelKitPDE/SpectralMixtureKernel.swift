import Foundation

/// The shape of each component's spectral density in a one-dimensional spectral-mixture kernel.
public enum SpectralFamily: String, Sendable, CaseIterable {
    /// Gaussian spectrum: the spectral-mixture kernel of Wilson & Adams (ICML 2013),
    /// component φ(d) = exp(−a d²) cos(2πμd), a > 0 ("SE × cos").
    case gaussian
    /// Student-t spectrum: component φ(d) = m(|d|) cos(2πμd) with the Matérn-5/2 envelope
    /// m(r) = (1 + √5 b r + 5/3 b² r²) exp(−√5 b r), b > 0 ("Matérn-5/2 × cos"). Its spectrum is a
    /// Student-t density with 2ν = 5 degrees of freedom, ∝ (5b² + 4π²ξ²)⁻³, centred at ±μ.
    case studentT = "student-t"
}

/// One component of a 1-D spectral mixture: k_q(d) = w_q φ_q(d) with parameters in log space where
/// they must be positive.
public struct SpectralComponent: Sendable, Equatable {
    /// log w_q (w_q > 0 is the component's variance).
    public var logWeight: Double
    /// log of the rate: a_q in exp(−a d²) (Gaussian family) or b_q, the inverse length scale of the
    /// Matérn envelope (Student-t family).
    public var logRate: Double
    /// μ_q, the centre of the component's spectrum in cycles per unit (angular frequency 2πμ_q).
    /// Kept unconstrained, not in log space: cos(2πμd) is even in μ, so its sign is irrelevant and
    /// μ = 0 (a component without oscillation, part of the paper's evenly spaced initialisation)
    /// stays reachable.
    public var frequency: Double

    /// A component from its parameters.
    public init(logWeight: Double, logRate: Double, frequency: Double) {
        self.logWeight = logWeight
        self.logRate = logRate
        self.frequency = frequency
    }

    /// w_q = exp(log w_q).
    public var weight: Double { exp(logWeight) }
    /// The rate a_q or b_q = exp(log rate).
    public var rate: Double { exp(logRate) }
}

/// Value and first two derivatives of a stationary 1-D kernel k(d), d = x − x′.
public struct KernelDerivatives: Sendable, Equatable {
    /// k(d).
    public var value: Double
    /// k′(d) = dk/dd.
    public var first: Double
    /// k″(d) = d²k/dd².
    public var second: Double

    /// Bundles the three values.
    public init(value: Double, first: Double, second: Double) {
        self.value = value
        self.first = first
        self.second = second
    }
}

/// A stationary one-dimensional spectral-mixture kernel
///     k(x, x′) = Σ_q w_q e_q(d) cos(2π μ_q d),   d = x − x′,
/// with a Gaussian (e_q = exp(−a_q d²)) or Matérn-5/2 (e_q = m(|d|; b_q)) envelope per component, as
/// in the GP-HM solver (Fang, Cooley, Long, Li, Kirby & Zhe, "Solving High Frequency and Multi-Scale
/// PDEs with Gaussian Processes", ICLR 2024; code kernels `SE_Cos_1d` and `Matern52_Cos_1d`).
///
/// Derivatives are closed form (no automatic differentiation). With d = x − x′ and D^p = dᵖk/ddᵖ:
///   ∂ₓᵖ ∂_{x′}^q k(x, x′) = (−1)^q D^{p+q} k(d),
/// available for p + q ≤ 2 (the Matérn-5/2 envelope is only twice differentiable at d = 0).
/// Parameter vector (`parameters`): [log w₁…log w_Q, log rate₁…log rate_Q, μ₁…μ_Q].
/// Cost: O(Q) per evaluation.
public struct SpectralMixtureKernel: Sendable, Equatable {
    /// The spectral family shared by all components.
    public var family: SpectralFamily
    /// The components (at least one).
    public var components: [SpectralComponent]

    /// A kernel with the given components.
    public init(family: SpectralFamily, components: [SpectralComponent]) {
        precondition(!components.isEmpty, "SpectralMixtureKernel needs at least one component")
        self.family = family
        self.components = components
    }

    /// A kernel from plain weights, rates (a or b) and frequencies μ (all arrays of equal length,
    /// weights and rates positive), e.g. the reference files' `w`, `a`/`b`, `mu`.
    public init(family: SpectralFamily, weights: [Double], rates: [Double], frequencies: [Double]) {
        precondition(weights.count == rates.count && rates.count == frequencies.count,
                     "SpectralMixtureKernel: weights, rates and frequencies must have equal lengths")
        precondition(weights.allSatisfy { $0 > 0 } && rates.allSatisfy { $0 > 0 },
                     "SpectralMixtureKernel: weights and rates must be positive")
        self.init(family: family, components: (0..<weights.count).map {
            SpectralComponent(logWeight: log(weights[$0]), logRate: log(rates[$0]), frequency: frequencies[$0])
        })
    }

    /// The paper's initialisation: Q components with frequencies evenly spaced on [0, maxFrequency]
    /// (cycles per unit), equal weights `weight`, and the common rate `rate`.
    public static func evenlySpaced(family: SpectralFamily, count: Int, maxFrequency: Double,
                                    weight: Double = 1, rate: Double) -> SpectralMixtureKernel {
        precondition(count >= 1 && maxFrequency >= 0 && weight > 0 && rate > 0,
                     "evenlySpaced: count ≥ 1, maxFrequency ≥ 0, weight > 0, rate > 0")
        let step = count > 1 ? maxFrequency / Double(count - 1) : 0
        return SpectralMixtureKernel(family: family, components: (0..<count).map {
            SpectralComponent(logWeight: log(weight), logRate: log(rate), frequency: Double($0) * step)
        })
    }

    /// Number of components Q.
    public var count: Int { components.count }

    /// The flat parameter vector [log w, log rate, μ] (3Q entries).
    public var parameters: [Double] {
        get { components.map(\.logWeight) + components.map(\.logRate) + components.map(\.frequency) }
        set {
            let q = count
            precondition(newValue.count == 3 * q, "parameters: expected \(3 * q) values, got \(newValue.count)")
            for i in 0..<q {
                components[i] = SpectralComponent(logWeight: newValue[i], logRate: newValue[q + i],
                                                  frequency: newValue[2 * q + i])
            }
        }
    }

    /// k(d), k′(d), k″(d) at the lag d = x − x′. O(Q).
    public func derivatives(at d: Double) -> KernelDerivatives {
        var total = KernelDerivatives(value: 0, first: 0, second: 0)
        for c in components {
            let phi = componentDerivatives(c, d)
            let w = c.weight
            total.value += w * phi.value
            total.first += w * phi.first
            total.second += w * phi.second
        }
        return total
    }

    /// k(x, x′).
    public func value(_ x: Double, _ y: Double) -> Double { derivatives(at: x - y).value }

    /// k(d) at the uniformly spaced lags dⱼ = start + j·step, j = 0 … count − 1, without derivatives, for
    /// cross-covariances with fine grids. Components whose weight is below 1e-17 Σ w (learned kernels
    /// keep pruned components at weights ~ e⁻³⁰) are skipped, since |w_q φ_q| ≤ w_q lies below the
    /// rounding of the sum. cos(ω dⱼ) is advanced by rotating (cos, sin) through ω·step, re-anchored
    /// with the library cos/sin every 64 lags (rounding drift ≲ 64 ulp), which removes most of the cost:
    /// on a 400 → 1e5-point interpolation the cosine was half of the whole `fit pde` run.
    /// O(count · Q′) for the Q′ components kept.
    public func values(start: Double, step: Double, count: Int) -> [Double] {
        let total = components.reduce(0) { $0 + $1.weight }
        var result = [Double](repeating: 0, count: count)
        for c in components where c.weight >= 1e-17 * total {
            let (weight, rate, omega) = (c.weight, c.rate, 2 * Double.pi * c.frequency)
            let (rotationCos, rotationSin) = (cos(omega * step), sin(omega * step))
            var (cosine, sine) = (0.0, 0.0)
            for j in 0..<count {
                let d = start + Double(j) * step
                if j % 64 == 0 {
                    (cosine, sine) = (cos(omega * d), sin(omega * d))
                } else {
                    (cosine, sine) = (cosine * rotationCos - sine * rotationSin, sine * rotationCos + cosine * rotationSin)
                }
                let envelope: Double
                switch family {
                case .gaussian:
                    envelope = exp(-rate * d * d)
                case .studentT:
                    let a = 5.0.squareRoot() * rate * abs(d)
                    envelope = (1 + a + a * a / 3) * exp(-a)
                }
                result[j] += weight * envelope * cosine
            }
        }
        return result
    }

    /// ∂ₓᵖ ∂_{x′}^q k(x, x′) for p, q ≥ 0 with p + q ≤ 2: the covariance cov(∂ᵖu(x), ∂^q u(x′)) of a GP u
    /// with this kernel. Equals (−1)^q k^{(p+q)}(x − x′).
    public func covariance(_ x: Double, _ y: Double, derivativeInFirst p: Int, derivativeInSecond q: Int) -> Double {
        precondition(p >= 0 && q >= 0 && p + q <= 2, "covariance: derivative orders must satisfy p, q ≥ 0, p + q ≤ 2")
        let k = derivatives(at: x - y)
        let v = [k.value, k.first, k.second][p + q]
        return q % 2 == 0 ? v : -v
    }

    /// The spectral density S(ξ) with k(d) = ∫ S(ξ) e^{2πiξd} dξ (ξ in cycles per unit; Wiener–Khinchin),
    /// so ∫ S = k(0) = Σ w_q. Each component contributes w_q [s_q(ξ − μ_q) + s_q(ξ + μ_q)]/2 with
    /// s the envelope's (probability) density: Gaussian √(π/a) exp(−π²ξ²/a) for the Gaussian family;
    /// (16/3) (√5 b)⁵ / (5b² + 4π²ξ²)³ for the Matérn-5/2 envelope (Rasmussen & Williams 2006, eq. 4.15,
    /// ν = 5/2, ℓ = 1/b).
    public func spectralDensity(_ xi: Double) -> Double {
        var s = 0.0
        for c in components {
            let r = c.rate
            func envelope(_ f: Double) -> Double {
                switch family {
                case .gaussian:
                    return (Double.pi / r).squareRoot() * exp(-Double.pi * Double.pi * f * f / r)
                case .studentT:
                    let s5 = 5.0.squareRoot() * r
                    let denominator = 5 * r * r + 4 * Double.pi * Double.pi * f * f
                    return 16.0 / 3.0 * pow(s5, 5) / (denominator * denominator * denominator)
                }
            }
            s += c.weight * 0.5 * (envelope(xi - c.frequency) + envelope(xi + c.frequency))
        }
        return s
    }

    /// The length scale of a component's envelope, for reporting: 1/√(2a) (Gaussian family, so that
    /// exp(−a d²) = exp(−d²/(2ℓ²))) or 1/b (Matérn-5/2).
    public func lengthScale(of c: SpectralComponent) -> Double {
        switch family {
        case .gaussian: return 1 / (2 * c.rate).squareRoot()
        case .studentT: return 1 / c.rate
        }
    }

    /// φ_q(d) = e(d) cos(2πμd) and its first two d-derivatives (without the weight).
    func componentDerivatives(_ c: SpectralComponent, _ d: Double) -> KernelDerivatives {
        let e = envelope(c.rate, d)
        let omega = 2 * Double.pi * c.frequency
        let cosine = cos(omega * d), sine = sin(omega * d)
        let c1 = -omega * sine, c2 = -omega * omega * cosine
        return KernelDerivatives(value: e.value * cosine,
                                 first: e.first * cosine + e.value * c1,
                                 second: e.second * cosine + 2 * e.first * c1 + e.value * c2)
    }

    /// The envelope e(d) with its d-derivatives, at rate r (a or b).
    private func envelope(_ r: Double, _ d: Double) -> KernelDerivatives {
        switch family {
        case .gaussian:
            let g = exp(-r * d * d)
            return KernelDerivatives(value: g, first: -2 * r * d * g, second: (4 * r * r * d * d - 2 * r) * g)
        case .studentT:
            let s = 5.0.squareRoot() * r, a = abs(d)
            let ex = exp(-s * a)
            return KernelDerivatives(value: (1 + s * a + s * s * a * a / 3) * ex,
                                     first: -(s * s / 3) * d * (1 + s * a) * ex,
                                     second: -(s * s / 3) * (1 + s * a - s * s * a * a) * ex)
        }
    }

    /// d/d(log r) of the envelope's value and first two d-derivatives.
    private func envelopeLogRateDerivatives(_ r: Double, _ d: Double) -> KernelDerivatives {
        switch family {
        case .gaussian:
            // ∂/∂a of g, g′ = −2ad g, g″ = (4a²d² − 2a) g; times a.
            let g = exp(-r * d * d), d2 = d * d
            return KernelDerivatives(value: r * (-d2 * g),
                                     first: r * (-2 * d * g + 2 * r * d * d2 * g),
                                     second: r * ((8 * r * d2 - 2) * g - (4 * r * r * d2 - 2 * r) * d2 * g))
        case .studentT:
            // s = √5 b, so ∂/∂log b = s ∂/∂s.
            let s = 5.0.squareRoot() * r, a = abs(d)
            let ex = exp(-s * a)
            let dValue = -(s * a * a / 3) * (1 + s * a) * ex
            let dFirst = -(d / 3) * (2 * s + 2 * s * s * a - s * s * s * a * a) * ex
            let dSecond = -(1.0 / 3) * (2 * s + 2 * s * s * a - 5 * s * s * s * a * a + s * s * s * s * a * a * a) * ex
            return KernelDerivatives(value: s * dValue, first: s * dFirst, second: s * dSecond)
        }
    }

    /// The derivatives of (k, k′, k″) at lag d with respect to each parameter, in the order of
    /// `parameters`: entry i is ∂(k, k′, k″)/∂θᵢ. O(Q).
    public func parameterDerivatives(at d: Double) -> [KernelDerivatives] {
        let q = count
        var out = [KernelDerivatives](repeating: KernelDerivatives(value: 0, first: 0, second: 0), count: 3 * q)
        for (i, c) in components.enumerated() {
            let w = c.weight, r = c.rate
            let e = envelope(r, d)
            let de = envelopeLogRateDerivatives(r, d)
            let omega = 2 * Double.pi * c.frequency
            let cosine = cos(omega * d), sine = sin(omega * d)
            let c1 = -omega * sine, c2 = -omega * omega * cosine
            // ∂/∂ω of cos, c′, c″; ∂ω/∂μ = 2π.
            let dc0 = -d * sine, dc1 = -sine - omega * d * cosine, dc2 = -2 * omega * cosine + omega * omega * d * sine
            let phi0 = e.value * cosine, phi1 = e.first * cosine + e.value * c1
            let phi2 = e.second * cosine + 2 * e.first * c1 + e.value * c2
            out[i] = KernelDerivatives(value: w * phi0, first: w * phi1, second: w * phi2)
            out[q + i] = KernelDerivatives(value: w * de.value * cosine,
                                           first: w * (de.first * cosine + de.value * c1),
                                           second: w * (de.second * cosine + 2 * de.first * c1 + de.value * c2))
            let tp = 2 * Double.pi * w
            out[2 * q + i] = KernelDerivatives(value: tp * e.value * dc0,
                                               first: tp * (e.first * dc0 + e.value * dc1),
                                               second: tp * (e.second * dc0 + 2 * e.first * dc1 + e.value * dc2))
        }
        return out
    }
}
