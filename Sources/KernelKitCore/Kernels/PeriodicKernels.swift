#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
import KernelKitLinalg

/// Periodic kernel (MacKay 1998; scikit-learn's `ExpSineSquared` for d = 1), unit variance:
///
///     k(x, y) = exp(−2 Σₖ sin²(π(xₖ − yₖ)/p) / ℓ²),
///
/// lengthscale ℓ and period p (defaults 1 in [1e-5, 1e5]). For d > 1 this is the product over
/// dimensions of 1-D periodic kernels (GPyTorch's `PeriodicKernel`), which is positive semi-definite;
/// scikit-learn's form sin²(π‖x − y‖/p) is not PSD in general for d > 1. k = 1 whenever every
/// xₖ − yₖ is a multiple of p. Expression: `periodic(length=1, period=1)`.
///
/// The Gram matrix uses Σₖ sin²(π(xₖ − yₖ)/p) = ¼‖φ(x) − φ(y)‖² with the circle embedding
/// φ(x) = (cos 2πxₖ/p, sin 2πxₖ/p)ₖ, so it runs through the BLAS distance routine (4n²d flops).
/// Derivatives, with aₖ = π(xₖ − yₖ)/p and S = Σₖ sin² aₖ: ∂k/∂log ℓ = 4kS/ℓ²,
/// ∂k/∂log p = (2k/ℓ²) Σₖ aₖ sin 2aₖ (no per-pair trigonometry: see `derivativeMatrices`).
/// Gradient memory: 4n² (K, the two derivatives, a work matrix).
public struct PeriodicKernel: Kernel {
    /// Lengthscale ℓ of the sine-squared distance.
    public var lengthScale: Hyperparameter
    /// Period p.
    public var period: Hyperparameter

    /// Periodic kernel with lengthscale ℓ and period p.
    public init(lengthScale: Double = 1, period: Double = 1,
                lengthBounds: ClosedRange<Double> = Hyperparameter.defaultBounds,
                periodBounds: ClosedRange<Double> = Hyperparameter.defaultBounds) {
        self.lengthScale = Hyperparameter(name: "periodic.length", value: lengthScale, bounds: lengthBounds)
        self.period = Hyperparameter(name: "periodic.period", value: period, bounds: periodBounds)
    }

    /// The hyperparameters in canonical order (``Kernel/hyperparameters``).
    public var hyperparameters: [Hyperparameter] {
        get { [lengthScale, period] }
        set { lengthScale = newValue[0]; period = newValue[1] }
    }
    /// The required input dimension, if any (``Kernel/inputDimension``).
    public var inputDimension: Int? { nil }

    /// The circle embedding φ(x) (n × 2d).
    private func embedding(_ x: Matrix) -> Matrix {
        let (n, d) = (x.rows, x.columns)
        let omega = 2 * Double.pi / period.value
        var phi = Matrix(rows: n, columns: 2 * d)
        for k in 0..<d {
            for i in 0..<n {
                let t = omega * x[i, k]
                phi[i, 2 * k] = cos(t)
                phi[i, 2 * k + 1] = sin(t)
            }
        }
        return phi
    }

    /// k = exp(−2S/ℓ²) from ‖φ(x) − φ(y)‖² = 4S, exponentials vectorised.
    private func kernelOfEmbeddedDistances(_ d2: Matrix) -> Matrix {
        let scale = -0.5 / (lengthScale.value * lengthScale.value)
        var k = d2
        for i in k.storage.indices { k.storage[i] *= scale }
        expInPlace(&k.storage)
        return k
    }

    /// The two derivative matrices [∂K/∂log ℓ, ∂K/∂log p] of the Gram matrix.
    ///
    /// sin 2aₖ = sin(θᵢₖ − θⱼₖ) with θ = 2πx/p is the rank-2 matrix sᵢcⱼ − cᵢsⱼ of the embedding
    /// (one dgemm per dimension); aₖ = π(xᵢₖ − xⱼₖ)/p is formed from exact differences.
    private func derivativeMatrices(_ x: Matrix) -> [Matrix] {
        let (n, d) = (x.rows, x.columns)
        let phi = embedding(x)
        let d2 = Distances.squared(phi)
        let k = kernelOfEmbeddedDistances(d2)
        let l2 = lengthScale.value * lengthScale.value
        var dl = Matrix(rows: n, columns: n)
        for i in dl.storage.indices { dl.storage[i] = k.storage[i] * d2.storage[i] / l2 }
        var t = Matrix(rows: n, columns: n)
        let piOverP = Double.pi / period.value
        for c in 0..<d {
            var a = Matrix(rows: n, columns: 2), b = Matrix(rows: n, columns: 2)
            for i in 0..<n {
                a[i, 0] = phi[i, 2 * c + 1]; a[i, 1] = phi[i, 2 * c]
                b[i, 0] = phi[i, 2 * c]; b[i, 1] = -phi[i, 2 * c + 1]
            }
            let sine = BLAS.matmul(a, b, .none, .transpose)
            for j in 0..<n {
                let xj = x[j, c]
                for i in 0..<n { t.storage[i + j * n] += piOverP * (x[i, c] - xj) * sine.storage[i + j * n] }
            }
        }
        for i in t.storage.indices { t.storage[i] *= 2 * k.storage[i] / l2 }
        return [dl, t]
    }

