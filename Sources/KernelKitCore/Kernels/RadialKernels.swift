#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
import KernelKitLinalg

/// Shared machinery of the radial kernels k(x, y) = κ(r), r² = Σₖ ((xₖ − yₖ)/ℓₖ)² (one ℓ, or one per
/// dimension for automatic relevance determination, ARD).
///
/// κ(r) = exp(−r²/2) (RBF), exp(−r) (Matérn-1/2), (1 + √3r)e^{−√3r} (Matérn-3/2),
/// (1 + √5r + 5r²/3)e^{−√5r} (Matérn-5/2). With g(r) = −κ′(r)/r, the log-lengthscale derivative is ∂k/∂log ℓₖ = g(r)·((xₖ − yₖ)/ℓₖ)², which
/// for an isotropic ℓ sums to g(r)·r²: g = κ (RBF), e^{−r}/r (Matérn-1/2), 3e^{−√3r} (Matérn-3/2),
/// (5/3)(1 + √5r)e^{−√5r} (Matérn-5/2).
struct RadialEngine: Sendable {
    enum Shape: Sendable {
        case squaredExponential, matern12, matern32, matern52

        /// c with s = √(c·r²): the scaled distance inside the exponential (1 for RBF, unused).
        var distanceFactor: Double {
            switch self {
            case .squaredExponential, .matern12: 1
            case .matern32: 3
            case .matern52: 5
            }
        }
    }

    var shape: Shape

    /// Replace r² by κ elementwise, in place, with the exponentials vectorised (`expInPlace`).
    func applyValue(_ r2: inout [Double]) {
        if shape == .squaredExponential {
            for k in r2.indices { r2[k] *= -0.5 }
            expInPlace(&r2)
            return
        }
        let c = shape.distanceFactor
        for k in r2.indices { r2[k] = (c * r2[k]).squareRoot() }  // now s = √(c r²)
        var e = r2
        for k in e.indices { e[k] = -e[k] }
        expInPlace(&e)
        switch shape {
        case .matern12: r2 = e
        case .matern32: for k in r2.indices { r2[k] = (1 + r2[k]) * e[k] }
        default: for k in r2.indices { r2[k] = (1 + r2[k] + r2[k] * r2[k] / 3) * e[k] }
        }
    }

    /// g = −κ′(r)/r elementwise from r² (a new array). g is 0 at r = 0 for Matérn-1/2, where it
    /// only ever multiplies 0.
    func gradientWeights(_ r2: [Double]) -> [Double] {
        var g = r2
        if shape == .squaredExponential {
            for k in g.indices { g[k] *= -0.5 }
            expInPlace(&g)
            return g
        }
        let c = shape.distanceFactor
        for k in g.indices { g[k] = -(c * g[k]).squareRoot() }  // −s
        var e = g
        expInPlace(&e)
        switch shape {
        case .matern12: for k in g.indices { g[k] = g[k] < 0 ? e[k] / -g[k] : 0 }
        case .matern32: for k in g.indices { g[k] = 3 * e[k] }
        default: for k in g.indices { g[k] = 5.0 / 3.0 * (1 - g[k]) * e[k] }
        }
        return g
    }

    func cross(_ lengths: [Hyperparameter], _ x: Matrix, _ y: Matrix) -> Matrix {
        var k = Distances.squared(x, y, scales: lengths.map(\.value))
        applyValue(&k.storage)
        return k
    }

    func gram(_ lengths: [Hyperparameter], _ x: Matrix) -> Matrix {
        var k = Distances.squared(x, scales: lengths.map(\.value))
        applyValue(&k.storage)
        return k
    }

    func gradient(_ lengths: [Hyperparameter], _ x: Matrix) -> [Matrix] {
        let scales = lengths.map(\.value)
        let z = Distances.centeredScaled(x, center: Distances.commonMean(x), scales: scales)
        let r2 = Distances.squaredOfCentered(z)
        let g = Matrix(rows: r2.rows, columns: r2.columns, columnMajor: gradientWeights(r2.storage))
        if lengths.count == 1 { return [g.hadamard(r2)] }
        return (0..<lengths.count).map { g.hadamard(Distances.coordinateSquares(z, coordinate: $0)) }
    }

