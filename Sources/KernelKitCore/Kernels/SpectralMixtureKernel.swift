#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
import KernelKitLinalg

/// Spectral mixture kernel (Wilson & Adams, "Gaussian Process Kernels for Pattern Discovery and
/// Extrapolation", ICML 2013, eq. 12): the inverse Fourier transform of a mixture of Q Gaussians in
/// frequency space,
///
///     k(τ) = Σ_q w_q Π_p exp(−2π² τ_p² v_qp) · cos(2π τ_p μ_qp),   τ = x − y,
///
/// with weights w_q, mean frequencies μ_qp and frequency variances v_qp (all positive, optimised in
/// log space). For d > 1 each component is a product over dimensions (the paper's multi-D form).
/// k(0) = Σ_q w_q. Any stationary kernel can be approximated as Q grows.
///
/// Expression: `sm(q=3)` (defaults below), `sm(q=2, d=2)`, or with values
/// `sm(q=2, weights=[1, 0.5], means=[0.1, 1], variances=[0.01, 0.1])`; for d > 1 the means and
/// variances lists are component-major (component q's d entries together).
///
/// Cost: Gram matrix ½n²·Q·d exp + cos; gradient contraction ½n²·Q·d² without any n×n
/// intermediate. Defaults: w_q = 1/Q, μ_q log-spaced on [0.1, 1] (cycles per input unit), v_q = 1,
/// all with bounds [1e-5, 1e5]. The likelihood surface is highly multimodal: optimise with restarts.
public struct SpectralMixtureKernel: Kernel {
    /// Number of components Q.
    public let components: Int
    /// Input dimension d.
    public let dimension: Int
    /// Weights w_q (Q entries).
    public var weights: [Hyperparameter]
    /// Mean frequencies μ_qp, component-major (Q·d entries).
    public var means: [Hyperparameter]
    /// Frequency variances v_qp, component-major (Q·d entries).
    public var variances: [Hyperparameter]

    /// Q components in d dimensions with the default initial values.
    public init(components: Int, dimension: Int = 1) {
        precondition(components >= 1 && dimension >= 1, "sm: need q ≥ 1 and d ≥ 1")
        let q = components
        let means = (0..<q).flatMap { c in
            [Double](repeating: q == 1 ? 0.1 : 0.1 * pow(10, Double(c) / Double(q - 1)), count: dimension)
        }
        self.init(weights: [Double](repeating: 1 / Double(q), count: q), means: means,
                  variances: [Double](repeating: 1, count: q * dimension))
    }

    /// A spectral mixture from explicit values: `weights` (Q), `means` and `variances` (Q·d,
    /// component-major). Preconditions: consistent counts, positive values.
    public init(weights: [Double], means: [Double], variances: [Double],
                bounds: ClosedRange<Double> = Hyperparameter.defaultBounds) {
        let q = weights.count
        precondition(q >= 1 && means.count % q == 0 && means.count > 0 && variances.count == means.count,
                     "sm: weights (Q), means and variances (Q·d) have inconsistent counts")
        let d = means.count / q
        self.components = q
        self.dimension = d
        func label(_ k: Int) -> String { d == 1 ? "[\(k)]" : "[\(k / d),\(k % d)]" }
        self.weights = weights.enumerated().map {
            Hyperparameter(name: "sm.weight[\($0.offset)]", value: $0.element, bounds: bounds)
        }
        self.means = means.enumerated().map {
            Hyperparameter(name: "sm.mean\(label($0.offset))", value: $0.element, bounds: bounds)
        }
        self.variances = variances.enumerated().map {
            Hyperparameter(name: "sm.variance\(label($0.offset))", value: $0.element, bounds: bounds)
        }
    }

    /// The hyperparameters in canonical order (``Kernel/hyperparameters``).
    public var hyperparameters: [Hyperparameter] {
        get { weights + means + variances }
        set {
            let q = components, qd = components * dimension
            precondition(newValue.count == q + 2 * qd, "sm: expected \(q + 2 * qd) hyperparameters")
            weights = Array(newValue[0..<q])
            means = Array(newValue[q..<(q + qd)])
            variances = Array(newValue[(q + qd)...])
        }
    }

    /// Always `dimension`: a spectral mixture has frequencies for exactly d input dimensions.
    public var inputDimension: Int? { dimension }

    /// Plain values, read once per evaluation.
    private struct Values {
        let q: Int, d: Int
        let w: [Double], mu: [Double], v: [Double]
    }
    private var values: Values {
        Values(q: components, d: dimension, w: weights.map(\.value), mu: means.map(\.value), v: variances.map(\.value))
    }

    private func checkDimension(_ x: Matrix) {
        precondition(x.columns == dimension, "sm: kernel of dimension \(dimension) applied to \(x.columns)-column inputs")
    }

    /// k(τ) for the difference vector τ.
    private static func value(_ p: Values, _ tau: [Double]) -> Double {
        var total = 0.0
        for c in 0..<p.q {
            var prod = p.w[c]
            for k in 0..<p.d {
                let t = tau[k], i = c * p.d + k
                prod *= exp(-2 * Double.pi * Double.pi * t * t * p.v[i]) * cos(2 * Double.pi * t * p.mu[i])
            }
            total += prod
        }
        return total
    }

