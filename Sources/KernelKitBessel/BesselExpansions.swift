import Foundation

/// The expansions behind `LogBessel`: each works on the log scale (or on ratios) for valid inputs
/// v ≥ 0, x > 0 and is chosen by region in `LogBessel`. Internal; the regions and their accuracy
/// are documented on `LogBessel`.
enum BesselExpansions {
    // MARK: Region boundaries

    /// Orders v ≥ this use the uniform large-order (Debye) expansion for every x.
    static let debyeMinimumOrder = 20.0

    /// For v < 20 the Hankel expansion of I is used for x ≥ max(30, 0.3 v²): there its terms stay
    /// below 2 in magnitude and fall under 1e-17 within 40 terms (checked for v ∈ [0, 20]).
    @inline(__always)
    static func hankelMinimumArgument(_ v: Double) -> Double { max(30, 0.3 * v * v) }

    /// log K for v < 20 uses Temme's series for x ≤ 2 and Steed's continued fraction CF2 above.
    static let temmeMaximumArgument = 2.0

    // MARK: Power series of I (DLMF 10.25.2)

    /// S_v(x) = Σ_k (x²/4)^k / (k! (v+1)_k), so that I_v(x) = (x/2)^v S_v(x) / Γ(v+1).
    /// All terms are positive (no cancellation); about x/2 + 40 terms for x ≤ 120.
    @inline(__always)
    static func seriesSum(_ v: Double, _ x: Double) -> Double {
        let q = 0.25 * x * x
        var term = 1.0
        var sum = 1.0
        var k = 1.0
        while true {
            let denominator = k * (k + v)
            term *= q / denominator
            sum += term
            if term <= 1e-17 * sum && denominator > q { break }
            k += 1
        }
        return sum
    }

    /// log I_v(x) = v log(x/2) − log Γ(v+1) + log S_v(x).
    static func seriesLogI(_ v: Double, _ x: Double) -> Double {
        let prefactor = v == 0 ? 0 : v * log(0.5 * x) - lgamma(v + 1)
        return prefactor + log(seriesSum(v, x))
    }

    // MARK: Hankel large-argument expansion (DLMF 10.40.1)

    /// H_v(x) = Σ_k (−1)^k a_k(v)/x^k with a_k(v) = Π_{j≤k} (4v² − (2j−1)²)/(8^k k!), so that
    /// I_v(x) ≈ e^x H_v(x)/√(2πx) up to the exponentially small e^{−x} part (relative e^{−2x} < e^{−60}).
    @inline(__always)
    static func hankelSum(_ v: Double, _ x: Double) -> Double {
        let m = 4 * v * v
        var term = 1.0
        var sum = 1.0
        for k in 1...40 {
            let odd = Double(2 * k - 1)
            term *= -(m - odd * odd) / (8 * Double(k) * x)
            sum += term
            if abs(term) <= 1e-17 * abs(sum) { break }
        }
        return sum
    }

    /// log I_v(x) = x − ½ log(2πx) + log H_v(x).
    static func hankelLogI(_ v: Double, _ x: Double) -> Double {
        x - 0.5 * log(2 * Double.pi * x) + log(hankelSum(v, x))
    }

    // MARK: Debye uniform large-order expansion (DLMF 10.41.3–10.41.5)

    /// Coefficients of the Debye polynomials U_k(p) = p^k Σ_j c_{k,j} p^{2j} (j = 0…k) and of
    /// V_k(p) (same form), built from the recurrences DLMF 10.41.10 and 10.41.11 in Float64:
    /// U_{k+1} = ½p²(1−p²)U_k′ + ⅛∫₀ᵖ(1−5t²)U_k dt,  V_k = U_k + p(p²−1)(½U_{k−1} + pU_{k−1}′).
    /// `bound[k]` ≥ max over p ∈ [0,1] of |U_k|, |V_k| (sampled, with a 2× margin).
    struct DebyeTable: Sendable {
        let u: [[Double]]
        let w: [[Double]]
        let bound: [Double]

        static let termCount = 17