    /// Cross-covariance matrix [k(xᵢ, yⱼ)] (``Kernel/callAsFunction(_:_:)``).
    public func callAsFunction(_ x: Matrix, _ y: Matrix) -> Matrix {
        kernelOfEmbeddedDistances(Distances.squared(embedding(x), embedding(y)))
    }
    /// Gram matrix of the rows of x (``Kernel/gram(_:)``).
    public func gram(_ x: Matrix) -> Matrix { kernelOfEmbeddedDistances(Distances.squared(embedding(x))) }
    /// diag(gram(x)) (``Kernel/diagonal(_:)``).
    public func diagonal(_ x: Matrix) -> Vector { Vector(repeating: 1, count: x.rows) }
    /// ∂K/∂θₖ for every log-hyperparameter (``Kernel/gramGradient(_:)``).
    public func gramGradient(_ x: Matrix) -> [Matrix] { derivativeMatrices(x) }
    /// [Σᵢⱼ Wᵢⱼ ∂Kᵢⱼ/∂θₖ]ₖ (``Kernel/gramGradientContraction(_:_:)``).
    public func gramGradientContraction(_ x: Matrix, _ w: Matrix) -> [Double] {
        let phi = embedding(x)
        let d2 = Distances.squared(phi)
        return contraction(x, phi, d2, kernelOfEmbeddedDistances(d2), w)
    }
    /// Gram matrix with a contraction map that reuses its embedding distances (retains n² doubles).
    public func gramWithGradientContraction(_ x: Matrix) -> (gram: Matrix, contraction: (Matrix) -> [Double]) {
        let phi = embedding(x)
        let d2 = Distances.squared(phi)
        let k = kernelOfEmbeddedDistances(d2)
        return (k, { w in self.contraction(x, phi, d2, k, w) })
    }

    /// The sums of derivativeMatrices(x) ∘ W without storing the derivative matrices, from the
    /// embedding φ, ‖φᵢ − φⱼ‖² and K.
    private func contraction(_ x: Matrix, _ phi: Matrix, _ d2: Matrix, _ k: Matrix, _ w: Matrix) -> [Double] {
        precondition(w.rows == x.rows && w.columns == x.rows, "periodic: weight matrix must be n×n")
        let (n, d) = (x.rows, x.columns)
        let l2 = lengthScale.value * lengthScale.value
        let piOverP = Double.pi / period.value
        var sumLength = 0.0, sumPeriod = 0.0
        for j in 0..<n {
            for i in 0..<n {
                let index = i + j * n
                let kw = k.storage[index] * w.storage[index]
                guard kw != 0 else { continue }
                var t = 0.0
                for c in 0..<d {
                    let sine = phi[i, 2 * c + 1] * phi[j, 2 * c] - phi[i, 2 * c] * phi[j, 2 * c + 1]
                    t += piOverP * (x[i, c] - x[j, c]) * sine
                }
                sumLength += kw * d2.storage[index]
                sumPeriod += kw * t
            }
        }
        return [sumLength / l2, 2 * sumPeriod / l2]
    }
    /// The canonical kernel expression (see ``KernelExpression``).
    public var description: String {
        KernelExpression.formatCall("periodic", [.init(key: "length", [lengthScale]), .init(key: "period", [period])])
    }
}

/// Rational quadratic kernel (scikit-learn's `RationalQuadratic`), unit variance:
/// k(x, y) = (1 + ‖x − y‖²/(2αℓ²))^(−α), a scale mixture of RBF kernels with gamma-distributed
/// inverse squared lengthscales (Rasmussen & Williams 2006, eq. 4.19); k → exp(−r²/2ℓ²) as α → ∞.
/// Defaults ℓ = 1, α = 1 in [1e-5, 1e5]. Expression: `rq(length=1, alpha=1)`.
/// With u = r²/(2αℓ²): ∂k/∂log ℓ = 2αk·u/(1+u), ∂k/∂log α = αk·(u/(1+u) − log1p(u)).
public struct RationalQuadraticKernel: Kernel {
    /// Lengthscale ℓ.
    public var lengthScale: Hyperparameter
    /// Scale-mixture parameter α.
    public var alpha: Hyperparameter