    func contraction(_ lengths: [Hyperparameter], _ x: Matrix, _ w: Matrix) -> [Double] {
        let scales = lengths.map(\.value)
        let z = Distances.centeredScaled(x, center: Distances.commonMean(x), scales: scales)
        return contraction(isotropic: lengths.count == 1, z, Distances.squaredOfCentered(z), w)
    }

    /// Gram matrix and a contraction map that reuses its squared distances (retains n² doubles).
    func gramWithContraction(_ lengths: [Hyperparameter], _ x: Matrix) -> (gram: Matrix, contraction: (Matrix) -> [Double]) {
        let scales = lengths.map(\.value)
        let z = Distances.centeredScaled(x, center: Distances.commonMean(x), scales: scales)
        let r2 = Distances.squaredOfCentered(z)
        var k = r2
        applyValue(&k.storage)
        let isotropic = lengths.count == 1
        return (k, { w in self.contraction(isotropic: isotropic, z, r2, w) })
    }

    /// [Σᵢⱼ Wᵢⱼ ∂Kᵢⱼ/∂log ℓₖ]ₖ from the scaled points z and their squared distances r².
    private func contraction(isotropic: Bool, _ z: Matrix, _ r2: Matrix, _ w: Matrix) -> [Double] {
        precondition(w.rows == r2.rows && w.columns == r2.columns, "weight matrix must be n×n")
        var m = gradientWeights(r2.storage)
        for k in m.indices { m[k] *= w.storage[k] }
        if isotropic {
            var total = 0.0
            for k in m.indices { total += m[k] * r2.storage[k] }
            return [total]
        }
        // Σᵢⱼ Mᵢⱼ (zᵢₖ − zⱼₖ)² over pairs i > j (the diagonal contributes 0): n²d/2 multiply-adds,
        // free of the cancellation an expansion into ‖zᵢ‖² + ‖zⱼ‖² − 2zᵢ·zⱼ would suffer.
        let (n, d) = (z.rows, z.columns)
        var sums = [Double](repeating: 0, count: d)
        for j in 0..<n {
            for i in (j + 1)..<max(j + 1, n) {
                let weight = m[i + j * n] + m[j + i * n]
                guard weight != 0 else { continue }
                for k in 0..<d {
                    let t = z.storage[i + k * n] - z.storage[j + k * n]
                    sums[k] += weight * t * t
                }
            }
        }
        return sums
    }

    static func lengthHyperparameters(prefix: String, _ values: [Double],
                                      bounds: ClosedRange<Double>) -> [Hyperparameter] {
        precondition(!values.isEmpty, "\(prefix): at least one lengthscale")
        if values.count == 1 { return [Hyperparameter(name: "\(prefix).length", value: values[0], bounds: bounds)] }
        return values.enumerated().map {
            Hyperparameter(name: "\(prefix).length[\($0.offset)]", value: $0.element, bounds: bounds)
        }
    }

    static func checkDimension(_ lengths: [Hyperparameter], _ x: Matrix, _ name: String) {
        precondition(lengths.count == 1 || lengths.count == x.columns,
                     "\(name): \(lengths.count) ARD lengthscales but inputs have \(x.columns) columns")
    }
}

/// Squared-exponential (RBF, Gaussian) kernel k(x, y) = exp(−½ Σₖ (xₖ − yₖ)²/ℓₖ²), unit variance
/// (scale it with a ``ConstantKernel``, as in scikit-learn's `RBF`).
///
/// One lengthscale (isotropic) or one per input dimension (ARD); defaults ℓ = 1 in [1e-5, 1e5].
/// Expression: `rbf(length=2)` or `rbf(length=[1, 3])` (alias `se`).
/// Gram matrix: n²d flops for distances (dsyrk) + n² exp. ∂k/∂log ℓₖ = k·(xₖ − yₖ)²/ℓₖ².
public struct RBFKernel: Kernel {
    /// The lengthscale(s) ℓ: one entry (isotropic) or d entries (ARD).
    public var lengthScales: [Hyperparameter]
    private let engine = RadialEngine(shape: .squaredExponential)

