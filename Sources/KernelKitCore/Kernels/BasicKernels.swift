import KernelKitLinalg

/// Linear (dot-product) kernel k(x, y) = σ₀² + x·y (scikit-learn's `DotProduct`): Bayesian linear
/// regression with an N(0, σ₀²) intercept and N(0, I) weights. Non-stationary.
/// Default σ₀ = 1 in [1e-5, 1e5]. Expression: `linear(sigma0=1)`.
/// Gram matrix: one dsyrk, n²d flops. ∂k/∂log σ₀ = 2σ₀².
public struct LinearKernel: Kernel {
    /// σ₀, the prior standard deviation of the intercept.
    public var sigma0: Hyperparameter

    /// Linear kernel with intercept standard deviation σ₀.
    public init(sigma0: Double = 1, bounds: ClosedRange<Double> = Hyperparameter.defaultBounds) {
        self.sigma0 = Hyperparameter(name: "linear.sigma0", value: sigma0, bounds: bounds)
    }

    /// The hyperparameters in canonical order (``Kernel/hyperparameters``).
    public var hyperparameters: [Hyperparameter] {
        get { [sigma0] }
        set { sigma0 = newValue[0] }
    }
    /// The required input dimension, if any (``Kernel/inputDimension``).
    public var inputDimension: Int? { nil }
    /// Cross-covariance matrix [k(xᵢ, yⱼ)] (``Kernel/callAsFunction(_:_:)``).
    public func callAsFunction(_ x: Matrix, _ y: Matrix) -> Matrix {
        precondition(x.columns == y.columns, "linear: inputs of dimension \(x.columns) and \(y.columns)")
        var k = Matrix(rows: x.rows, columns: y.rows, repeating: sigma0.value * sigma0.value)
        BLAS.gemm(.none, .transpose, x, y, beta: 1, &k)
        return k
    }
    /// Gram matrix of the rows of x (``Kernel/gram(_:)``).
    public func gram(_ x: Matrix) -> Matrix {
        var k = Matrix(rows: x.rows, columns: x.rows, repeating: sigma0.value * sigma0.value)
        BLAS.syrk(.lower, .none, x, beta: 1, &k)
        k.symmetrizeFromLower()
        return k
    }
    /// diag(gram(x)) (``Kernel/diagonal(_:)``).
    public func diagonal(_ x: Matrix) -> Vector {
        var d = Vector(repeating: sigma0.value * sigma0.value, count: x.rows)
        for j in 0..<x.columns { for i in 0..<x.rows { d[i] += x[i, j] * x[i, j] } }
        return d
    }
    /// ∂K/∂θₖ for every log-hyperparameter (``Kernel/gramGradient(_:)``).
    public func gramGradient(_ x: Matrix) -> [Matrix] {
        [Matrix(rows: x.rows, columns: x.rows, repeating: 2 * sigma0.value * sigma0.value)]
    }
    /// [Σᵢⱼ Wᵢⱼ ∂Kᵢⱼ/∂θₖ]ₖ (``Kernel/gramGradientContraction(_:_:)``).
    public func gramGradientContraction(_ x: Matrix, _ w: Matrix) -> [Double] {
        [2 * sigma0.value * sigma0.value * elementSum(w)]
    }
    /// The canonical kernel expression (see ``KernelExpression``).
    public var description: String { KernelExpression.formatCall("linear", [.init(key: "sigma0", [sigma0])]) }
}

/// White-noise kernel (scikit-learn's `WhiteKernel`): gram(x) = σ²I, and k(x, y) = 0 for the
/// cross-covariance of two point sets, even when they are equal. In a GP it models independent
/// observation noise of variance σ² (`noise`, default 1 in [1e-5, 1e5]); predictions of the latent
/// function exclude it. Expression: `white(noise=0.1)`. ∂gram/∂log σ² = σ²I.
public struct WhiteKernel: Kernel {
    /// Noise variance σ².
    public var noiseLevel: Hyperparameter

    /// White noise of variance `noiseLevel`.
    public init(noiseLevel: Double = 1, bounds: ClosedRange<Double> = Hyperparameter.defaultBounds) {
        self.noiseLevel = Hyperparameter(name: "white.noise", value: noiseLevel, bounds: bounds)
    }

