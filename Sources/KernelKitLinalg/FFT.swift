import CFFTW
import Foundation

/// A vector of complex numbers stored as two `Double` arrays: `z[k] = real[k] + i·imag[k]`.
///
/// Split storage keeps real-valued algorithms (Toeplitz products, spectral densities) free of
/// complex types; `FFT` converts to FFTW's interleaved layout internally.
///
/// Complexity: elementwise operations are O(n).
public struct ComplexVector: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Real parts.
    public var real: [Double]
    /// Imaginary parts (same length as `real`).
    public var imag: [Double]

    /// The vector `real + i·imag`; the two arrays must have equal length.
    public init(real: [Double], imag: [Double]) {
        precondition(real.count == imag.count,
                     "ComplexVector: real (\(real.count)) and imag (\(imag.count)) lengths differ")
        self.real = real
        self.imag = imag
    }

    /// A purely real vector (imaginary parts zero).
    public init(real: [Double]) {
        self.init(real: real, imag: Array(repeating: 0, count: real.count))
    }

    /// The zero vector of length `count`.
    public static func zeros(_ count: Int) -> ComplexVector {
        ComplexVector(real: Array(repeating: 0, count: count), imag: Array(repeating: 0, count: count))
    }

    /// Number of complex elements.
    public var count: Int { real.count }

    /// `|z[k]|² = real[k]² + imag[k]²` for every k. O(n).
    public var squaredMagnitudes: [Double] {
        zip(real, imag).map { $0 * $0 + $1 * $1 }
    }

    /// Elementwise complex product `(a ∘ b)[k] = a[k]·b[k]`. Lengths must match. O(n).
    public func hadamard(_ other: ComplexVector) -> ComplexVector {
        precondition(count == other.count, "ComplexVector.hadamard: length mismatch \(count) vs \(other.count)")
        var out = ComplexVector.zeros(count)
        for k in 0..<count {
            let (a, b, c, d) = (real[k], imag[k], other.real[k], other.imag[k])
            out.real[k] = a * c - b * d
            out.imag[k] = a * d + b * c
        }
        return out
    }

    /// The real and imaginary arrays, for debugging output.
    public var description: String { "ComplexVector(real: \(real), imag: \(imag))" }
}

/// One-dimensional discrete Fourier transforms over FFTW3, with NumPy's conventions.
///
/// - `forward`:  `X[k] = Σ_{j<n} x[j] · e^{−2πi jk/n}` (unnormalised, `numpy.fft.fft`).
/// - `inverse`:  `x[j] = (1/n) Σ_{k<n} X[k] · e^{+2πi jk/n}` (`numpy.fft.ifft`), so
///   `inverse(forward(x)) = x` and Parseval reads `Σ|x|² = (1/n) Σ|X|²`.
/// - `forwardReal`: the first `n/2 + 1` bins of `forward` of a real input (`numpy.fft.rfft`); the
///   others follow from Hermitian symmetry `X[n−k] = conj(X[k])`.
/// - `inverseReal`: the real `x` of length `n` whose `forwardReal` is the given half spectrum
///   (`numpy.fft.irfft(X, n)`), scaled by 1/n. The imaginary parts of bin 0, and of bin n/2 when n
///   is even, are ignored (they are zero for any real signal).
///
/// Round-off: each output carries O(ε log n)·‖x‖₂-scale absolute error (not relative to small
/// bins). NaN or ∞ in the input spreads to every output bin; check inputs first where that matters.
///
/// Complexity: O(n log n) for every n, including primes (FFTW uses Rader/Bluestein there), with
/// smaller constants for n = 2^a 3^b 5^c 7^d (see `fastLength(atLeast:)`).
///
/// Threading: plans are created with `FFTW_ESTIMATE` once per (transform kind, n), under a lock
/// because FFTW's planner is not thread-safe, and cached for the life of the process (one plan per
/// distinct length used). Transforms execute through FFTW's new-array functions
/// (`fftw_execute_dft`, `…_r2c`, `…_c2r`), which are thread-safe, on per-call `fftw_malloc`
/// buffers, so the SIMD alignment the plan assumes always holds and concurrent calls are safe.
///
/// Source: M. Frigo and S. G. Johnson, "The Design and Implementation of FFTW3", Proc. IEEE 93(2), 2005.
public enum FFT {
    /// Forward DFT `X[k] = Σ_j x[j] e^{−2πi jk/n}` (unnormalised). O(n log n).
    public static func forward(_ x: ComplexVector) -> ComplexVector {
        complexTransform(x, kind: .forward, scale: 1)
    }