    /// Isotropic RBF kernel with lengthscale `lengthScale` (> 0).
    public init(lengthScale: Double = 1, bounds: ClosedRange<Double> = Hyperparameter.defaultBounds) {
        self.init(lengthScales: [lengthScale], bounds: bounds)
    }

    /// RBF kernel with one lengthscale per input dimension (ARD) when `lengthScales.count > 1`.
    public init(lengthScales: [Double], bounds: ClosedRange<Double> = Hyperparameter.defaultBounds) {
        self.lengthScales = RadialEngine.lengthHyperparameters(prefix: "rbf", lengthScales, bounds: bounds)
    }

    /// The hyperparameters in canonical order (``Kernel/hyperparameters``).
    public var hyperparameters: [Hyperparameter] {
        get { lengthScales }
        set { lengthScales = newValue }
    }
    /// The required input dimension, if any (``Kernel/inputDimension``).
    public var inputDimension: Int? { lengthScales.count > 1 ? lengthScales.count : nil }
    /// Cross-covariance matrix [k(xᵢ, yⱼ)] (``Kernel/callAsFunction(_:_:)``).
    public func callAsFunction(_ x: Matrix, _ y: Matrix) -> Matrix {
        RadialEngine.checkDimension(lengthScales, x, "rbf")
        return engine.cross(lengthScales, x, y)
    }
    /// Gram matrix of the rows of x (``Kernel/gram(_:)``).
    public func gram(_ x: Matrix) -> Matrix {
        RadialEngine.checkDimension(lengthScales, x, "rbf")
        return engine.gram(lengthScales, x)
    }
    /// diag(gram(x)) (``Kernel/diagonal(_:)``).
    public func diagonal(_ x: Matrix) -> Vector { Vector(repeating: 1, count: x.rows) }
    /// ∂K/∂θₖ for every log-hyperparameter (``Kernel/gramGradient(_:)``).
    public func gramGradient(_ x: Matrix) -> [Matrix] { engine.gradient(lengthScales, x) }
    /// [Σᵢⱼ Wᵢⱼ ∂Kᵢⱼ/∂θₖ]ₖ (``Kernel/gramGradientContraction(_:_:)``).
    public func gramGradientContraction(_ x: Matrix, _ w: Matrix) -> [Double] {
        engine.contraction(lengthScales, x, w)
    }
    /// Gram matrix with a contraction map that reuses its distances (``Kernel/gramWithGradientContraction(_:)``).
    public func gramWithGradientContraction(_ x: Matrix) -> (gram: Matrix, contraction: (Matrix) -> [Double]) {
        engine.gramWithContraction(lengthScales, x)
    }
    /// The canonical kernel expression (see ``KernelExpression``).
    public var description: String {
        KernelExpression.formatCall("rbf", [.init(key: "length", lengthScales, list: lengthScales.count > 1)])
    }
}

/// Matérn kernel with smoothness ν ∈ {1/2, 3/2, 5/2} and unit variance (scikit-learn's `Matern`),
/// r² = Σₖ (xₖ − yₖ)²/ℓₖ²:
/// - ν = 1/2: k = exp(−r) (Ornstein–Uhlenbeck; sample paths continuous, nowhere differentiable);
/// - ν = 3/2: k = (1 + √3 r) exp(−√3 r);
/// - ν = 5/2: k = (1 + √5 r + 5r²/3) exp(−√5 r).
/// As ν → ∞ the family tends to ``RBFKernel``. Rasmussen & Williams (2006), eq. 4.14–4.17.
/// Lengthscales as for ``RBFKernel`` (isotropic or ARD). Expression: `matern12`, `matern32`,
/// `matern52`, e.g. `matern52(length=0.5)`.
public struct MaternKernel: Kernel {
    /// The supported half-integer smoothness values, for which k has the closed forms above.
    public enum Smoothness: String, Sendable, CaseIterable {
        case oneHalf = "matern12", threeHalves = "matern32", fiveHalves = "matern52"
        /// ν as a number.
        public var nu: Double {
            switch self { case .oneHalf: 0.5; case .threeHalves: 1.5; case .fiveHalves: 2.5 }
        }
    }

