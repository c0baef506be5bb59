import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing

/// Direct O(n²) DFT with exactly reduced twiddle angles (2π·(jk mod n)/n), the independent reference.
private func naiveDFT(_ x: ComplexVector, sign: Double) -> ComplexVector {
    let n = x.count
    var out = ComplexVector.zeros(n)
    for k in 0..<n {
        var re = 0.0, im = 0.0
        for j in 0..<n {
            let angle = sign * 2 * Double.pi * Double((j * k) % n) / Double(n)
            let (c, s) = (Foundation.cos(angle), Foundation.sin(angle))
            re += x.real[j] * c - x.imag[j] * s
            im += x.real[j] * s + x.imag[j] * c
        }
        out.real[k] = re
        out.imag[k] = im
    }
    return out
}

private func randomComplex(_ n: Int, seed: UInt64) -> ComplexVector {
    var rng = TestRNG(seed: seed)
    return ComplexVector(real: (0..<n).map { _ in standardNormal(using: &rng) },
                         imag: (0..<n).map { _ in standardNormal(using: &rng) })
}

/// Lengths covering 1, small primes, large primes (Rader/Bluestein paths), powers of two and mixed radices.
private let lengths = [1, 2, 3, 5, 7, 8, 12, 13, 16, 31, 64, 97, 100, 127, 128, 243, 1000, 1021, 1024]

@Suite("FFT")
struct FFTTests {
    @Test("inverse(forward(x)) = x and Parseval Σ|x|² = (1/n)Σ|X|²", arguments: lengths)
    func roundTripAndParseval(n: Int) {
        let x = randomComplex(n, seed: UInt64(n))
        let spectrum = FFT.forward(x)
        let back = FFT.inverse(spectrum)
        // FFT round-off is O(ε log n)·‖x‖ per element; entries are O(1), so 1e-13 absolute is ~500 ε.
        expectClose(back.real, x.real, rtol: 0, atol: 1e-13, "real, n = \(n)")
        expectClose(back.imag, x.imag, rtol: 0, atol: 1e-13, "imag, n = \(n)")
        let energy = x.squaredMagnitudes.reduce(0, +)
        let spectralEnergy = spectrum.squaredMagnitudes.reduce(0, +) / Double(n)
        expectClose(spectralEnergy, energy, rtol: 1e-13, "Parseval, n = \(n)")
    }

    @Test("forward and inverse agree with the direct O(n²) DFT", arguments: [1, 2, 3, 5, 8, 13, 31, 64, 97])
    func matchesNaiveDFT(n: Int) {
        let x = randomComplex(n, seed: 100 + UInt64(n))
        // Direct summation has error O(n ε)·Σ|x|; the tolerance 1e-13·n covers both sides.
        let atol = 1e-13 * Double(n)
        let fast = FFT.forward(x), slow = naiveDFT(x, sign: -1)
        expectClose(fast.real, slow.real, rtol: 0, atol: atol)
        expectClose(fast.imag, slow.imag, rtol: 0, atol: atol)
        let fastInverse = FFT.inverse(x), slowInverse = naiveDFT(x, sign: +1)
        expectClose(fastInverse.real.map { $0 * Double(n) }, slowInverse.real, rtol: 0, atol: atol)
        expectClose(fastInverse.imag.map { $0 * Double(n) }, slowInverse.imag, rtol: 0, atol: atol)
    }

    @Test("a unit impulse at j₀ transforms to e^{−2πi j₀k/n}")
    func impulse() {
        let n = 12, j0 = 5
        var x = ComplexVector.zeros(n)
        x.real[j0] = 1
        let X = FFT.forward(x)
        let angles = (0..<n).map { -2 * Double.pi * Double((j0 * $0) % n) / Double(n) }
        expectClose(X.real, angles.map { Foundation.cos($0) }, rtol: 0, atol: 1e-15)
        expectClose(X.imag, angles.map { Foundation.sin($0) }, rtol: 0, atol: 1e-15)
    }

    @Test("real FFT equals the first n/2+1 bins of the complex FFT; inverseReal inverts it", arguments: lengths)
    func realMatchesComplex(n: Int) {
        let x = randomComplex(n, seed: 200 + UInt64(n)).real
        let half = FFT.forwardReal(x)
        #expect(half.count == n / 2 + 1)
        let full = FFT.forward(ComplexVector(real: x))
        // Same transform by two FFTW algorithms: agreement to O(ε log n)·‖x‖₁ ≲ 1e-12 for n ≤ 1024.
        expectClose(half.real, Array(full.real[0...(n / 2)]), rtol: 0, atol: 1e-12, "n = \(n)")
        expectClose(half.imag, Array(full.imag[0...(n / 2)]), rtol: 0, atol: 1e-12, "n = \(n)")
        expectClose(FFT.inverseReal(half, count: n), x, rtol: 0, atol: 1e-13, "n = \(n)")
    }

    @Test("round trip holds for arbitrary real signals (property)")
    func realRoundTripProperty() async {
        await propertyCheck(input: Gen.double(in: -1e3...1e3).array(of: 1...80)) { x in
            let scale = x.reduce(0) { max($0, abs($1)) }
            expectClose(FFT.inverseReal(FFT.forwardReal(x), count: x.count), x, rtol: 0, atol: 1e-13 * scale + 1e-300)
            let complex = FFT.inverse(FFT.forward(ComplexVector(real: x)))
            expectClose(complex.real, x, rtol: 0, atol: 1e-13 * scale + 1e-300)
        }
    }

    @Test("empty input gives empty output")
    func empty() {
        #expect(FFT.forward(.zeros(0)).count == 0)
        #expect(FFT.inverse(.zeros(0)).count == 0)
        #expect(FFT.forwardReal([]).count == 0)
        #expect(FFT.inverseReal(.zeros(0), count: 0).isEmpty)
    }

    @Test("fastLength is the smallest 7-smooth number ≥ n")
    func fastLength() {
        func isSmooth(_ m: Int) -> Bool {
            var m = m
            for p in [2, 3, 5, 7] { while m % p == 0 { m /= p } }
            return m == 1
        }
        for n in 1...600 {
            let expected = (n...).first(where: isSmooth)!
            #expect(FFT.fastLength(atLeast: n) == expected, "n = \(n)")
        }
        #expect(FFT.fastLength(atLeast: 0) == 1)
    }

    @Test("concurrent transforms (plans created from many tasks at once) equal sequential ones")
    func concurrentPlanning() async {
        let sizes = [509, 510, 511, 513, 514, 515, 517, 518]  // lengths no other test plans
        let inputs = sizes.map { randomComplex($0, seed: UInt64($0)) }
        let results = await withTaskGroup(of: (Int, ComplexVector).self) { group in
            for (i, x) in inputs.enumerated() {
                group.addTask { (i, FFT.forward(x)) }
                group.addTask { (i, FFT.forward(x)) }
            }
            var out: [(Int, ComplexVector)] = []
            for await r in group { out.append(r) }
            return out
        }
        for (i, spectrum) in results {
            let sequential = FFT.forward(inputs[i])
            #expect(spectrum == sequential, "n = \(sizes[i])")
        }
    }
}
