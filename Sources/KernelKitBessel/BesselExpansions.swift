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

    /// S_v(x) − 1 = Σ_{k≥1} (x²/4)^k / (k! (v+1)_k), where I_v(x) = (x/2)^v S_v(x) / Γ(v+1), for four
    /// rows (see `Lanes`). All terms are positive (no cancellation). Term k is term k−1 times
    /// q/d_k, q = x²/4, d_k = k(k+v); the terms are taken four at a time with one division,
    /// 1/d_j = (Π_{i≠j} d_i)/(d_1d_2d_3d_4) (d_i ≤ ~1.5e4 here, so no overflow), and a row stops after
    /// the block whose last term is below 1e-17·S with d_k > q (the terms then fall geometrically).
    /// About x/2 + 40 terms for x ≤ 120, fewer for small x.
    @inline(__always)
    static func seriesTail(_ v: Lanes, _ x: Lanes) -> Lanes {
        let q = 0.25 * x * x
        var term = Lanes(repeating: 1)
        var tail = Lanes(repeating: 0)
        var done = SIMDMask<Lanes.MaskStorage>(repeating: false)
        var k = 1.0
        while true {
            let d1 = k * (k + v), d2 = (k + 1) * (k + 1 + v)
            let d3 = (k + 2) * (k + 2 + v), d4 = (k + 3) * (k + 3 + v)
            let d12 = d1 * d2, d34 = d3 * d4
            let reciprocal = 1 / (d12 * d34)
            let qr = q * reciprocal
            let t1 = term * (qr * (d2 * d34))
            let t2 = t1 * (qr * (d1 * d34))
            let t3 = t2 * (qr * (d12 * d4))
            let t4 = t3 * (qr * (d12 * d3))
            tail += ((t1 + t2) + (t3 + t4)).replacing(with: 0, where: done)
            term = t4
            done .|= (t4 .<= 1e-17 * (1 + tail)) .& (d4 .> q)
            if all(done) { break }
            k += 4
        }
        return tail
    }

    /// S_v(x) = 1 + `seriesTail`, one row.
    @inline(__always)
    static func seriesSum(_ v: Double, _ x: Double) -> Double {
        1 + seriesTail(Lanes(repeating: v), Lanes(repeating: x))[0]
    }

    /// log I_v(x) = v log(x/2) − log Γ(v+1) + log S_v(x) for four rows, the last as log1p of the tail
    /// (so log I_0(x) ≈ x²/4 keeps its relative accuracy as x → 0; one call, no branch on the tail's size).
    @inline(__always)
    static func seriesLogI(_ v: Lanes, _ x: Lanes) -> Lanes {
        let tail = seriesTail(v, x)
        var out = Lanes()
        let count = laneCount(v, x)
        for lane in 0..<count {
            let vi = v[lane], ti = tail[lane]
            let prefactor = vi == 0 ? 0 : vi * log(0.5 * x[lane]) - lgamma(vi + 1)
            out[lane] = prefactor + log1p(ti)
        }
        return broadcastIfScalar(out, count)
    }

    // MARK: Hankel large-argument expansion (DLMF 10.40.1)

    /// The Hankel sums H_v^±(x) = Σ_k (±1)^k a_k(v)/x^k with a_k(v) = Π_{j≤k} (4v² − (2j−1)²)/(8^k k!),
    /// for four rows (see `Lanes`):
    /// I_v(x) ≈ e^x H⁻/√(2πx) up to the exponentially small e^{−x} part (relative e^{−2x} < e^{−60}),
    /// and K_v(x) = √(π/(2x)) e^{−x} H⁺ (DLMF 10.40.2). Used for v < 20, x ≥ max(30, 0.3v²), where
    /// the terms stay below 2 in magnitude and fall under 1e-17 within 40 terms. `scale` = 1/(8x).
    @inline(__always)
    static func hankelSums(_ v: Lanes, scale: Lanes) -> (minus: Lanes, plus: Lanes) {
        let m = 4 * v * v
        var term = Lanes(repeating: 1)
        var even = Lanes(repeating: 1)
        var odd = Lanes(repeating: 0)
        var done = SIMDMask<Lanes.MaskStorage>(repeating: false)
        reciprocalIntegers.withUnsafeBufferPointer { reciprocal in
            var k = 1
            while k <= 40 {
                let odd2 = Double(2 * k - 1)
                term *= (m - odd2 * odd2) * scale * reciprocal[k]
                let added = term.replacing(with: 0, where: done)
                if k & 1 == 0 { even += added } else { odd += added }
                let tolerance = 1e-16 * even
                done .|= (term .<= tolerance) .& (term .>= -tolerance)
                if all(done) { break }
                k += 1
            }
        }
        return (even - odd, even + odd)
    }

    /// 1/k for k = 0 … 40 (entry 0 unused).
    static let reciprocalIntegers: [Double] = (0...40).map { $0 == 0 ? 0 : 1 / Double($0) }

    /// H_v⁻(x) alone, one row (for the ratio of Hankel sums).
    @inline(__always)
    static func hankelSum(_ v: Double, _ x: Double) -> Double {
        hankelSums(Lanes(repeating: v), scale: Lanes(repeating: 1 / (8 * x))).minus[0]
    }

    /// log I_v(x) = x + ½ log((H⁻)²/(2πx)) for four rows (no square root: 1/(2πx) = (4/π)/(8x)).
    @inline(__always)
    static func hankelLogI(_ v: Lanes, _ x: Lanes) -> Lanes {
        let scale = 1 / (8 * x)
        let h = hankelSums(v, scale: scale).minus
        return x + 0.5 * logLanes(h * h * (scale * (4 / Double.pi)))
    }

    /// log K_v(x) = −x + ½ log((H⁺)² π/(2x)) for four rows (π/(2x) = 4π/(8x)).
    @inline(__always)
    static func hankelLogK(_ v: Lanes, _ x: Lanes) -> Lanes {
        let scale = 1 / (8 * x)
        let h = hankelSums(v, scale: scale).plus
        return -x + 0.5 * logLanes(h * h * (scale * (4 * Double.pi)))
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
        /// `scaledBound[k]` ≥ max over p ∈ (0,1] of |U_k(p)|/p^k, |V_k(p)|/p^k (sampled, 2× margin), so
        /// that |U_k(p)|/v^k ≤ min(bound[k], scaledBound[k]·p^k)/v^k: far fewer terms when x ≫ v.
        let scaledBound: [Double]

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
            var scaled: [Double] = []
            for k in 0..<Self.termCount {
                var m = 0.0
                var ms = 0.0
                for i in 0...400 {
                    let p = Double(i) / 400
                    m = max(m, abs(Self.evaluate(u[k], k, p)), abs(Self.evaluate(w[k], k, p)))
                    ms = max(ms, abs(Self.evenPart(u[k], p)), abs(Self.evenPart(w[k], p)))
                }
                bounds.append(2 * m)
                scaled.append(2 * ms)
            }
            bound = bounds
            scaledBound = scaled
        }

        /// Σ_j c_j p^{2j}, i.e. U_k(p)/p^k for packed coefficients c.
        static func evenPart(_ c: [Double], _ p: Double) -> Double {
            var s = 0.0
            for a in c.reversed() { s = s * p * p + a }
            return s
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

        /// The number of terms n such that min(bound[n], scaledBound[n]·p^n)/v^n < 1e-16 (at most termCount):
        /// the first omitted term is below 1e-16 relative to the sum (which is ≥ ~0.9), i.e. below
        /// the rounding of the sum itself; the terms decrease fast enough that the rest is smaller.
        @inline(__always)
        func terms(inverseOrder inverse: Double, _ p: Double) -> Int {
            var scale = 1.0
            var scaleP = 1.0
            let pv = p * inverse
            for k in 1..<Self.termCount {
                scale *= inverse
                scaleP *= pv
                if min(bound[k] * scale, scaledBound[k] * scaleP) < 1e-16 { return k }
            }
            return Self.termCount
        }
    }

    static let debye = DebyeTable()

    /// Four rows evaluated together: the per-row kernels (Debye, power series, Hankel) work on
    /// `Lanes` so that the batch API runs four independent rows through each instruction (packed
    /// SSE2 arithmetic, and four dependency chains in flight), while the scalar API puts the same
    /// row in every lane. Loops run until every row has met its own stopping test, and a finished
    /// row adds nothing further (its terms are masked to 0), so each lane's value equals the
    /// single-row value bit for bit. Measured on the anchor inputs, four lanes beat two and eight.
    typealias Lanes = SIMD4<Double>

    /// log of each lane (libm).
    @inline(__always)
    static func logLanes(_ a: Lanes) -> Lanes {
        var out = Lanes()
        let count = laneCount(a, a)
        for lane in 0..<count { out[lane] = log(a[lane]) }
        return broadcastIfScalar(out, count)
    }

    /// How many lanes the per-lane libm calls must visit: 1 when every lane holds the same (a, b),
    /// as in a scalar call, and all of them otherwise (then `broadcastIfScalar` copies lane 0, so a
    /// scalar call pays for its libm calls once, not four times; the values are the same either way).
    @inline(__always)
    static func laneCount(_ a: Lanes, _ b: Lanes) -> Int {
        a == Lanes(repeating: a[0]) && b == Lanes(repeating: b[0]) ? 1 : Lanes.scalarCount
    }

    /// `a` with lane 0 copied to every lane when `count` = 1 (see `laneCount`), else `a`.
    @inline(__always)
    static func broadcastIfScalar(_ a: Lanes, _ count: Int) -> Lanes {
        count == 1 ? Lanes(repeating: a[0]) : a
    }

    /// √(1+z²) without overflow for huge z (z > 1e150 gives z, exact to rounding).
    @inline(__always)
    static func hypotOne(_ z: Double) -> Double { z < 1e150 ? (1 + z * z).squareRoot() : z }

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

    /// v·η(x/v), η(z) = √(1+z²) + log(z/(1+√(1+z²))), with h = √(v²+x²) = v√(1+z²), z = x/v, for
    /// four rows at once, as (base, scale, argument) with vη = base + scale·log(argument). Near its
    /// root z₀ the two terms cancel and the rounding of z would cost v·√(1+z²)·ε absolute, so for
    /// |x/v − z₀| < 0.1 the Taylor series about z₀ is used with x − v z₀ formed exactly enough by a
    /// fused multiply-add (scale 0, argument 1). Elsewhere vη = h − v·log((v+h)/x) (one logarithm,
    /// absolute error ~2ε, i.e. ≤ ~7ε relative to vη outside the window).
    @inline(__always)
    static func vEta(_ v: Lanes, _ x: Lanes, _ h: Lanes) -> (base: Lanes, scale: Lanes, argument: Lanes) {
        // Window test with the plain product (no fused multiply-add call outside the window).
        let offset = x - v * etaRootHigh
        let width = 0.1 * v
        let inWindow = (offset .< width) .& (offset .> -width)
        var base = h
        var scale = -v
        var argument = (v + h) / x
        if any(inWindow) {
            let w = x.addingProduct(-v, Lanes(repeating: etaRootHigh)) - v * etaRootLow
            let delta = w / v
            let taylor = etaTaylor.withUnsafeBufferPointer { c -> Lanes in
                var sum = Lanes(repeating: c[c.count - 1])
                var k = c.count - 2
                while k >= 0 { sum = sum * delta + c[k]; k -= 1 }
                return w * sum
            }
            base.replace(with: taylor, where: inWindow)
            scale.replace(with: 0, where: inWindow)
            argument.replace(with: 1, where: inWindow)
        }
        return (base, scale, argument)
    }

    /// √(v² + x²) without overflow, four rows at once.
    @inline(__always)
    static func hypotenuse(_ v: Lanes, _ x: Lanes) -> Lanes {
        if all((v .< 1e150) .& (x .< 1e150)) { return (v * v + x * x).squareRoot() }
        let m = pointwiseMax(v, x)
        let r = pointwiseMin(v, x) / m
        return m * (1 + r * r).squareRoot()
    }

    /// Debye sums (Σ U_k(p)/v^k, Σ (−1)^k U_k(p)/v^k) for four rows, k = 0 … n−1 with n as in
    /// `DebyeTable.terms` for each row (a row whose stopping test has passed adds no further terms,
    /// so each lane equals the sum for its row alone; the loop runs until every row is done).
    /// Each U_k(p)/p^k is a polynomial in p² of degree k, evaluated by Horner's rule.
    @inline(__always)
    static func debyeSums(_ v: Lanes, _ p: Lanes) -> (i: Lanes, k: Lanes) {
        let inverse = 1 / v // independent of p: off the dependent chain h → p → sums
        let pv = p * inverse
        let p2 = p * p
        let width = DebyeTable.termCount
        let table = debye
        return debyePaddedU.withUnsafeBufferPointer { c in
            table.bound.withUnsafeBufferPointer { bound in
                table.scaledBound.withUnsafeBufferPointer { scaledBound in
                    var even = Lanes(repeating: 0)
                    var odd = Lanes(repeating: 0)
                    var scale = Lanes(repeating: 1)  // v^−k
                    var scaleP = Lanes(repeating: 1) // (p/v)^k
                    var done = SIMDMask<Lanes.MaskStorage>(repeating: false)
                    var k = 1
                    while k < DebyeTable.termCount {
                        scale *= inverse
                        scaleP *= pv
                        // min(bound·v^−k, scaledBound·(p/v)^k) < 1e-16, as two packed compares
                        done .|= (bound[k] * scale .< 1e-16) .| (scaledBound[k] * scaleP .< 1e-16)
                        if all(done) { break }
                        let row = k * width
                        var s = Lanes(repeating: c[row + k])
                        var j = k - 1
                        while j >= 0 { s = s * p2 + c[row + j]; j -= 1 }
                        let term = (s * scaleP).replacing(with: 0, where: done)
                        if k & 1 == 0 { even += term } else { odd += term }
                        k += 1
                    }
                    return (1 + (even + odd), 1 + (even - odd))
                }
            }
        }
    }

    /// U_k's packed coefficients, row k = k·termCount, zero-padded to termCount entries.
    static let debyePaddedU: [Double] = debye.u.flatMap { $0 + [Double](repeating: 0, count: DebyeTable.termCount - $0.count) }

    /// (log I_v(x), log K_v(x)) by the Debye expansion, v ≥ 20 (DLMF 10.41.3, 10.41.4), for four rows:
    /// log I = vη + log(√(p/(2πv)) Σ U_k(p)/v^k), log K = −vη + log(√(πp/(2v)) Σ (−1)^k U_k(p)/v^k),
    /// p = 1/√(1+z²) = v/√(v²+x²), z = x/v; one logarithm per function besides the one in vη.
    @inline(__always)
    static func debyeLogIK(_ v: Lanes, _ x: Lanes) -> (logI: Lanes, logK: Lanes) {
        let h = hypotenuse(v, x)
        let p = v / h
        let eta = vEta(v, x, h)
        let sums = debyeSums(v, p)
        let root = (p / v).squareRoot()
        let logArgument = logLanes(eta.argument)
        let logI = (eta.base + eta.scale * logArgument) + logLanes(sums.i * root * 0.3989422804014327)
        let logK = (-eta.base - eta.scale * logArgument) + logLanes(sums.k * root * 1.2533141373155003)
        return (logI, logK)
    }

    /// log I_v(x) by the Debye expansion (v ≥ 20) for four rows; see `debyeLogIK`.
    @inline(__always)
    static func debyeLogI(_ v: Lanes, _ x: Lanes) -> Lanes {
        let h = hypotenuse(v, x)
        let p = v / h
        let eta = vEta(v, x, h)
        let second = debyeSums(v, p).i * (p / v).squareRoot() * 0.3989422804014327
        return (eta.base + eta.scale * logLanes(eta.argument)) + logLanes(second)
    }

    /// log K_v(x) by the Debye expansion (v ≥ 20) for four rows; see `debyeLogIK`.
    @inline(__always)
    static func debyeLogK(_ v: Lanes, _ x: Lanes) -> Lanes {
        let h = hypotenuse(v, x)
        let p = v / h
        let eta = vEta(v, x, h)
        let second = debyeSums(v, p).k * (p / v).squareRoot() * 1.2533141373155003
        return (-eta.base - eta.scale * logLanes(eta.argument)) + logLanes(second)
    }

    /// I_v(x)/I_{v−1}(x) for v ≥ 20 from DLMF 10.41.3 and 10.41.5 and I_{v−1} = I_v′ + (v/x) I_v:
    /// ratio = z / (1 + √(1+z²)·ΣV_k(p)/v^k / ΣU_k(p)/v^k), all terms relative-accurate.
    static func debyeRatio(_ v: Double, _ x: Double) -> Double {
        let table = debye
        let z = x / v
        let s = hypotOne(z)
        let p = 1 / s
        let n = table.terms(inverseOrder: 1 / v, p)
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

    /// The even- and odd-indexed coefficients a_2, a_4, … and a_1, a_3, … of `reciprocalGammaTaylor`.
    static let reciprocalGammaEven: [Double] = stride(from: 1, to: reciprocalGammaTaylor.count, by: 2).map { reciprocalGammaTaylor[$0] }
    static let reciprocalGammaOdd: [Double] = stride(from: 0, to: reciprocalGammaTaylor.count, by: 2).map { reciprocalGammaTaylor[$0] }

    /// Temme's Γ₁(μ) = (1/Γ(1−μ) − 1/Γ(1+μ))/(2μ) = −Σ_{k even} a_k μ^{k−2} and
    /// Γ₂(μ) = (1/Γ(1−μ) + 1/Γ(1+μ))/2 = Σ_{k odd} a_k μ^{k−1} from `reciprocalGammaTaylor`, |μ| ≤ ½
    /// (truncation below 1e-19 there).
    @inline(__always)
    static func temmeGammas(_ mu: Lanes) -> (gamma1: Lanes, gamma2: Lanes) {
        let mu2 = mu * mu
        let gamma1 = reciprocalGammaEven.withUnsafeBufferPointer { -polynomial($0, mu2) }
        let gamma2 = reciprocalGammaOdd.withUnsafeBufferPointer { polynomial($0, mu2) }
        return (gamma1, gamma2)
    }

    /// Σ_j c[j] t^j as E(t²) + t·O(t²), E and O the even- and odd-indexed coefficients: two independent
    /// Horner chains, so about half the latency of one.
    @inline(__always)
    static func polynomial(_ c: UnsafeBufferPointer<Double>, _ t: Lanes) -> Lanes {
        let t2 = t * t
        let top = c.count - 1
        var even = Lanes(repeating: 0)
        var j = top & ~1
        while j >= 0 { even = even * t2 + c[j]; j -= 2 }
        var odd = Lanes(repeating: 0)
        j = top - 1 + (top & 1)
        while j >= 1 { odd = odd * t2 + c[j]; j -= 2 }
        return even + t * odd
    }

    /// (K_μ(x), K_{μ+1}(x)) for |μ| ≤ ½, 0 < x ≤ 2 and four rows by Temme's series (N. M. Temme, "On the
    /// numerical evaluation of the modified Bessel function of the third kind", J. Comput. Phys. 19, 1975).
    /// Γ₁(μ) = (1/Γ(1−μ) − 1/Γ(1+μ))/(2μ) and Γ₂(μ) = (1/Γ(1−μ) + 1/Γ(1+μ))/2 come from the
    /// even/odd parts of the 1/Γ Taylor series, so μ → 0 needs no special case. The series is summed
    /// two terms per step until the second term is below 1e-17 of the sum (≤ ~14 terms for x ≤ 2);
    /// a row that has converged adds nothing further (see `Lanes`).
    @inline(__always)
    static func temme(_ mu: Lanes, _ x: Lanes) -> (k0: Lanes, k1: Lanes) {
        let mu2 = mu * mu
        let (gamma1, gamma2) = temmeGammas(mu)
        let reciprocalGammaPlus = gamma2 - mu * gamma1  // 1/Γ(1+μ) = Γ₂ − μΓ₁
        let reciprocalGammaMinus = gamma2 + mu * gamma1 // 1/Γ(1−μ) = Γ₂ + μΓ₁
        let half = 0.5 * x
        let piMu = Double.pi * mu
        var factor = Lanes()
        var d = Lanes()
        var ee = Lanes()
        let count = laneCount(mu, x)
        for lane in 0..<count {
            factor[lane] = abs(piMu[lane]) < 1e-300 ? 1 : piMu[lane] / sin(piMu[lane])
            d[lane] = -log(half[lane])
            ee[lane] = exp(mu[lane] * d[lane])
        }
        factor = broadcastIfScalar(factor, count)
        d = broadcastIfScalar(d, count)
        ee = broadcastIfScalar(ee, count)
        let e = mu * d
        let eeInverse = 1 / ee
        let coshE = 0.5 * (ee + eeInverse)
        // sinh(e)/e: Σ e^{2j}/(2j+1)! (truncation < 1e-19) for |e| < ½, from e^{±e} above.
        let e2 = e * e
        var sinhcSeries = e2 * (1.0 / 1_307_674_368_000) + 1.0 / 6_227_020_800
        sinhcSeries = sinhcSeries * e2 + 1.0 / 39_916_800
        sinhcSeries = sinhcSeries * e2 + 1.0 / 362_880
        sinhcSeries = sinhcSeries * e2 + 1.0 / 5040
        sinhcSeries = sinhcSeries * e2 + 1.0 / 120
        sinhcSeries = sinhcSeries * e2 + 1.0 / 6
        sinhcSeries = sinhcSeries * e2 + 1
        let sinhcE = (0.5 * (ee - eeInverse) / e).replacing(with: sinhcSeries, where: (e .< 0.5) .& (e .> -0.5))
        var f = factor * (gamma1 * coshE + gamma2 * sinhcE * d)
        var sum = f
        var p = 0.5 * ee / reciprocalGammaPlus
        var q = 0.5 * eeInverse / reciprocalGammaMinus
        var c = Lanes(repeating: 1)
        let quarter = half * half
        var sum1 = p
        var done = SIMDMask<Lanes.MaskStorage>(repeating: false)
        var i = 1.0
        while i < 200 {
            // Two terms per division: with D_j = j² − μ² and R = 1/(D_i D_{i+1} i (i+1)), the
            // reciprocals 1/D_i, 1/D_{i+1}, 1/i, 1/(i+1) are products with R (all factors ≤ 4e4 for
            // the ≤ 200 terms, so no overflow); 1/(j∓μ) = (j±μ)/D_j.
            let i1 = i + 1
            let d0 = i * i - mu2, d1 = i1 * i1 - mu2
            let dd = d0 * d1, ii = i * i1
            let reciprocal = 1 / (dd * ii)
            let r0 = d1 * ii * reciprocal, r1 = d0 * ii * reciprocal
            let inverse0 = dd * i1 * reciprocal, inverse1 = dd * i * reciprocal
            f = f * (i * r0) + (p + q) * r0 // one multiply-add on the loop-carried chain
            c *= quarter * inverse0
            p *= (i + mu) * r0
            q *= (i - mu) * r0
            sum += (c * f).replacing(with: 0, where: done)
            sum1 += (c * (p - i * f)).replacing(with: 0, where: done)
            f = f * (i1 * r1) + (p + q) * r1
            c *= quarter * inverse1
            p *= (i1 + mu) * r1
            q *= (i1 - mu) * r1
            let delta1 = (c * f).replacing(with: 0, where: done)
            sum += delta1
            sum1 += (c * (p - i1 * f)).replacing(with: 0, where: done)
            let tolerance = 1e-17 * sum.replacing(with: -sum, where: sum .< 0)
            done .|= (delta1 .< tolerance) .& (delta1 .> -tolerance)
            if all(done) { break }
            i += 2
        }
        return (sum, sum1 / half)
    }

    /// (e^x K_μ(x), K_{μ+1}(x)/K_μ(x)) for |μ| ≤ ½, x > 2 and four rows, by Steed's algorithm for the
    /// continued fraction CF2 (I. J. Thompson & A. R. Barnett, J. Comput. Phys. 64, 1986):
    /// e^x K_μ(x) = √(π/(2x)) / S with S the series of the CF2 convergents. ~10–60 iterations, taken
    /// two per loop step; a row stops after the step whose second term changes S by < 1e-16
    /// relative and then adds nothing further (see `Lanes`).
    @inline(__always)
    static func steed(_ mu: Lanes, _ x: Lanes) -> (scaledK0: Lanes, ratio: Lanes) {
        // Steed's D_n = 1/(b_n + a_n D_{n−1}) is D_n = B_{n−1}/B_n with the convergent denominators
        // B_n = b_n B_{n−1} + a_n B_{n−2}; ΔH_n = (b_n D_n − 1) ΔH_{n−1} = −a_n (B_{n−2}/B_n) ΔH_{n−1}.
        // Running the recurrence for B keeps the divisions off the loop-carried chains, and one
        // division per two iterations gives all four reciprocals 1/a_n, 1/a_{n+1}, 1/B_n, 1/B_{n+1}
        // (B is rescaled past 1e100, so the product a_n a_{n+1} B_n B_{n+1} stays below ~1e230).
        let prefactor = (Double.pi / (2 * x)).squareRoot()
        var b = 2 * (1 + x)
        var denominatorPrevious = Lanes(repeating: 1) // B_{n−2}
        var denominator = b                            // B_{n−1}
        var h = 1 / b
        var deltaH = h
        var q1 = Lanes(repeating: 0)
        var q2 = Lanes(repeating: 1)
        let a1 = 0.25 - mu * mu
        var q = a1
        var c = a1
        var a = -a1
        var s = 1 + q * deltaH
        var done = SIMDMask<Lanes.MaskStorage>(repeating: false)
        var i = 1.0
        while i < 10_000 {
            let i1 = i + 1, i2 = i + 2
            let inverseCounts = 1 / (i1 * i2) // 1/(i+1) = (i+2)·this, 1/(i+2) = (i+1)·this
            // The two steps' a, b and denominators, then one division for their reciprocals.
            let aFirst = a - 2 * i
            let aSecond = aFirst - 2 * i1
            let bFirst = b + 2
            let bSecond = bFirst + 2
            let nextFirst = bFirst * denominator + aFirst * denominatorPrevious
            let nextSecond = bSecond * nextFirst + aSecond * denominator
            let aa = aFirst * aSecond, nn = nextFirst * nextSecond
            let reciprocal = 1 / (aa * nn)
            let inverseAFirst = aSecond * nn * reciprocal, inverseASecond = aFirst * nn * reciprocal
            let inverseNextFirst = aa * nextSecond * reciprocal, inverseNextSecond = aa * nextFirst * reciprocal
            // First step.
            c *= -aFirst * (i2 * inverseCounts)
            let qFirst = (q1 - b * q2) * inverseAFirst
            q1 = q2
            q2 = qFirst
            q += c * qFirst
            deltaH *= (-aFirst * denominatorPrevious) * inverseNextFirst
            h += deltaH.replacing(with: 0, where: done)
            s += (q * deltaH).replacing(with: 0, where: done)
            // Second step.
            c *= -aSecond * (i1 * inverseCounts)
            let qSecond = (q1 - bFirst * q2) * inverseASecond
            q1 = q2
            q2 = qSecond
            q += c * qSecond
            deltaH *= (-aSecond * denominator) * inverseNextSecond
            h += deltaH.replacing(with: 0, where: done)
            let deltaS = (q * deltaH).replacing(with: 0, where: done)
            s += deltaS
            a = aSecond
            b = bSecond
            denominatorPrevious = nextFirst
            denominator = nextSecond
            let large = (denominator .> 1e100) .| (denominator .< -1e100)
            if any(large) {
                let rescale = Lanes(repeating: 1).replacing(with: 1e-100, where: large)
                denominatorPrevious *= rescale
                denominator *= rescale
            }
            let tolerance = 1e-16 * s.replacing(with: -s, where: s .< 0)
            // the rest changes s, h by < 1 ulp (checked)
            done .|= (deltaS .< tolerance) .& (deltaS .> -tolerance)
            if all(done) { break }
            i += 2
        }
        h *= a1
        return (prefactor / s, (mu + x + 0.5 - h) / x)
    }

    /// log K_v(x) for 0 ≤ v < 20: the Hankel expansion for x ≥ max(30, 0.3v²); below, K_μ, K_{μ+1}
    /// with μ = v − round(v) ∈ [−½, ½) from Temme's series (x ≤ 2, `temmeLogK`) or Steed's CF2
    /// (x > 2, `steedLogK`), then the forward recurrence (`forwardRecurrenceLogK`).
    static func smallOrderLogK(_ v: Double, _ x: Double) -> Double {
        let vv = Lanes(repeating: v), xx = Lanes(repeating: x)
        if x >= hankelMinimumArgument(v) { return hankelLogK(vv, xx)[0] }
        return (x <= temmeMaximumArgument ? temmeLogK(vv, xx) : steedLogK(vv, xx))[0]
    }

    /// log K_v(x) for 0 ≤ v < 20, 0 < x ≤ 2 and four rows: Temme's series for K_μ, K_{μ+1}, then the
    /// forward recurrence. For x < 1e-100 (below the accuracy range, where K_{μ+1} would overflow)
    /// and v ≥ ½ the leading small-x term K_v(x) = ½Γ(v)(2/x)^v (1 + O(x^{2v})) is returned instead
    /// (relative error below 1e-100).
    @inline(__always)
    static func temmeLogK(_ v: Lanes, _ x: Lanes) -> Lanes {
        let n = (v + 0.5).rounded(.down)
        let mu = v - n
        let (k0, k1) = temme(mu, x)
        var out = forwardRecurrenceLogK(n, mu, x, k0, k1, logScale: Lanes(repeating: 0))
        for lane in 0..<Lanes.scalarCount where n[lane] >= 1 && x[lane] < 1e-100 {
            out[lane] = lgamma(v[lane]) + v[lane] * log(2 / x[lane]) - log(2.0)
        }
        return out
    }

    /// log K_v(x) for 0 ≤ v < 20, 2 < x < max(30, 0.3v²) and four rows: Steed's CF2 for e^x K_μ and
    /// K_{μ+1}/K_μ, then the forward recurrence.
    @inline(__always)
    static func steedLogK(_ v: Lanes, _ x: Lanes) -> Lanes {
        let n = (v + 0.5).rounded(.down)
        let mu = v - n
        let (scaledK0, ratio) = steed(mu, x)
        return forwardRecurrenceLogK(n, mu, x, scaledK0, scaledK0 * ratio, logScale: -x)
    }

    /// log K_{μ+n}(x) from (a, b) = (K_μ(x), K_{μ+1}(x)) scaled by e^{−logScale}, for four rows, by the
    /// forward recurrence K_{ν+1} = K_{ν−1} + (2ν/x) K_ν (stable for K; positive terms only, one
    /// multiply-add per step), rescaled by 1e-200 whenever it grows past 1e200 (one step grows b by
    /// at most 2·20/x ≤ 4e101 for x ≥ 1e-100). Each row takes its own n − 1 steps (a row that has
    /// finished stays unchanged); n = 0 gives log a.
    @inline(__always)
    static func forwardRecurrenceLogK(_ n: Lanes, _ mu: Lanes, _ x: Lanes, _ a: Lanes, _ b: Lanes,
                                      logScale: Lanes) -> Lanes {
        var a = a
        var b = b
        var logScale = logScale
        let twoOverX = 2 / x
        let steps = n.max()
        var k = 1.0
        while k < steps {
            let active = Lanes(repeating: k) .< n
            let next = a + (mu + k) * twoOverX * b
            a.replace(with: b, where: active)
            b.replace(with: next, where: active)
            let large = b .> 1e200
            if any(large) {
                a.replace(with: a * 1e-200, where: large)
                b.replace(with: b * 1e-200, where: large)
                logScale.replace(with: logScale + 460.51701859880916, where: large) // 200 log 10
            }
            k += 1
        }
        return logScale + logLanes(b.replacing(with: a, where: n .== 0))
    }

    /// log I_v(x) for 0 ≤ v < 20, one row: power series below max(30, 0.3v²), Hankel above.
    @inline(__always)
    static func smallOrderLogI(_ v: Double, _ x: Double) -> Double {
        let vv = Lanes(repeating: v), xx = Lanes(repeating: x)
        return (x < hankelMinimumArgument(v) ? seriesLogI(vv, xx) : hankelLogI(vv, xx))[0]
    }

    /// I_v(x)/I_{v−1}(x) for 1 ≤ v < 20: (x/(2v))·S_v/S_{v−1} below the Hankel threshold, H_v/H_{v−1} above.
    static func smallOrderRatio(_ v: Double, _ x: Double) -> Double {
        if x < hankelMinimumArgument(v) {
            return x / (2 * v) * seriesSum(v, x) / seriesSum(v - 1, x)
        }
        return hankelSum(v, x) / hankelSum(v - 1, x)
    }
}