        init() {
            // Full polynomials in p, index = power.
            var full: [[Double]] = [[1]]
            for k in 0..<(Self.termCount - 1) {
                let current = full[k]
                var next = [Double](repeating: 0, count: current.count + 3)
                for (e, c) in current.enumerated() where c != 0 {
                    if e > 0 {
                        let d = c * Double(e)
                        next[e + 1] += d / 2
                        next[e + 3] -= d / 2
                    }
                    next[e + 1] += c / (8 * Double(e + 1))
                    next[e + 3] -= 5 * c / (8 * Double(e + 3))
                }
                full.append(next)
            }
            var fullV: [[Double]] = [[1]]
            for k in 1..<Self.termCount {
                var v = full[k]
                let previous = full[k - 1]
                // p(p²−1)(½U + pU′) = (p³ − p)·Σ (½ + e) c_e p^e
                for (e, c) in previous.enumerated() where c != 0 {
                    let g = (0.5 + Double(e)) * c
                    if v.count < e + 4 { v += [Double](repeating: 0, count: e + 4 - v.count) }
                    v[e + 3] += g
                    v[e + 1] -= g
                }
                fullV.append(v)
            }
            func pack(_ poly: [Double], _ k: Int) -> [Double] {
                (0...k).map { j in k + 2 * j < poly.count ? poly[k + 2 * j] : 0 }
            }
            u = (0..<Self.termCount).map { pack(full[$0], $0) }
            w = (0..<Self.termCount).map { pack(fullV[$0], $0) }
            var bounds: [Double] = []
            for k in 0..<Self.termCount {
                var m = 0.0
                for i in 0...200 {
                    let p = Double(i) / 200
                    m = max(m, abs(Self.evaluate(u[k], k, p)), abs(Self.evaluate(w[k], k, p)))
                }
                bounds.append(2 * m)
            }
            bound = bounds
        }

        @inline(__always)
        static func evaluate(_ c: [Double], _ k: Int, _ p: Double) -> Double {
            let p2 = p * p
            var s = c[k]
            var j = k - 1
            while j >= 0 { s = s * p2 + c[j]; j -= 1 }
            var pk = 1.0
            for _ in 0..<k { pk *= p }
            return s * pk
        }

        /// The number of terms n such that bound[n]/v^n < 1e-17 (at most termCount).
        @inline(__always)
        func terms(for v: Double) -> Int {
            var scale = 1.0
            for k in 1..<Self.termCount {
                scale /= v
                if bound[k] * scale < 1e-17 { return k }
            }
            return Self.termCount
        }
    }

    static let debye = DebyeTable()

    /// z₀ ≈ 0.6627, the root of η(z) = √(1+z²) − arsinh(1/z), as a double-double (hi + lo).
    static let etaRootHigh = 0.6627434193491816
    static let etaRootLow = 8.155323790501267e-18

    /// Taylor coefficients of η about z₀: η(z₀ + δ) = Σ_{k≥1} c_k δ^k (computed once at 40 digits).
    static let etaTaylor: [Double] = [
        1.8101705806989772, -0.948886416256837, 1.1001528948506503, -1.2953006779860539,
        1.5715455665619724, -1.9710295801345066, 2.5442226725502084, -3.3574176889619283,
        4.503639745039154, -6.116916154170854, 8.391114712091305, -11.606012767320623,
        16.16472543589419, -22.648266391101256, 31.895268490233818, -45.1183158825841,
        64.07357479975221, -91.30824550094451, 130.52190238409395, -187.09471362813002,
        268.8603633821991, -387.2380100873396,
    ]

    /// v·η(x/v), η(z) = √(1+z²) + log(z/(1+√(1+z²))). Near its root z₀ the two terms cancel and the
    /// rounding of z = x/v would cost v·√(1+z²)·ε absolute, so for |x/v − z₀| < 0.1 the Taylor
    /// series about z₀ is used with x − v z₀ formed exactly enough by a fused multiply-add.
    @inline(__always)
    static func vEta(_ v: Double, _ x: Double, _ s: Double) -> Double {
        let w = fma(-v, etaRootHigh, x) - v * etaRootLow
        let delta = w / v
        if abs(delta) < 0.1 {
            var sum = etaTaylor[etaTaylor.count - 1]
            var k = etaTaylor.count - 2
            while k >= 0 { sum = sum * delta + etaTaylor[k]; k -= 1 }
            return w * sum
        }
        return v * (s - asinh(v / x))
    }

    /// Debye sums Σ U_k(p)/v^k − 1 and Σ (−1)^k U_k(p)/v^k − 1 (tails, for log1p).
    @inline(__always)
    static func debyeTails(_ v: Double, _ p: Double) -> (i: Double, k: Double) {
        let table = debye
        let n = table.terms(for: v)
        var tailI = 0.0
        var tailK = 0.0
        var scale = 1.0
        let pv = p / v
        let p2 = p * p
        for k in 1..<n {
            scale *= pv
            let c = table.u[k]
            var s = c[k]
            var j = k - 1
            while j >= 0 { s = s * p2 + c[j]; j -= 1 }
            let term = s * scale
            tailI += term
            tailK += (k & 1 == 0) ? term : -term
        }
        return (tailI, tailK)
    }

