import Foundation
import KernelKitLinalg

extension PDEProblem {
    /// The same problem for w = c·u: source c·f, boundary values c·g and the cubic coefficient γ/c²
    /// (E(u) = f ⇔ Σaₖ∂²ₖw + Σbₖ∂ₖw + c₀w + (γ/c²)w³ = c·f), so that its solution is exactly c times
    /// this one's. For a linear operator only the data change. O(N).
    /// - Throws: `PDEError.invalidProblem` unless c is finite and non-zero; `PDEError.nonFinite` when
    ///   the scaled data overflow.
    public func scaled(by c: Double) throws -> PDEProblem {
        guard c != 0 && c.isFinite else { throw PDEError.invalidProblem("the scale factor must be finite and non-zero, got \(c)") }
        var op = equation
        op.cubic /= c * c
        return try PDEProblem(grid: grid, equation: op, source: source.map { c * $0 },
                              boundaryValues: boundaryValues.map { c * $0 })
    }
}

extension KernelLearning {
    /// The scale s of the problem's solution, rounded to a power of ten: s = 10^round(log₁₀ ŝ) with ŝ the
    /// root-mean-square estimate of `estimatedSolutionRMS`; 1 when ŝ is 0 (no data). `fit` solves the
    /// problem for u/s, whose solution then has an RMS within a factor √10 of 1, so that the defaults —
    /// kernel variance 1, τ = 1e6, v = max(1, 1e6/mean f²) — mean the same for data in any units.
    /// Rounding to a power of ten makes the results invariant to decimal changes of units and leaves
    /// every built-in benchmark at s = 1 (their solutions are O(1)). O(N log N).
    public static func solutionScale(_ problem: PDEProblem) -> Double {
        let rms = estimatedSolutionRMS(problem)
        guard rms > 0 && rms.isFinite else { return 1 }
        return pow(10, (log10(rms)).rounded())
    }

    /// ŝ = (mean over the grid of u₀² + mean over the boundary of g²)^½, where u₀ solves the
    /// second-order part of the equation, Σₖ aₖ∂²ₖu₀ = f, with zero Dirichlet values, by a sine series
    /// (each axis' interior points by a discrete sine transform, DST-I through a real FFT of the odd
    /// extension; u₀'s coefficient is f's divided by −Σₖ aₖ(πmₖ/Lₖ)², the exact eigenvalues of the
    /// continuous operator). u − u₀ is then the part carried by the boundary values, estimated by g's
    /// own RMS. The first-order, linear and cubic terms are left out: this only has to be right to
    /// within a factor of about three. When the aₖ are not all non-zero and of one sign (e.g.
    /// advection, where u is the transported boundary data) u₀ is not formed and ŝ = RMS(g).
    /// Cost: O(N log N).
    static func estimatedSolutionRMS(_ problem: PDEProblem) -> Double {
        let g = problem.boundaryValues
        let boundaryMeanSquare = g.isEmpty ? 0 : g.reduce(0) { $0 + $1 * $1 } / Double(g.count)
        let a = problem.equation.secondOrder
        guard a.allSatisfy({ $0 > 0 }) || a.allSatisfy({ $0 < 0 }) else { return boundaryMeanSquare.squareRoot() }
        let grid = problem.grid
        let interior = grid.shape.map { $0 - 2 }
        guard interior.allSatisfy({ $0 > 0 }) else { return boundaryMeanSquare.squareRoot() }
        // f at the interior points (C order over the interior block).
        var coefficients = [Double](repeating: 0, count: interior.reduce(1, *))
        for r in coefficients.indices {
            var rest = r, index = [Int](repeating: 0, count: interior.count)
            for k in stride(from: interior.count - 1, through: 0, by: -1) {
                index[k] = rest % interior[k] + 1
                rest /= interior[k]
            }
            coefficients[r] = problem.source[grid.flatIndex(index)]
        }
        for k in interior.indices { sineTransform(&coefficients, axis: k, shape: interior) }
        // Divide by the eigenvalues; the DST-I is its own inverse up to the factor 2/(mₖ + 1) per axis.
        let normalisation = interior.reduce(1.0) { $0 * 2 / Double($1 + 1) }
        for r in coefficients.indices {
            var rest = r, eigenvalue = 0.0
            for k in stride(from: interior.count - 1, through: 0, by: -1) {
                let m = Double(rest % interior[k] + 1)
                rest /= interior[k]
                let length = grid.axes[k].upper - grid.axes[k].lower
                eigenvalue -= a[k] * (Double.pi * m / length) * (Double.pi * m / length)
            }
            coefficients[r] *= normalisation / eigenvalue
        }
        for k in interior.indices { sineTransform(&coefficients, axis: k, shape: interior) }
        let interiorSquares = coefficients.reduce(0) { $0 + $1 * $1 }
        return (interiorSquares / Double(grid.count) + boundaryMeanSquare).squareRoot()
    }

    /// The DST-I, Yⱼ = Σᵢ xᵢ sin(π(i+1)(j+1)/(m+1)) for i, j < m, applied in place to every fibre of
    /// `x` (C order, `shape`) along `axis`: the odd extension (0, x, 0, −reversed x) of length 2(m+1)
    /// has the real FFT −2i·Y. O(N log m).
    static func sineTransform(_ x: inout [Double], axis: Int, shape: [Int]) {
        let m = shape[axis]
        let stride = shape[(axis + 1)...].reduce(1, *)
        let period = 2 * (m + 1)
        for start in 0..<x.count where (start / stride) % m == 0 {
            var extended = [Double](repeating: 0, count: period)
            for i in 0..<m {
                extended[i + 1] = x[start + i * stride]
                extended[period - 1 - i] = -x[start + i * stride]
            }
            let spectrum = FFT.forwardReal(extended)
            for j in 0..<m { x[start + j * stride] = -0.5 * spectrum.imag[j + 1] }
        }
    }
}