    /// All log-hyperparameter derivatives of k(τ), in `hyperparameters` order, into `out`.
    private static func derivatives(_ p: Values, _ tau: [Double], _ factors: inout [Double], _ out: inout [Double]) {
        let qd = p.q * p.d
        for c in 0..<p.q {
            // factors[k] = exp(−2π²τ²v)·cos(2πτμ) for this component's dimension k.
            var prod = p.w[c]
            for k in 0..<p.d {
                let t = tau[k], i = c * p.d + k
                factors[k] = exp(-2 * Double.pi * Double.pi * t * t * p.v[i]) * cos(2 * Double.pi * t * p.mu[i])
                prod *= factors[k]
            }
            out[c] = prod
            for k in 0..<p.d {
                let t = tau[k], i = c * p.d + k
                var others = p.w[c]
                for k2 in 0..<p.d where k2 != k { others *= factors[k2] }
                let phase = 2 * Double.pi * t * p.mu[i]
                let envelope = exp(-2 * Double.pi * Double.pi * t * t * p.v[i])
                out[p.q + i] = -others * envelope * sin(phase) * phase
                out[p.q + qd + i] = prod * (-2 * Double.pi * Double.pi * t * t * p.v[i])
            }
        }
    }

    /// Cross-covariance matrix [k(xᵢ, yⱼ)] (``Kernel/callAsFunction(_:_:)``).
    public func callAsFunction(_ x: Matrix, _ y: Matrix) -> Matrix {
        checkDimension(x)
        checkDimension(y)
        let p = values
        var tau = [Double](repeating: 0, count: dimension)
        var k = Matrix(rows: x.rows, columns: y.rows)
        for j in 0..<y.rows {
            for i in 0..<x.rows {
                for c in 0..<dimension { tau[c] = x[i, c] - y[j, c] }
                k[i, j] = Self.value(p, tau)
            }
        }
        return k
    }

    /// Gram matrix of the rows of x (``Kernel/gram(_:)``).
    public func gram(_ x: Matrix) -> Matrix {
        checkDimension(x)
        let p = values
        let n = x.rows
        var tau = [Double](repeating: 0, count: dimension)
        var k = Matrix(rows: n, columns: n)
        let k0 = p.w.reduce(0, +)
        for j in 0..<n {
            k[j, j] = k0
            for i in (j + 1)..<max(j + 1, n) {
                for c in 0..<dimension { tau[c] = x[i, c] - x[j, c] }
                let v = Self.value(p, tau)
                k[i, j] = v
                k[j, i] = v
            }
        }
        return k
    }

    /// diag(gram(x)) (``Kernel/diagonal(_:)``).
    public func diagonal(_ x: Matrix) -> Vector {
        Vector(repeating: weights.reduce(0) { $0 + $1.value }, count: x.rows)
    }

    /// ∂K/∂θₖ for every log-hyperparameter (``Kernel/gramGradient(_:)``).
    public func gramGradient(_ x: Matrix) -> [Matrix] {
        checkDimension(x)
        let p = values
        let n = x.rows
        let count = parameterCount
        var out = [Matrix](repeating: Matrix(rows: n, columns: n), count: count)
        var tau = [Double](repeating: 0, count: dimension)
        var factors = tau
        var buffer = [Double](repeating: 0, count: count)
        for j in 0..<n {
            for i in j..<n {
                for c in 0..<dimension { tau[c] = x[i, c] - x[j, c] }
                Self.derivatives(p, tau, &factors, &buffer)
                for m in 0..<count {
                    out[m][i, j] = buffer[m]
                    out[m][j, i] = buffer[m]
                }
            }
        }
        return out
    }

    /// [Σᵢⱼ Wᵢⱼ ∂Kᵢⱼ/∂θₖ]ₖ (``Kernel/gramGradientContraction(_:_:)``).
    public func gramGradientContraction(_ x: Matrix, _ w: Matrix) -> [Double] {
        checkDimension(x)
        precondition(w.rows == x.rows && w.columns == x.rows, "sm: weight matrix must be n×n")
        let p = values
        let n = x.rows
        let count = parameterCount
        var sums = [Double](repeating: 0, count: count)
        var tau = [Double](repeating: 0, count: dimension)
        var factors = tau
        var buffer = [Double](repeating: 0, count: count)
        for j in 0..<n {
            for i in j..<n {
                let weight = i == j ? w[i, i] : w[i, j] + w[j, i]
                guard weight != 0 else { continue }
                for c in 0..<dimension { tau[c] = x[i, c] - x[j, c] }
                Self.derivatives(p, tau, &factors, &buffer)
                for m in 0..<count { sums[m] += weight * buffer[m] }
            }
        }
        return sums
    }

    /// The canonical kernel expression (see ``KernelExpression``).
    public var description: String {
        var arguments: [KernelExpression.Argument] = [
            .init(key: "weights", weights, list: true),
            .init(key: "means", means, list: true),
            .init(key: "variances", variances, list: true),
        ]
        if dimension > 1 { arguments.insert(.init(key: "d", integer: dimension), at: 0) }
        arguments.insert(.init(key: "q", integer: components), at: 0)
        return KernelExpression.formatCall("sm", arguments)
    }
}