    /// (log I_v(x), log K_v(x)) by the Debye expansion, v ≥ 20:
    /// log I = vη − ½log(2πv) + ½log p + log Σ U_k(p)/v^k,
    /// log K = −vη + ½log(π/(2v)) + ½log p + log Σ (−1)^k U_k(p)/v^k, p = 1/√(1+z²), z = x/v.
    static func debyeLogIK(_ v: Double, _ x: Double) -> (logI: Double, logK: Double) {
        let z = x / v
        let s = (1 + z * z).squareRoot()
        let p = 1 / s
        let eta = vEta(v, x, s)
        let tails = debyeTails(v, p)
        let common = 0.5 * log(p)
        let logI = eta - 0.5 * log(2 * Double.pi * v) + common + log1p(tails.i)
        let logK = -eta + 0.5 * log(Double.pi / (2 * v)) + common + log1p(tails.k)
        return (logI, logK)
    }

    static func debyeLogI(_ v: Double, _ x: Double) -> Double {
        let z = x / v
        let s = (1 + z * z).squareRoot()
        let p = 1 / s
        return vEta(v, x, s) - 0.5 * log(2 * Double.pi * v) + 0.5 * log(p) + log1p(debyeTails(v, p).i)
    }

    static func debyeLogK(_ v: Double, _ x: Double) -> Double {
        let z = x / v
        let s = (1 + z * z).squareRoot()
        let p = 1 / s
        return -vEta(v, x, s) + 0.5 * log(Double.pi / (2 * v)) + 0.5 * log(p) + log1p(debyeTails(v, p).k)
    }

    /// I_v(x)/I_{v−1}(x) for v ≥ 20 from DLMF 10.41.3 and 10.41.5 and I_{v−1} = I_v′ + (v/x) I_v:
    /// ratio = z / (1 + √(1+z²)·ΣV_k(p)/v^k / ΣU_k(p)/v^k), all terms relative-accurate.
    static func debyeRatio(_ v: Double, _ x: Double) -> Double {
        let table = debye
        let z = x / v
        let s = (1 + z * z).squareRoot()
        let p = 1 / s
        let n = table.terms(for: v)
        var su = 1.0
        var sv = 1.0
        var scale = 1.0
        let pv = p / v
        let p2 = p * p
        for k in 1..<n {
            scale *= pv
            let cu = table.u[k]
            let cv = table.w[k]
            var a = cu[k]
            var b = cv[k]
            var j = k - 1
            while j >= 0 { a = a * p2 + cu[j]; b = b * p2 + cv[j]; j -= 1 }
            su += a * scale
            sv += b * scale
        }
        return z / (1 + s * sv / su)
    }

    // MARK: K for v < 20: Temme's series (x ≤ 2), Steed's CF2 (x > 2), forward recurrence

    /// Taylor coefficients of 1/Γ(z) = Σ_{k≥1} a_k z^k (a₁ = 1, a₂ = γ; A&S 6.1.34, recomputed at 40 digits).
    static let reciprocalGammaTaylor: [Double] = [
        1.0, 0.5772156649015329, -0.6558780715202539, -0.04200263503409524, 0.16653861138229148,
        -0.04219773455554433, -0.009621971527876973, 0.0072189432466631, -0.0011651675918590652,
        -0.00021524167411495098, 0.0001280502823881162, -2.013485478078824e-05, -1.2504934821426706e-06,
        1.133027231981696e-06, -2.056338416977607e-07, 6.116095104481416e-09, 5.002007644469223e-09,
        -1.18127457048702e-09, 1.0434267116911005e-10, 7.782263439905071e-12, -3.696805618642206e-12,
        5.100370287454476e-13, -2.0583260535665066e-14, -5.348122539423018e-15, 1.2267786282382608e-15,
        -1.1812593016974588e-16, 1.1866922547516004e-18, 1.4123806553180319e-18, -2.29874568443537e-19,
    ]