    /// The hyperparameters in canonical order (``Kernel/hyperparameters``).
    public var hyperparameters: [Hyperparameter] {
        get { [noiseLevel] }
        set { noiseLevel = newValue[0] }
    }
    /// The required input dimension, if any (``Kernel/inputDimension``).
    public var inputDimension: Int? { nil }
    /// Cross-covariance matrix [k(xᵢ, yⱼ)] (``Kernel/callAsFunction(_:_:)``).
    public func callAsFunction(_ x: Matrix, _ y: Matrix) -> Matrix { Matrix(rows: x.rows, columns: y.rows) }
    /// Gram matrix of the rows of x (``Kernel/gram(_:)``).
    public func gram(_ x: Matrix) -> Matrix { scaledIdentity(x.rows) }
    /// diag(gram(x)) (``Kernel/diagonal(_:)``).
    public func diagonal(_ x: Matrix) -> Vector { Vector(repeating: noiseLevel.value, count: x.rows) }
    /// diag(k(x, x)) without observation noise (``Kernel/noiseFreeDiagonal(_:)``).
    public func noiseFreeDiagonal(_ x: Matrix) -> Vector { Vector.zeros(x.rows) }
    /// ∂K/∂θₖ for every log-hyperparameter (``Kernel/gramGradient(_:)``).
    public func gramGradient(_ x: Matrix) -> [Matrix] { [scaledIdentity(x.rows)] }
    private func scaledIdentity(_ n: Int) -> Matrix {
        var k = Matrix(rows: n, columns: n)
        k.addToDiagonal(noiseLevel.value)
        return k
    }
    /// [Σᵢⱼ Wᵢⱼ ∂Kᵢⱼ/∂θₖ]ₖ (``Kernel/gramGradientContraction(_:_:)``).
    public func gramGradientContraction(_ x: Matrix, _ w: Matrix) -> [Double] { [noiseLevel.value * w.trace] }
    /// The canonical kernel expression (see ``KernelExpression``).
    public var description: String { KernelExpression.formatCall("white", [.init(key: "noise", [noiseLevel])]) }
}

/// Constant kernel k(x, y) = c (scikit-learn's `ConstantKernel`). As a factor, `c * k`, it is the
/// signal variance of k; as a term it models an unknown constant offset with prior variance c.
/// Default c = 1 in [1e-5, 1e5]. Expression: `constant(value=2)`; a bare number `2.5` in an
/// expression is `constant(value=2.5)`. ∂k/∂log c = c.
public struct ConstantKernel: Kernel {
    /// The constant c (a variance).
    public var constant: Hyperparameter

    /// Constant kernel with value c > 0.
    public init(_ value: Double = 1, bounds: ClosedRange<Double> = Hyperparameter.defaultBounds) {
        self.constant = Hyperparameter(name: "constant.value", value: value, bounds: bounds)
    }

    /// The hyperparameters in canonical order (``Kernel/hyperparameters``).
    public var hyperparameters: [Hyperparameter] {
        get { [constant] }
        set { constant = newValue[0] }
    }
    /// The required input dimension, if any (``Kernel/inputDimension``).
    public var inputDimension: Int? { nil }
    /// Cross-covariance matrix [k(xᵢ, yⱼ)] (``Kernel/callAsFunction(_:_:)``).
    public func callAsFunction(_ x: Matrix, _ y: Matrix) -> Matrix {
        Matrix(rows: x.rows, columns: y.rows, repeating: constant.value)
    }
    /// Gram matrix of the rows of x (``Kernel/gram(_:)``).
    public func gram(_ x: Matrix) -> Matrix { Matrix(rows: x.rows, columns: x.rows, repeating: constant.value) }
    /// diag(gram(x)) (``Kernel/diagonal(_:)``).
    public func diagonal(_ x: Matrix) -> Vector { Vector(repeating: constant.value, count: x.rows) }
    /// ∂K/∂θₖ for every log-hyperparameter (``Kernel/gramGradient(_:)``).
    public func gramGradient(_ x: Matrix) -> [Matrix] { [gram(x)] }
    /// [Σᵢⱼ Wᵢⱼ ∂Kᵢⱼ/∂θₖ]ₖ (``Kernel/gramGradientContraction(_:_:)``).
    public func gramGradientContraction(_ x: Matrix, _ w: Matrix) -> [Double] { [constant.value * elementSum(w)] }
    /// The canonical kernel expression (see ``KernelExpression``).
    public var description: String { KernelExpression.formatCall("constant", [.init(key: "value", [constant])]) }
}