    /// Smoothness ν (not a hyperparameter: it is fixed by the kernel's name).
    public let smoothness: Smoothness
    /// The lengthscale(s) ℓ: one entry (isotropic) or d entries (ARD).
    public var lengthScales: [Hyperparameter]
    private let engine: RadialEngine

    /// Isotropic Matérn kernel.
    public init(_ smoothness: Smoothness, lengthScale: Double = 1,
                bounds: ClosedRange<Double> = Hyperparameter.defaultBounds) {
        self.init(smoothness, lengthScales: [lengthScale], bounds: bounds)
    }

    /// Matérn kernel with one lengthscale per dimension (ARD) when `lengthScales.count > 1`.
    public init(_ smoothness: Smoothness, lengthScales: [Double],
                bounds: ClosedRange<Double> = Hyperparameter.defaultBounds) {
        self.smoothness = smoothness
        let shape: RadialEngine.Shape = switch smoothness {
        case .oneHalf: .matern12
        case .threeHalves: .matern32
        case .fiveHalves: .matern52
        }
        self.engine = RadialEngine(shape: shape)
        self.lengthScales = RadialEngine.lengthHyperparameters(prefix: smoothness.rawValue, lengthScales, bounds: bounds)
    }

    /// The hyperparameters in canonical order (``Kernel/hyperparameters``).
    public var hyperparameters: [Hyperparameter] {
        get { lengthScales }
        set { lengthScales = newValue }
    }
    /// The required input dimension, if any (``Kernel/inputDimension``).
    public var inputDimension: Int? { lengthScales.count > 1 ? lengthScales.count : nil }
    /// Cross-covariance matrix [k(xᵢ, yⱼ)] (``Kernel/callAsFunction(_:_:)``).
    public func callAsFunction(_ x: Matrix, _ y: Matrix) -> Matrix {
        RadialEngine.checkDimension(lengthScales, x, smoothness.rawValue)
        return engine.cross(lengthScales, x, y)
    }
    /// Gram matrix of the rows of x (``Kernel/gram(_:)``).
    public func gram(_ x: Matrix) -> Matrix {
        RadialEngine.checkDimension(lengthScales, x, smoothness.rawValue)
        return engine.gram(lengthScales, x)
    }
    /// diag(gram(x)) (``Kernel/diagonal(_:)``).
    public func diagonal(_ x: Matrix) -> Vector { Vector(repeating: 1, count: x.rows) }
    /// ∂K/∂θₖ for every log-hyperparameter (``Kernel/gramGradient(_:)``).
    public func gramGradient(_ x: Matrix) -> [Matrix] { engine.gradient(lengthScales, x) }
    /// [Σᵢⱼ Wᵢⱼ ∂Kᵢⱼ/∂θₖ]ₖ (``Kernel/gramGradientContraction(_:_:)``).
    public func gramGradientContraction(_ x: Matrix, _ w: Matrix) -> [Double] {
        engine.contraction(lengthScales, x, w)
    }
    /// Gram matrix with a contraction map that reuses its distances (``Kernel/gramWithGradientContraction(_:)``).
    public func gramWithGradientContraction(_ x: Matrix) -> (gram: Matrix, contraction: (Matrix) -> [Double]) {
        engine.gramWithContraction(lengthScales, x)
    }
    /// The canonical kernel expression (see ``KernelExpression``).
    public var description: String {
        KernelExpression.formatCall(smoothness.rawValue,
                                    [.init(key: "length", lengthScales, list: lengthScales.count > 1)])
    }
}