    /// (K_μ(x), K_{μ+1}(x)) for |μ| ≤ ½, 0 < x ≤ 2 by Temme's series (N. M. Temme, "On the numerical
    /// evaluation of the modified Bessel function of the third kind", J. Comput. Phys. 19, 1975).
    /// Γ₁(μ) = (1/Γ(1−μ) − 1/Γ(1+μ))/(2μ) and Γ₂(μ) = (1/Γ(1−μ) + 1/Γ(1+μ))/2 come from the
    /// even/odd parts of the 1/Γ Taylor series, so μ → 0 needs no special case.
    static func temme(_ mu: Double, _ x: Double) -> (k0: Double, k1: Double) {
        let a = reciprocalGammaTaylor
        var gamma1 = 0.0 // −Σ_{k even} a_k μ^{k−2}
        var gamma2 = 0.0 // Σ_{k odd} a_k μ^{k−1}
        var index = a.count - 1
        let mu2 = mu * mu
        // a[index] is a_{index+1}; accumulate by Horner in μ².
        while index >= 0 {
            let k = index + 1
            if k % 2 == 0 { gamma1 = gamma1 * mu2 - a[index] } else { gamma2 = gamma2 * mu2 + a[index] }
            index -= 1
        }
        let reciprocalGammaPlus = gamma2 - mu * gamma1  // 1/Γ(1+μ) = Γ₂ − μΓ₁
        let reciprocalGammaMinus = gamma2 + mu * gamma1 // 1/Γ(1−μ) = Γ₂ + μΓ₁
        let half = 0.5 * x
        let piMu = Double.pi * mu
        let factor = abs(piMu) < 1e-300 ? 1 : piMu / sin(piMu)
        let d = -log(half)
        let e = mu * d
        let sinhcE = abs(e) < 1e-300 ? 1 : sinh(e) / e
        var f = factor * (gamma1 * cosh(e) + gamma2 * sinhcE * d)
        var sum = f
        let ee = exp(e)
        var p = 0.5 * ee / reciprocalGammaPlus
        var q = 0.5 / (ee * reciprocalGammaMinus)
        var c = 1.0
        let quarter = half * half
        var sum1 = p
        var i = 1.0
        while i < 200 {
            f = (i * f + p + q) / (i * i - mu2)
            c *= quarter / i
            p /= i - mu
            q /= i + mu
            let delta = c * f
            sum += delta
            sum1 += c * (p - i * f)
            if abs(delta) < abs(sum) * 1e-17 { break }
            i += 1
        }
        return (sum, sum1 / half)
    }

    /// (log K_μ(x), K_{μ+1}(x)/K_μ(x)) for |μ| ≤ ½, x > 2 by Steed's algorithm for the continued
    /// fraction CF2 (I. J. Thompson & A. R. Barnett, J. Comput. Phys. 64, 1986):
    /// e^x K_μ(x) = √(π/(2x)) / S with S the series of the CF2 convergents. ~10–60 iterations.
    static func steed(_ mu: Double, _ x: Double) -> (logK0: Double, ratio: Double) {
        var b = 2 * (1 + x)
        var d = 1 / b
        var h = d
        var deltaH = d
        var q1 = 0.0
        var q2 = 1.0
        let a1 = 0.25 - mu * mu
        var q = a1
        var c = a1
        var a = -a1
        var s = 1 + q * deltaH
        var i = 1.0
        while i < 10_000 {
            a -= 2 * i
            c = -a * c / (i + 1)
            let qNew = (q1 - b * q2) / a
            q1 = q2
            q2 = qNew
            q += c * qNew
            b += 2
            d = 1 / (b + a * d)
            deltaH = (b * d - 1) * deltaH
            h += deltaH
            let deltaS = q * deltaH
            s += deltaS
            if abs(deltaS) < abs(s) * 1e-17 { break }
            i += 1
        }
        h *= a1
        let logK0 = 0.5 * log(Double.pi / (2 * x)) - x - log(s)
        return (logK0, (mu + x + 0.5 - h) / x)
    }

    /// log K_v(x) for 0 ≤ v < 20: K_μ, K_{μ+1} with μ = v − round(v) ∈ [−½, ½), then the forward
    /// recurrence K_{ν+1} = K_{ν−1} + (2ν/x) K_ν on ratios (stable for K; positive terms only), with
    /// the logarithm of the running product taken whenever it grows past 1e280.
    static func smallOrderLogK(_ v: Double, _ x: Double) -> Double {
        let n = Int((v + 0.5).rounded(.down))
        let mu = v - Double(n)
        var logK: Double
        var ratio: Double
        if x <= temmeMaximumArgument {
            let (k0, k1) = temme(mu, x)
            logK = log(k0)
            ratio = k1 / k0
        } else {
            (logK, ratio) = steed(mu, x)
        }
        if n == 0 { return logK }
        var product = ratio
        for k in 1..<n {
            ratio = 2 * (mu + Double(k)) / x + 1 / ratio
            product *= ratio
            if product > 1e280 {
                logK += log(product)
                product = 1
            }
        }
        return logK + log(product)
    }

    /// log I_v(x) for 0 ≤ v < 20: power series below max(30, 0.3v²), Hankel above.
    @inline(__always)
    static func smallOrderLogI(_ v: Double, _ x: Double) -> Double {
        x < hankelMinimumArgument(v) ? seriesLogI(v, x) : hankelLogI(v, x)
    }

    /// I_v(x)/I_{v−1}(x) for 1 ≤ v < 20: (x/(2v))·S_v/S_{v−1} below the Hankel threshold, H_v/H_{v−1} above.
    static func smallOrderRatio(_ v: Double, _ x: Double) -> Double {
        if x < hankelMinimumArgument(v) {
            return x / (2 * v) * seriesSum(v, x) / seriesSum(v - 1, x)
        }
        return hankelSum(v, x) / hankelSum(v - 1, x)
    }
}
