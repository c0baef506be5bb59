// Shared helpers for KernelKit's test targets: approximate comparison with stated tolerances and
// random matrices of controlled conditioning. Not part of the public library.
import KernelKitLinalg
import Testing

/// |a − b| ≤ rtol·|b| + atol, elementwise; returns the worst violation ratio (≤ 1 passes).
public func toleranceRatio(_ a: [Double], _ b: [Double], rtol: Double, atol: Double = 0) -> Double {
    precondition(a.count == b.count, "toleranceRatio: length mismatch \(a.count) vs \(b.count)")
    var worst = 0.0
    for (x, y) in zip(a, b) {
        guard x.isFinite && y.isFinite else { return x == y ? worst : .infinity }
        worst = max(worst, abs(x - y) / (rtol * abs(y) + atol))
    }
    return worst
}

/// Expect `a ≈ b` elementwise within `rtol·|b| + atol`.
public func expectClose(_ a: [Double], _ b: [Double], rtol: Double, atol: Double = 0,
                        _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    let r = toleranceRatio(a, b, rtol: rtol, atol: atol)
    #expect(r <= 1, "\(comment) worst |a−b|/(rtol|b|+atol) = \(r) (rtol \(rtol), atol \(atol))",
            sourceLocation: sourceLocation)
}

/// Expect two matrices of equal shape to agree within `rtol·|b| + atol` elementwise.
public func expectClose(_ a: Matrix, _ b: Matrix, rtol: Double, atol: Double = 0,
                        _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.rows == b.rows && a.columns == b.columns, "\(comment) shape \(a.rows)×\(a.columns) vs \(b.rows)×\(b.columns)",
            sourceLocation: sourceLocation)
    guard a.rows == b.rows && a.columns == b.columns else { return }
    expectClose(a.storage, b.storage, rtol: rtol, atol: atol, comment, sourceLocation: sourceLocation)
}

/// Expect scalars `a ≈ b` within `rtol·|b| + atol`.
public func expectClose(_ a: Double, _ b: Double, rtol: Double, atol: Double = 0,
                        _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose([a], [b], rtol: rtol, atol: atol, comment, sourceLocation: sourceLocation)
}

/// A matrix of independent standard normal entries (Box–Muller on the given generator).
public func randomGaussianMatrix(rows: Int, columns: Int, using rng: inout some RandomNumberGenerator) -> Matrix {
    Matrix(rows: rows, columns: columns) { _, _ in standardNormal(using: &rng) }
}

/// A random symmetric positive-definite matrix G Gᵀ + n·I (condition number O(10)).
public func randomSPDMatrix(_ n: Int, using rng: inout some RandomNumberGenerator) -> Matrix {
    let g = randomGaussianMatrix(rows: n, columns: n, using: &rng)
    var a = BLAS.gram(g)
    a.addToDiagonal(Double(n))
    return a
}

/// One standard normal draw (Box–Muller); for tests only: the library has its own seeded generators.
public func standardNormal(using rng: inout some RandomNumberGenerator) -> Double {
    let u = Double.random(in: Double.ulpOfOne..<1, using: &rng)
    let v = Double.random(in: 0..<1, using: &rng)
    return (-2 * _log(u)).squareRoot() * _cos(2 * Double.pi * v)
}

/// A small deterministic generator (SplitMix64) so tests can build fixed inputs from a seed.
public struct TestRNG: RandomNumberGenerator {
    var state: UInt64
    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }
    /// The next 64 random bits (SplitMix64 step).
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Foundation
@inline(__always) func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Foundation.cos(x) }
#endif