    /// Inverse DFT `x[j] = (1/n) Σ_k X[k] e^{+2πi jk/n}`. O(n log n).
    public static func inverse(_ x: ComplexVector) -> ComplexVector {
        complexTransform(x, kind: .backward, scale: x.count > 0 ? 1 / Double(x.count) : 1)
    }

    /// Forward DFT of a real signal: bins `0…n/2` (`n/2 + 1` of them, integer division) of
    /// `forward(x)`. O(n log n), about half the work of the complex transform.
    public static func forwardReal(_ x: [Double]) -> ComplexVector {
        let n = x.count
        guard n > 0 else { return .zeros(0) }
        let bins = n / 2 + 1
        let plan = FFTPlanCache.shared.plan(.realForward, n)
        let input = fftw_alloc_real(n)!
        let output = fftw_alloc_complex(bins)!
        defer { fftw_free(input); fftw_free(output) }
        x.withUnsafeBufferPointer { src in input.update(from: src.baseAddress!, count: n) }
        fftw_execute_dft_r2c(plan, input, output)
        return splitInterleaved(output, count: bins, scale: 1)
    }

    /// Inverse of `forwardReal`: the real signal of length `count` (`count/2 + 1 == spectrum.count`)
    /// with half spectrum `spectrum`, scaled by `1/count`. Imaginary parts of bin 0 and (even
    /// `count`) bin `count/2` are ignored. O(n log n).
    public static func inverseReal(_ spectrum: ComplexVector, count n: Int) -> [Double] {
        precondition(n >= 0 && (n == 0 ? spectrum.count == 0 : spectrum.count == n / 2 + 1),
                     "FFT.inverseReal: a length-\(n) signal needs \(n / 2 + 1) bins, got \(spectrum.count)")
        guard n > 0 else { return [] }
        let bins = n / 2 + 1
        let plan = FFTPlanCache.shared.plan(.realBackward, n)
        let input = fftw_alloc_complex(bins)!
        let output = fftw_alloc_real(n)!
        defer { fftw_free(input); fftw_free(output) }
        interleave(spectrum, into: input)
        // c2r overwrites its input; `input` is scratch.
        fftw_execute_dft_c2r(plan, input, output)
        let scale = 1 / Double(n)
        return [Double](unsafeUninitializedCapacity: n) { dst, initialised in
            for j in 0..<n { dst[j] = output[j] * scale }
            initialised = n
        }
    }

    /// The smallest `m ≥ n` of the form 2^a·3^b·5^c·7^d, for which FFTW's codelets are fastest
    /// (like `scipy.fft.next_fast_len`). Returns 1 for n ≤ 1. O(log² n).
    public static func fastLength(atLeast n: Int) -> Int {
        guard n > 1 else { return 1 }
        var best = Int.max
        var p7 = 1
        while p7 < best {
            var p5 = p7
            while p5 < best {
                var p3 = p5
                while p3 < best {
                    var m = p3
                    while m < n { m *= 2 }
                    best = Swift.min(best, m)
                    if p3 >= n { break }
                    p3 *= 3
                }
                if p5 >= n { break }
                p5 *= 5
            }
            if p7 >= n { break }
            p7 *= 7
        }
        return best
    }

    // MARK: Internals