    /// Rational quadratic kernel with lengthscale ℓ and mixture parameter α.
    public init(lengthScale: Double = 1, alpha: Double = 1,
                lengthBounds: ClosedRange<Double> = Hyperparameter.defaultBounds,
                alphaBounds: ClosedRange<Double> = Hyperparameter.defaultBounds) {
        self.lengthScale = Hyperparameter(name: "rq.length", value: lengthScale, bounds: lengthBounds)
        self.alpha = Hyperparameter(name: "rq.alpha", value: alpha, bounds: alphaBounds)
    }

    /// The hyperparameters in canonical order (``Kernel/hyperparameters``).
    public var hyperparameters: [Hyperparameter] {
        get { [lengthScale, alpha] }
        set { lengthScale = newValue[0]; alpha = newValue[1] }
    }
    /// The required input dimension, if any (``Kernel/inputDimension``).
    public var inputDimension: Int? { nil }

    /// Replaces r² by u = r²/(2αℓ²) in place and returns (k, log1p u). log1p comes from the
    /// vectorised log with the correction log1p(u) = log w − ((w − 1) − u)/w, w = 1 + u, which
    /// restores full relative accuracy for small u.
    private func parts(_ r2: inout [Double]) -> (k: [Double], log1p: [Double]) {
        let a = alpha.value
        let scale = 1 / (2 * a * lengthScale.value * lengthScale.value)
        for i in r2.indices { r2[i] *= scale }
        var lg = r2
        for i in lg.indices { lg[i] += 1 }
        VectorMath.log(&lg)
        var k = lg
        for i in r2.indices {
            let u = r2[i], w = 1 + u
            lg[i] -= ((w - 1) - u) / w
            k[i] = -a * lg[i]
        }
        expInPlace(&k)
        return (k, lg)
    }

    private func values(_ r2: Matrix) -> Matrix {
        var u = r2.storage
        return Matrix(rows: r2.rows, columns: r2.columns, columnMajor: parts(&u).k)
    }

    private func derivativeMatrices(_ x: Matrix) -> [Matrix] {
        var dl = Distances.squared(x)
        let (k, lg) = parts(&dl.storage)
        let a = alpha.value
        var da = dl
        for i in k.indices {
            let ratio = dl.storage[i] / (1 + dl.storage[i])
            dl.storage[i] = 2 * a * k[i] * ratio
            da.storage[i] = a * k[i] * (ratio - lg[i])
        }
        return [dl, da]
    }

    /// Cross-covariance matrix [k(xᵢ, yⱼ)] (``Kernel/callAsFunction(_:_:)``).
    public func callAsFunction(_ x: Matrix, _ y: Matrix) -> Matrix { values(Distances.squared(x, y)) }
    /// Gram matrix of the rows of x (``Kernel/gram(_:)``).
    public func gram(_ x: Matrix) -> Matrix { values(Distances.squared(x)) }
    /// diag(gram(x)) (``Kernel/diagonal(_:)``).
    public func diagonal(_ x: Matrix) -> Vector { Vector(repeating: 1, count: x.rows) }
    /// ∂K/∂θₖ for every log-hyperparameter (``Kernel/gramGradient(_:)``).
    public func gramGradient(_ x: Matrix) -> [Matrix] { derivativeMatrices(x) }
    /// [Σᵢⱼ Wᵢⱼ ∂Kᵢⱼ/∂θₖ]ₖ (``Kernel/gramGradientContraction(_:_:)``).
    public func gramGradientContraction(_ x: Matrix, _ w: Matrix) -> [Double] {
        precondition(w.rows == x.rows && w.columns == x.rows, "rq: weight matrix must be n×n")
        var u = Distances.squared(x).storage
        let (k, lg) = parts(&u)
        let a = alpha.value
        var sumLength = 0.0, sumAlpha = 0.0
        for i in k.indices {
            let kw = k[i] * w.storage[i]
            let ratio = u[i] / (1 + u[i])
            sumLength += kw * ratio
            sumAlpha += kw * (ratio - lg[i])
        }
        return [2 * a * sumLength, a * sumAlpha]
    }
    /// The canonical kernel expression (see ``KernelExpression``).
    public var description: String {
        KernelExpression.formatCall("rq", [.init(key: "length", [lengthScale]), .init(key: "alpha", [alpha])])
    }
}