    private static func complexTransform(_ x: ComplexVector, kind: FFTPlanCache.Kind, scale: Double) -> ComplexVector {
        let n = x.count
        guard n > 0 else { return .zeros(0) }
        let plan = FFTPlanCache.shared.plan(kind, n)
        let input = fftw_alloc_complex(n)!
        let output = fftw_alloc_complex(n)!
        defer { fftw_free(input); fftw_free(output) }
        interleave(x, into: input)
        fftw_execute_dft(plan, input, output)
        return splitInterleaved(output, count: n, scale: scale)
    }

    private static func interleave(_ x: ComplexVector, into buffer: UnsafeMutablePointer<fftw_complex>) {
        let n = x.count
        buffer.withMemoryRebound(to: Double.self, capacity: 2 * n) { d in
            x.real.withUnsafeBufferPointer { re in
                x.imag.withUnsafeBufferPointer { im in
                    for k in 0..<n {
                        d[2 * k] = re[k]
                        d[2 * k + 1] = im[k]
                    }
                }
            }
        }
    }

    private static func splitInterleaved(_ buffer: UnsafeMutablePointer<fftw_complex>, count n: Int,
                                         scale: Double) -> ComplexVector {
        buffer.withMemoryRebound(to: Double.self, capacity: 2 * n) { d in
            let re = [Double](unsafeUninitializedCapacity: n) { dst, initialised in
                for k in 0..<n { dst[k] = d[2 * k] * scale }
                initialised = n
            }
            let im = [Double](unsafeUninitializedCapacity: n) { dst, initialised in
                for k in 0..<n { dst[k] = d[2 * k + 1] * scale }
                initialised = n
            }
            return ComplexVector(real: re, imag: im)
        }
    }
}

/// Process-wide cache of FFTW plans, one per (kind, length), created under a lock.
///
/// Plans are made on `fftw_malloc`'d scratch arrays with `FFTW_ESTIMATE` (which never reads or
/// writes them), out of place, so they are valid for any other out-of-place pair of `fftw_malloc`'d
/// arrays passed to the new-array execute functions. Plans are never destroyed.
final class FFTPlanCache: @unchecked Sendable {
    enum Kind: Hashable { case forward, backward, realForward, realBackward }
    private struct Key: Hashable {
        let kind: Kind
        let n: Int
    }

    static let shared = FFTPlanCache()

    private let lock = NSLock()
    private var plans: [Key: OpaquePointer] = [:]

    func plan(_ kind: Kind, _ n: Int) -> OpaquePointer {
        precondition(n > 0 && n <= Int(Int32.max), "FFT length \(n) outside 1…\(Int32.max)")
        lock.lock()
        defer { lock.unlock() }
        let key = Key(kind: kind, n: n)
        if let plan = plans[key] { return plan }
        let flags = UInt32(FFTW_ESTIMATE)
        let n32 = Int32(n)
        let made: OpaquePointer?
        switch kind {
        case .forward, .backward:
            let a = fftw_alloc_complex(n), b = fftw_alloc_complex(n)
            defer { fftw_free(a); fftw_free(b) }
            made = fftw_plan_dft_1d(n32, a, b, kind == .forward ? FFTW_FORWARD : FFTW_BACKWARD, flags)
        case .realForward:
            let a = fftw_alloc_real(n), b = fftw_alloc_complex(n / 2 + 1)
            defer { fftw_free(a); fftw_free(b) }
            made = fftw_plan_dft_r2c_1d(n32, a, b, flags)
        case .realBackward:
            let a = fftw_alloc_complex(n / 2 + 1), b = fftw_alloc_real(n)
            defer { fftw_free(a); fftw_free(b) }
            made = fftw_plan_dft_c2r_1d(n32, a, b, flags)
        }
        // FFTW_ESTIMATE planning of a 1-D transform fails only when memory is exhausted.
        guard let plan = made else { preconditionFailure("FFTW could not create a plan for n = \(n)") }
        plans[key] = plan
        return plan
    }
}
